package wamp

import "sync"

// This file holds OpQueue, which keeps one connection's operations in
// order while operation hooks (OpHooks) are in flight.

// MaxOpsWaiting is how many operations of one connection may wait behind
// an operation hook in flight; one more closes the connection with 1008
// OpsWaitingReason.
const MaxOpsWaiting = 256

// OpsWaitingReason is the close reason of a connection with more than
// MaxOpsWaiting operations waiting on hooks.
const OpsWaitingReason = "too many operations waiting on hooks"

// OpQueue runs the operations of one connection (its incoming messages)
// one at a time and in order, although an operation that waits for an
// operation hook finishes later on another goroutine: while a hook is in
// flight, later operations wait in a FIFO, and the hook's answer runs the
// rest of its operation and then those that waited, until one waits for a
// hook again or none is left. The gateway makes one per connection when
// the router has operation hooks; the worker that read a message never
// waits for a hook (it may wait, briefly, for the operation another
// goroutine is running to finish).
type OpQueue struct {
	run     sync.Mutex // held while an operation runs
	mu      sync.Mutex // guards what follows
	holds   int        // hooks in flight
	closed  bool
	waiting []func()
}

// NewOpQueue makes an empty queue.
func NewOpQueue() *OpQueue { return &OpQueue{} }

// Push queues op when an operation hook is in flight or operations are
// waiting already, and reports whether it did; when it did not, the
// caller runs the operation itself with Run. A *CloseError 1008 says
// that MaxOpsWaiting operations wait already (op is not queued).
func (q *OpQueue) Push(op func()) (queued bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return true, nil // dropped: the connection is gone
	case q.holds == 0 && len(q.waiting) == 0:
		return false, nil
	case len(q.waiting) >= MaxOpsWaiting:
		return false, &CloseError{Code: ClosePolicyViolation, Reason: OpsWaitingReason}
	}
	q.waiting = append(q.waiting, op)
	return true, nil
}

// Busy reports whether an operation hook is in flight or operations wait.
func (q *OpQueue) Busy() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.holds > 0 || len(q.waiting) > 0
}

// Run runs op now, not concurrently with another operation of the
// queue; after Close it does nothing.
func (q *OpQueue) Run(op func()) {
	q.run.Lock()
	defer q.run.Unlock()
	if q.isClosed() {
		return
	}
	op()
}

// Close runs last (the connection's end), not concurrently with an
// operation, then drops the operations waiting: the answers of hooks
// still in flight are dropped when they come.
func (q *OpQueue) Close(last func()) {
	q.run.Lock()
	defer q.run.Unlock()
	q.mu.Lock()
	q.closed = true
	clear(q.waiting)
	q.waiting = nil
	q.mu.Unlock()
	last()
}

// Waiting is how many operations wait.
func (q *OpQueue) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}

func (q *OpQueue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// hold notes a hook in flight: operations pushed from now on wait.
func (q *OpQueue) hold() {
	q.mu.Lock()
	q.holds++
	q.mu.Unlock()
}

// resume is called once per hold, when the hook answered, on the hook
// client's goroutine: it runs cont, the rest of the held operation, then
// the operations that waited, one by one, until one holds again. After
// Close it runs nothing.
func (q *OpQueue) resume(cont func()) {
	q.run.Lock()
	defer q.run.Unlock()
	q.mu.Lock()
	q.holds--
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return
	}
	cont()
	for {
		q.mu.Lock()
		if q.closed || q.holds > 0 || len(q.waiting) == 0 {
			q.mu.Unlock()
			return
		}
		op := q.waiting[0]
		q.waiting[0] = nil
		q.waiting = q.waiting[1:]
		q.mu.Unlock()
		op()
	}
}
