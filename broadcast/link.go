package broadcast

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// transport is one live connection under a link: dialed by this node or
// accepted from the peer.
type transport interface {
	// send writes buf[frameRoom:] as one binary message. It may block on a
	// slow peer, never longer than the link's write timeout.
	send(buf []byte) error
	// close closes the connection with a WebSocket close code and reason.
	close(code uint16, reason string)
}

// link is this node's side of the link to one peer. It outlives the
// connections under it: the queue, the sequence numbers and the counters
// carry over a reconnection. Exactly one side of a pair dials (the node
// whose address sorts first); the other accepts.
type link struct {
	m     *Mesh
	peer  string
	dials bool
	q     *queue
	wake  chan struct{} // a record was queued or a transport attached

	mu      sync.Mutex
	tr      transport // nil while down
	since   time.Time // when the link last went up or down
	lastErr string
	dropLog time.Time // last "queue full" warning

	recvMu   sync.Mutex
	peerBoot uint64 // the peer process whose sequence numbers lastSeq tracks
	fresh    bool   // peerBoot changed: the next record sets lastSeq
	lastSeq  uint64

	connects     atomic.Uint64
	dialFailures atomic.Uint64
	sent         atomic.Uint64
	frames       atomic.Uint64
	received     atomic.Uint64
	lost         atomic.Uint64
	duplicates   atomic.Uint64
}

func newLink(m *Mesh, peer string) *link {
	return &link{
		m:     m,
		peer:  peer,
		dials: m.cfg.Node < peer,
		q:     newQueue(m.cfg.QueueLimit, m.cfg.QueueBytes),
		wake:  make(chan struct{}, 1),
		since: time.Now(),
	}
}

// signal wakes the writer without blocking.
func (l *link) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// enqueue queues one encoded record for the peer.
func (l *link) enqueue(rec []byte) {
	if l.q.push(rec) {
		l.warnDropped()
	}
	l.signal()
}

// warnDropped logs queue overflow at most every 10 seconds.
func (l *link) warnDropped() {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.dropLog) < 10*time.Second {
		l.mu.Unlock()
		return
	}
	l.dropLog = now
	up := l.tr != nil
	l.mu.Unlock()
	_, dropped := l.q.stats()
	l.m.log.Warn("peer queue full: dropping the oldest publications",
		"peer", l.peer, "link_up", up, "limit", l.m.cfg.QueueLimit, "dropped_total", dropped)
}

// current returns the live transport, nil while the link is down.
func (l *link) current() transport {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tr
}

// attach makes tr the link's connection, replacing (and closing) an older
// one, e.g. when the peer restarted before its old connection timed out.
func (l *link) attach(tr transport, peerBoot uint64) {
	l.mu.Lock()
	old := l.tr
	l.tr, l.since, l.lastErr = tr, time.Now(), ""
	l.mu.Unlock()
	if old != nil {
		old.close(closeNormal, "replaced by a new connection")
	}
	l.recvMu.Lock()
	if peerBoot != l.peerBoot {
		l.peerBoot, l.fresh = peerBoot, true
	}
	l.recvMu.Unlock()
	l.connects.Add(1)
	queued, _ := l.q.stats()
	l.m.log.Info("peer link up", "peer", l.peer, "dialed", l.dials, "queued", queued)
	l.signal()
}

// detach marks the link down if tr is still its connection.
func (l *link) detach(tr transport, err error) {
	l.mu.Lock()
	if l.tr != tr {
		l.mu.Unlock()
		return
	}
	l.tr, l.since = nil, time.Now()
	if err != nil {
		l.lastErr = err.Error()
	}
	l.mu.Unlock()
	select {
	case <-l.m.done:
		return // shutting down: not news
	default:
	}
	l.m.log.Warn("peer link down", "peer", l.peer, "err", err)
}

// writeLoop sends queued records in batches while the link is up. Records
// leave the queue only after their batch was written.
func (l *link) writeLoop() {
	defer l.m.wg.Done()
	for {
		select {
		case <-l.m.done:
			return
		default:
		}
		tr := l.current()
		var buf []byte
		var first uint64
		var count int
		if tr != nil {
			buf, first, count = l.q.batch(frameRoom, l.m.cfg.MaxBatchBytes)
		}
		if count == 0 {
			select {
			case <-l.wake:
			case <-l.m.done:
				return
			}
			continue
		}
		if err := tr.send(buf); err != nil {
			tr.close(closeGoingAway, "write failed")
			l.detach(tr, fmt.Errorf("send: %w", err))
			continue
		}
		l.q.commit(first + uint64(count))
		l.sent.Add(uint64(count))
		l.frames.Add(1)
	}
}

// receive delivers a batch message from the peer, in order, skipping
// records already delivered (a batch resent after a reconnection) and
// counting gaps (records the peer dropped or lost in flight).
func (l *link) receive(msg []byte) error {
	r := reader{b: msg[1:]}
	first, count := r.batchHeader()
	if r.err != nil {
		return r.err
	}
	l.recvMu.Lock()
	defer l.recvMu.Unlock()
	for i := range count {
		pub := r.record()
		if r.err != nil {
			return fmt.Errorf("record %d of %d: %w", i, count, r.err)
		}
		seq := first + i
		if l.fresh {
			l.lastSeq, l.fresh = seq-1, false
		}
		if seq <= l.lastSeq {
			l.duplicates.Add(1)
			continue
		}
		if gap := seq - l.lastSeq - 1; gap > 0 {
			l.lost.Add(gap)
		}
		l.lastSeq = seq
		l.m.deliver(pub)
		l.received.Add(1) // after delivery: a test can wait for it
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record", errMalformed, len(r.b))
	}
	return nil
}

// errClosed is returned by sends on a connection that is gone.
var errClosed = errors.New("connection closed")

// WebSocket close codes used on peer links.
const (
	closeNormal          uint16 = 1000
	closeGoingAway       uint16 = 1001
	closeProtocolError   uint16 = 1002
	closeUnsupported     uint16 = 1003
	closePolicyViolation uint16 = 1008
)
