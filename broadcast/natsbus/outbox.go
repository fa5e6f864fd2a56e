package natsbus

import "sync"

// outMsg is one message waiting for the NATS connection.
type outMsg struct {
	subject string
	data    []byte
	pub     pubKind
}

// pubKind says how the writer frames an outMsg.
type pubKind uint8

const (
	pubRaw     pubKind = iota // data is the whole message
	pubNewSeq                 // a publication record: header with the next seq
	pubSameSeq                // the same publication again (retained copy): the same seq
)

// outbox is the bounded queue between the router's goroutines and the
// one goroutine that publishes to NATS: Relay and Send never block on
// the connection, and everything a node sends keeps one order (a
// registration announced before a publication is known before it
// everywhere).
type outbox struct {
	mu       sync.Mutex
	msgs     []outMsg
	bytes    int
	limit    int
	maxBytes int
	dropped  uint64
	closed   bool
	ready    chan struct{} // one token: something was queued
}

func newOutbox(limit, maxBytes int) *outbox {
	return &outbox{limit: limit, maxBytes: maxBytes, ready: make(chan struct{}, 1)}
}

// push queues m; false when the queue is full (m is dropped and
// counted) or closed.
func (o *outbox) push(m outMsg) bool {
	o.mu.Lock()
	if o.closed || len(o.msgs) >= o.limit || o.bytes+len(m.data) > o.maxBytes {
		if !o.closed {
			o.dropped++
		}
		o.mu.Unlock()
		return false
	}
	o.msgs = append(o.msgs, m)
	o.bytes += len(m.data)
	o.mu.Unlock()
	select {
	case o.ready <- struct{}{}:
	default:
	}
	return true
}

// take moves everything queued into buf (emptied first) and returns it.
func (o *outbox) take(buf []outMsg) []outMsg {
	o.mu.Lock()
	buf = append(buf[:0], o.msgs...)
	clear(o.msgs)
	o.msgs = o.msgs[:0]
	o.bytes = 0
	o.mu.Unlock()
	return buf
}

// close refuses further messages.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

// drops returns the messages dropped because the queue was full.
func (o *outbox) drops() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped
}
