package broadcast

import "sync"

// queue is a link's bounded outbound queue of encoded publication records,
// numbered by a per-link sequence. Records leave it only once written, so
// a batch whose write failed is sent again on the next connection (the
// receiver drops what it has already seen by sequence number). When the
// queue holds its limit of records or of bytes, the oldest records are
// dropped and counted.
type queue struct {
	mu       sync.Mutex
	limit    int      // records
	maxBytes int      // bytes of records
	ring     [][]byte // grows up to limit
	head     int      // index of the oldest record
	n        int      // records queued
	bytes    int      // their total size
	headSeq  uint64   // sequence number of ring[head]
	dropped  uint64
}

func newQueue(limit, maxBytes int) *queue {
	return &queue{limit: limit, maxBytes: maxBytes, ring: make([][]byte, min(limit, 64)), headSeq: 1}
}

// push appends rec, dropping the oldest records to make room; it reports
// whether it dropped any.
func (q *queue) push(rec []byte) (dropped bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n > 0 && (q.n == q.limit || q.bytes+len(rec) > q.maxBytes) {
		q.bytes -= len(q.ring[q.head])
		q.ring[q.head] = nil
		q.head = (q.head + 1) % len(q.ring)
		q.headSeq++
		q.n--
		q.dropped++
		dropped = true
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = rec
	q.n++
	q.bytes += len(rec)
	return dropped
}

// grow doubles the ring, bounded by the limit.
func (q *queue) grow() {
	bigger := make([][]byte, min(2*len(q.ring), q.limit))
	for i := range q.n {
		bigger[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = bigger, 0
}

// batch copies the oldest records, up to maxBytes of them (at least one),
// into a new buffer after room bytes of headroom. It returns the buffer,
// the sequence number of the first record and how many it holds; count is
// 0 when the queue is empty. The records stay queued until commit.
func (q *queue) batch(room, maxBytes int) (buf []byte, first uint64, count int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	size := 0
	for count < q.n {
		rec := q.ring[(q.head+count)%len(q.ring)]
		if count > 0 && size+len(rec) > maxBytes {
			break
		}
		size += len(rec)
		count++
	}
	if count == 0 {
		return nil, 0, 0
	}
	buf = make([]byte, room, room+batchHeaderRoom+size)
	buf = appendBatchHeader(buf, q.headSeq, count)
	for i := range count {
		buf = append(buf, q.ring[(q.head+i)%len(q.ring)]...)
	}
	return buf, q.headSeq, count
}

// commit removes the records numbered below next: they were written.
// Records dropped meanwhile are already gone.
func (q *queue) commit(next uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n > 0 && q.headSeq < next {
		q.bytes -= len(q.ring[q.head])
		q.ring[q.head] = nil
		q.head = (q.head + 1) % len(q.ring)
		q.headSeq++
		q.n--
	}
}

// stats returns the queued and dropped counts.
func (q *queue) stats() (queued int, dropped uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n, q.dropped
}
