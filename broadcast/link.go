package broadcast

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampgate/wampgate/wamp"
)

// transport is one live connection under a link: dialed by this node or
// accepted from the peer.
type transport interface {
	// send writes each msgs[i][frameRoom:] as one binary message, in
	// order. It may block on a slow peer, never longer than the write
	// timeout.
	send(msgs ...[]byte) error
	// close closes the connection with a WebSocket close code and reason,
	// within closeGrace.
	close(code uint16, reason string)
	// abort closes the connection at once.
	abort()
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
	wake  chan struct{} // a record was queued or acknowledged, an ack is due, a transport attached

	mu      sync.Mutex
	tr      transport // nil while down
	gen     uint64    // counts the transports attached; the queue's cursor belongs to one
	peerMax int       // the largest message tr's peer accepts
	since   time.Time // when the link last went up or down
	lastErr string

	recvMu   sync.Mutex
	peerBoot uint64 // the peer process whose sequence numbers lastSeq tracks
	fresh    bool   // peerBoot changed: the next record sets lastSeq
	lastSeq  uint64
	acks     ackState

	// ackProgress is when the peer last acknowledged something, or when
	// records went in flight with none before them (unix nanoseconds).
	ackProgress atomic.Int64

	interest peerInterest // what the peer subscribes to (interest.go)

	dropLog, tooLargeLog, lostLog logLimiter

	connects     atomic.Uint64
	dialFailures atomic.Uint64
	frames       atomic.Uint64
	bytesSent    atomic.Uint64 // batch bytes written, resent ones included
	skipped      atomic.Uint64 // publications not queued: the peer has no subscriber
	received     atomic.Uint64
	lost         atomic.Uint64
	duplicates   atomic.Uint64
}

// ackState is the receiving side's acknowledgement bookkeeping, guarded by
// link.recvMu. Acknowledgements are coalesced: one is due when ackBytes of
// batches were delivered since the last, ackDelay after the first of
// them, or at once on a new connection (so the sender skips resending
// what was delivered).
type ackState struct {
	acked   uint64    // the last sequence number acknowledged on this connection
	since   time.Time // when the first unacknowledged batch was delivered
	bytes   int       // bytes of batches delivered since the last ack
	resume  bool      // a new connection: acknowledge lastSeq at once
	started bool      // since is set
}

// Acknowledgement coalescing and the dead-peer bound.
const (
	ackBytes = 1 << 20
	ackDelay = 5 * time.Millisecond
	// ackTimeout is how long records may stay in flight without any
	// acknowledgement before the link is considered dead.
	ackTimeout = writeTimeout
)

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

// enqueue queues one encoded record for the peer. A record larger than
// this node accepts itself is dropped at once: no peer of the same
// configuration would take it, and it must not evict the queue.
func (l *link) enqueue(rec []byte) {
	if batchHeaderRoom+len(rec) > l.m.maxMessage {
		l.q.mu.Lock()
		l.q.tooLarge++
		l.q.mu.Unlock()
		l.warnTooLarge(len(rec), l.m.maxMessage)
		return
	}
	dropped, droppedControl := l.q.push(rec)
	if dropped {
		l.warnDropped()
	}
	if droppedControl {
		// The peer would miss a registration or a call: start afresh,
		// as after any reconnection (both sides resync).
		if tr := l.current(); tr != nil {
			l.m.log.Error("peer queue full: a control record was dropped, reconnecting to resync", "peer", l.peer)
			tr.close(closeGoingAway, "queue overflow")
			l.detach(tr, errors.New("a control record was dropped by the full queue"))
		}
	}
	l.signal()
}

// warnDropped logs queue overflow at most every 10 seconds.
func (l *link) warnDropped() {
	if !l.dropLog.allow(10 * time.Second) {
		return
	}
	st := l.q.stats()
	l.m.log.Warn("peer queue full: dropping the oldest publications",
		"peer", l.peer, "link_up", l.current() != nil, "limit", l.m.cfg.QueueLimit,
		"limit_bytes", l.m.cfg.QueueBytes, "dropped_total", st.dropped)
}

// warnTooLarge logs a record dropped for its size, at most every 10 s.
func (l *link) warnTooLarge(size, bound int) {
	if !l.tooLargeLog.allow(10 * time.Second) {
		return
	}
	l.m.log.Warn("publication too large for the peer link: dropped",
		"peer", l.peer, "record_bytes", size, "peer_accepts", bound,
		"dropped_too_large_total", l.q.stats().tooLarge)
}

// current returns the live transport, nil while the link is down.
func (l *link) current() transport {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tr
}

// attach makes tr the link's connection, replacing (and closing) an older
// one, e.g. when the peer restarted before its old connection timed out.
// peerMax is the message bound the peer announced.
func (l *link) attach(tr transport, peerBoot uint64, peerMax int) {
	// The peer describes its subscriptions afresh on this connection;
	// until then everything goes to it.
	l.interest.forget()
	// What the peer was told of calls and proposals on the old
	// connection ends now on both sides; the state is sent afresh once up.
	l.q.voidTransient()
	if h := l.m.control; h != nil {
		h.ClusterPeerDown(l.peer)
	}
	l.mu.Lock()
	old := l.tr
	l.tr, l.peerMax, l.since, l.lastErr = tr, peerMax, time.Now(), ""
	l.gen++
	gen := l.gen
	l.mu.Unlock()
	if old != nil {
		old.close(closeNormal, "replaced by a new connection")
	}
	l.q.rewind(gen) // resend everything the peer has not acknowledged
	l.recvMu.Lock()
	if peerBoot != l.peerBoot {
		l.peerBoot, l.fresh = peerBoot, true
	}
	l.acks = ackState{resume: true}
	l.recvMu.Unlock()
	l.connects.Add(1)
	st := l.q.stats()
	l.m.log.Info("peer link up", "peer", l.peer, "dialed", l.dials, "queued", st.queued, "peer_max_message", peerMax)
	if h := l.m.control; h != nil {
		h.ClusterPeerUp(l.peer)
	}
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
	l.interest.forget() // queue everything while down: the peer may subscribe meanwhile
	l.q.voidTransient()
	if h := l.m.control; h != nil {
		h.ClusterPeerDown(l.peer)
	}
	select {
	case <-l.m.done:
		return // shutting down: not news
	default:
	}
	l.m.log.Warn("peer link down", "peer", l.peer, "err", err)
}

// writeLoop sends acknowledgements and batches of queued records while
// the link is up, keeping at most MaxInFlightBytes unacknowledged. Records
// leave the queue only when the peer acknowledges them.
func (l *link) writeLoop() {
	defer l.m.wg.Done()
	cfg := &l.m.cfg
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	msgs := make([][]byte, 0, 2)
	for {
		select {
		case <-l.m.done:
			return
		default:
		}
		l.mu.Lock()
		tr, gen, peerMax := l.tr, l.gen, l.peerMax
		l.mu.Unlock()
		if tr == nil {
			select {
			case <-l.wake:
			case <-l.m.done:
				return
			}
			continue
		}
		now := time.Now()
		msgs = msgs[:0]
		seq, ackAt := l.ackDue(now)
		if seq > 0 {
			msgs = append(msgs, ackMessage(seq))
		}
		bound := min(peerMax, l.m.maxMessage)
		b := l.q.next(gen, batchLimits{
			room:       frameRoom,
			maxBatch:   cfg.MaxBatchBytes,
			maxMessage: bound,
			window:     cfg.MaxInFlightBytes,
		})
		if b.tooLarge > 0 {
			l.warnTooLarge(b.tooLarge, bound)
		}
		if b.count > 0 {
			if b.inFlight == 0 {
				l.ackProgress.Store(now.UnixNano())
			}
			msgs = append(msgs, b.buf)
		}
		if len(msgs) == 0 {
			if !l.await(tr, now, ackAt, b.inFlight, timer) {
				return
			}
			continue
		}
		if err := tr.send(msgs...); err != nil {
			tr.close(closeGoingAway, "write failed")
			l.detach(tr, fmt.Errorf("send: %w", err))
			continue
		}
		if b.count > 0 {
			l.frames.Add(1)
			l.bytesSent.Add(uint64(len(b.buf) - frameRoom))
		}
	}
}

// await waits until the writer may have work: a wake-up, an
// acknowledgement falling due at ackAt (zero: none pending), or the ack
// timeout of the bytes in flight, which closes the connection. It
// returns false when the mesh is closing.
func (l *link) await(tr transport, now, ackAt time.Time, inFlight int, timer *time.Timer) bool {
	wait := time.Duration(-1)
	if !ackAt.IsZero() {
		wait = max(ackAt.Sub(now), 0)
	}
	if inFlight > 0 {
		deadline := time.Unix(0, l.ackProgress.Load()).Add(ackTimeout)
		if !now.Before(deadline) {
			tr.close(closeGoingAway, "no acknowledgement")
			l.detach(tr, fmt.Errorf("the peer acknowledged nothing for %v", ackTimeout))
			return true
		}
		if left := deadline.Sub(now); wait < 0 || left < wait {
			wait = left
		}
	}
	var fire <-chan time.Time
	if wait >= 0 {
		timer.Reset(wait)
		fire = timer.C
	}
	defer timer.Stop()
	select {
	case <-l.wake:
	case <-fire:
	case <-l.m.done:
		return false
	}
	return true
}

// ackDue returns the sequence number to acknowledge now (0: none) and,
// when an acknowledgement is pending but not yet due, when it will be.
func (l *link) ackDue(now time.Time) (seq uint64, at time.Time) {
	l.recvMu.Lock()
	defer l.recvMu.Unlock()
	a := &l.acks
	if l.fresh || l.lastSeq == a.acked || l.lastSeq == 0 {
		return 0, time.Time{}
	}
	if !a.resume && a.bytes < ackBytes && now.Sub(a.since) < ackDelay {
		return 0, a.since.Add(ackDelay)
	}
	a.acked = l.lastSeq
	a.bytes, a.resume, a.started = 0, false, false
	return l.lastSeq, time.Time{}
}

// ackMessage builds an acknowledgement with headroom for frameIn.
func ackMessage(seq uint64) []byte {
	b := make([]byte, frameRoom, frameRoom+1+10)
	return appendAck(b, seq)
}

// handle processes a message from the authenticated peer: a batch of
// publications or an acknowledgement.
func (l *link) handle(msg []byte) error {
	switch msg[0] {
	case msgBatch:
		return l.receive(msg)
	case msgAck:
		r := reader{b: msg[1:]}
		seq := r.ack()
		if r.err != nil {
			return r.err
		}
		advanced, err := l.q.ack(seq)
		if err != nil {
			return err
		}
		if advanced {
			l.ackProgress.Store(time.Now().UnixNano())
			l.signal()
		}
		return nil
	}
	return fmt.Errorf("%w: unexpected message type %q", errMalformed, msg[0])
}

// receive delivers a batch message from the peer, in order, skipping
// records already delivered (a batch resent after a reconnection) and
// counting gaps (records the peer dropped), then arranges for the
// acknowledgement.
func (l *link) receive(msg []byte) error {
	r := reader{b: msg[1:]}
	first, count := r.batchHeader()
	if r.err != nil {
		return r.err
	}
	l.recvMu.Lock()
	defer l.recvMu.Unlock()
	delivered := false
	var err error
	for i := range count {
		var pub *wamp.Publication
		var ctl *wamp.ClusterMsg
		switch kind := r.peek(); {
		case kind == recVoid:
			r.oneByte()
		case kind == recPublication:
			pub = r.record()
		default:
			ctl = r.control()
		}
		if r.err != nil {
			err = fmt.Errorf("record %d of %d: %w", i, count, r.err)
			break
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
			l.warnLost(gap)
		}
		l.lastSeq = seq
		switch {
		case pub != nil:
			l.m.deliver(pub)
		case ctl != nil && ctl.Kind.Interest():
			l.receiveInterest(ctl)
		case ctl != nil && l.m.control != nil:
			l.m.control.ClusterReceive(l.peer, ctl)
		}
		l.received.Add(1) // after delivery: a test can wait for it
		delivered = true
	}
	if err == nil && len(r.b) != 0 {
		err = fmt.Errorf("%w: %d bytes after the last record", errMalformed, len(r.b))
	}
	if delivered {
		a := &l.acks
		before := a.bytes
		a.bytes += len(msg)
		if !a.started {
			a.since, a.started = time.Now(), true
			l.signal()
		} else if before < ackBytes && a.bytes >= ackBytes {
			l.signal()
		}
	}
	return err
}

// warnLost logs a gap in the peer's sequence numbers, at most every 10 s.
func (l *link) warnLost(gap uint64) {
	if l.lostLog.allow(10 * time.Second) {
		l.m.log.Warn("publications from the peer lost: it dropped them (queue full or too large)",
			"peer", l.peer, "gap", gap, "lost_total", l.lost.Load())
	}
}

// logLimiter lets a log line through at most once per interval.
type logLimiter struct{ last atomic.Int64 }

// allow reports whether a line may be logged now.
func (g *logLimiter) allow(every time.Duration) bool {
	now := time.Now().UnixNano()
	last := g.last.Load()
	return now-last >= int64(every) && g.last.CompareAndSwap(last, now)
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
