package netpoll

import (
	"sync"
	"sync/atomic"
	"time"
)

// pool is the bounded worker pool. Connections wait in two intrusive FIFO
// queues (no allocation, at most one entry per connection and queue): one
// for sockets that became readable and one for connections with queued
// outbound bytes. Flushes go first, which drains memory before reading more
// input, but a read is taken at least every maxFlushStreak tasks so
// publishers are never starved.
type pool struct {
	mu          sync.Mutex
	cond        sync.Cond
	queues      [2]connQueue // indexed by taskKind
	flushStreak int
	closed      bool
	wg          sync.WaitGroup

	// poll, when set (before the first task), collects the readiness the
	// backend has not reported yet; workers call it between tasks at most
	// every busyPollInterval (see pollIfDue).
	poll     func(*worker)
	epoch    time.Time
	lastPoll atomic.Int64 // since epoch, in nanoseconds
}

// busyPollInterval is how often busy workers look for readiness
// themselves.
const busyPollInterval = 50 * time.Microsecond

const maxFlushStreak = 64

type taskKind uint8

const (
	taskRead taskKind = iota
	taskFlush
)

// connQueue is an intrusive FIFO of connections through Conn.links[kind].
type connQueue struct{ head, tail *Conn }

// queueLink is a connection's place in one of the pool's queues.
type queueLink struct {
	next   *Conn
	queued bool
}

func newPool(workers, readBuf int, srv *Server) *pool {
	p := &pool{epoch: time.Now()}
	p.cond.L = &p.mu
	p.wg.Add(workers)
	for i := 0; i < workers; i++ {
		w := newWorker(readBuf, srv)
		go func() {
			defer p.wg.Done()
			p.run(w)
		}()
	}
	return p
}

// scheduleRead queues c for a read pass.
func (p *pool) scheduleRead(c *Conn) { p.schedule(c, taskRead) }

// scheduleFlush queues c for a flush.
func (p *pool) scheduleFlush(c *Conn) { p.schedule(c, taskFlush) }

func (p *pool) schedule(c *Conn, kind taskKind) {
	p.mu.Lock()
	l := &c.links[kind]
	if l.queued {
		p.mu.Unlock()
		return
	}
	l.queued = true
	q := &p.queues[kind]
	if q.tail == nil {
		q.head = c
	} else {
		q.tail.links[kind].next = c
	}
	q.tail = c
	p.mu.Unlock()
	p.cond.Signal()
}

// popLocked takes the first connection of a non-empty queue.
func (p *pool) popLocked(kind taskKind) *Conn {
	q := &p.queues[kind]
	c := q.head
	l := &c.links[kind]
	q.head = l.next
	if q.head == nil {
		q.tail = nil
	}
	*l = queueLink{}
	return c
}

// next blocks until there is a task or the pool is closed. busy reports
// that a task was waiting: the worker did not have to wait for it.
func (p *pool) next() (c *Conn, kind taskKind, busy, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	reads, flushes := &p.queues[taskRead], &p.queues[taskFlush]
	busy = true
	for reads.head == nil && flushes.head == nil {
		if p.closed {
			return nil, 0, false, false
		}
		busy = false
		p.cond.Wait()
	}
	if flushes.head != nil && (reads.head == nil || p.flushStreak < maxFlushStreak) {
		p.flushStreak++
		return p.popLocked(taskFlush), taskFlush, busy, true
	}
	p.flushStreak = 0
	return p.popLocked(taskRead), taskRead, busy, true
}

func (p *pool) run(w *worker) {
	for {
		c, kind, busy, ok := p.next()
		if !ok {
			return
		}
		if busy {
			p.pollIfDue(w)
		}
		if kind == taskRead {
			c.readPass(w)
		} else {
			c.flush(w)
		}
	}
}

// polled notes that readiness was just collected.
func (p *pool) polled() { p.lastPoll.Store(int64(time.Since(p.epoch))) }

// pollIfDue collects readiness on a worker that finds tasks waiting each
// time it finishes one. The epoll
// backend's loops park on the Go runtime poller, which the scheduler only
// consults when a P runs out of goroutines (or every 10 ms from sysmon):
// while every worker has tasks, sockets that became readable (a
// publisher's next messages) or writable would wait that long. One worker
// at a time, at most every busyPollInterval, looks for them itself with
// a non-blocking epoll_wait.
func (p *pool) pollIfDue(w *worker) {
	if p.poll == nil {
		return
	}
	now := int64(time.Since(p.epoch))
	last := p.lastPoll.Load()
	if now-last < int64(busyPollInterval) || !p.lastPoll.CompareAndSwap(last, now) {
		return
	}
	p.poll(w)
}

// close stops the workers once the queues are empty and waits for them.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Broadcast()
	p.wg.Wait()
}
