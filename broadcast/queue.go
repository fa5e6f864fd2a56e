package broadcast

import (
	"fmt"
	"sync"

	"github.com/wampgate/wampgate/wamp"
)

// queue is a link's bounded outbound queue of encoded publication records,
// numbered by a per-link sequence. A record stays until the peer
// acknowledges it (or a later one): records sent on a connection that
// broke are sent again on the next one, and the receiver skips what it has
// already delivered by sequence number. A cursor separates the records
// sent on the current connection (in flight, unacknowledged) from those
// still to send. When the queue holds its limit of records or of bytes,
// the oldest records are dropped and counted.
type queue struct {
	mu        sync.Mutex
	limit     int      // records
	maxBytes  int      // bytes of records
	ring      [][]byte // grows up to limit; nil: a record dropped as too large
	head      int      // index of the oldest record
	n         int      // records held
	bytes     int      // their total size
	headSeq   uint64   // sequence number of ring[head]
	sent      int      // records from head on sent on the current connection
	sentBytes int      // their size: bytes in flight
	gen       uint64   // the connection the cursor belongs to (link.gen)
	highSent  uint64   // highest sequence number ever sent
	firstSent uint64   // records sent at least once
	dropped   uint64   // dropped because the queue was full
	tooLarge  uint64   // dropped because the peer could never accept them
	resent    uint64   // records sent more than once
}

func newQueue(limit, maxBytes int) *queue {
	return &queue{limit: limit, maxBytes: maxBytes, ring: make([][]byte, min(limit, 64)), headSeq: 1}
}

// at returns the i-th record from the head.
func (q *queue) at(i int) []byte { return q.ring[(q.head+i)%len(q.ring)] }

// push appends rec, dropping the oldest records to make room; it reports
// whether it dropped any, and whether one of them was a control record.
func (q *queue) push(rec []byte) (dropped, droppedControl bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n > 0 && (q.n == q.limit || q.bytes+len(rec) > q.maxBytes) {
		if old := q.ring[q.head]; old != nil && wamp.ClusterKind(old[0]).Valid() {
			droppedControl = true
		}
		q.popLocked()
		q.dropped++
		dropped = true
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = rec
	q.n++
	q.bytes += len(rec)
	return dropped, droppedControl
}

// voidTransient replaces every queued control record of a transaction
// (a proposal, a vote, a call or its answer) with a void record: the
// link went down, and both nodes end those transactions themselves.
// Sequence numbers stay.
func (q *queue) voidTransient() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.n {
		j := (q.head + i) % len(q.ring)
		rec := q.ring[j]
		if rec == nil || !transient(rec) {
			continue
		}
		q.ring[j] = voidRecord
		q.bytes -= len(rec) - len(voidRecord)
		if i < q.sent {
			q.sentBytes -= len(rec) - len(voidRecord)
		}
	}
}

// popLocked removes the oldest record, moving the cursor with it.
func (q *queue) popLocked() {
	size := len(q.ring[q.head])
	q.bytes -= size
	if q.sent > 0 {
		q.sent--
		q.sentBytes -= size
	}
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.headSeq++
	q.n--
}

// grow doubles the ring, bounded by the limit.
func (q *queue) grow() {
	bigger := make([][]byte, min(2*len(q.ring), q.limit))
	for i := range q.n {
		bigger[i] = q.at(i)
	}
	q.ring, q.head = bigger, 0
}

// batchLimits bound the next batch.
type batchLimits struct {
	room       int // headroom before the message (frameRoom)
	maxBatch   int // bytes of records in one batch (at least one record)
	maxMessage int // the peer's message bound: header plus records
	window     int // no batch starts with this many bytes in flight
}

// batch is what queue.next took for the writer.
type batch struct {
	buf      []byte // the batch message after its headroom; nil if none
	first    uint64 // sequence number of its first record
	count    int    // records in it
	tooLarge int    // size of a record dropped as too large for the peer; 0: none
	inFlight int    // bytes in flight before this batch
}

// next takes the records after the cursor, as many as lim allows (at
// least one), unless the window is full, and copies them into a new batch
// message after lim.room bytes of headroom, advancing the cursor. A record
// that can never fit the peer's message bound is dropped (counted in
// tooLarge; the receiver sees a gap) and the batch stops before it or
// skips it. The batch is empty when there is nothing to send, when the
// window is full, or when the cursor does not belong to connection gen (a
// writer that fetched the transport before a reconnection rewound the
// cursor, or before the rewind is done).
func (q *queue) next(gen uint64, lim batchLimits) (b batch) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if gen != q.gen {
		return b
	}
	b.inFlight = q.sentBytes
	if q.sentBytes >= lim.window && q.sentBytes > 0 {
		return b // full batches only: the window is checked before one starts
	}
	size := 0
	for q.sent+b.count < q.n {
		i := q.sent + b.count
		rec := q.at(i)
		if rec == nil || batchHeaderRoom+len(rec) > lim.maxMessage {
			if b.count > 0 {
				break // the next batch starts after it
			}
			if rec != nil {
				q.ring[(q.head+i)%len(q.ring)] = nil
				q.bytes -= len(rec)
				q.tooLarge++
				b.tooLarge = len(rec)
			}
			q.sent++ // skipped: the receiver sees a gap
			continue
		}
		if b.count > 0 && (size+len(rec) > lim.maxBatch || batchHeaderRoom+size+len(rec) > lim.maxMessage) {
			break
		}
		size += len(rec)
		b.count++
	}
	if b.count == 0 {
		return b
	}
	b.first = q.headSeq + uint64(q.sent)
	b.buf = make([]byte, lim.room, lim.room+batchHeaderRoom+size)
	b.buf = appendBatchHeader(b.buf, b.first, b.count)
	for i := range b.count {
		b.buf = append(b.buf, q.at(q.sent+i)...)
	}
	q.sent += b.count
	q.sentBytes += size
	if last := b.first + uint64(b.count) - 1; last > q.highSent {
		again := uint64(max(int64(q.highSent)-int64(b.first)+1, 0))
		q.resent += again
		q.firstSent += uint64(b.count) - again
		q.highSent = last
	} else {
		q.resent += uint64(b.count)
	}
	return b
}

// ack forgets every record up to seq: the peer delivered them. It
// reports whether that freed anything; an acknowledgement of a record
// never sent is an error, an old one is ignored.
func (q *queue) ack(seq uint64) (advanced bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if seq > q.highSent {
		return false, fmt.Errorf("%w: acknowledgement of record %d, only %d were sent", errMalformed, seq, q.highSent)
	}
	for q.n > 0 && q.headSeq <= seq {
		q.popLocked()
		advanced = true
	}
	return advanced, nil
}

// rewind moves the cursor back to the oldest record for connection gen:
// a new connection sends everything not yet acknowledged.
func (q *queue) rewind(gen uint64) {
	q.mu.Lock()
	q.sent, q.sentBytes, q.gen = 0, 0, gen
	q.mu.Unlock()
}

// queueStats are a queue's counters.
type queueStats struct {
	queued, unacked                 int
	sent, dropped, tooLarge, resent uint64
}

// stats returns the counts of records to send and in flight, and the
// send, drop and resend counters.
func (q *queue) stats() queueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return queueStats{queued: q.n - q.sent, unacked: q.sent, sent: q.firstSent,
		dropped: q.dropped, tooLarge: q.tooLarge, resent: q.resent}
}
