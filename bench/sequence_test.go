//go:build linux

package bench

import (
	"testing"
	"time"
)

func TestTrackCountsRepeats(t *testing.T) {
	r, c := testReactor(t)
	r.cfg.TrackBase, r.cfg.TrackPublishers = 1, 1 // eventStream's publisher is number 1
	c.lastSeq = make([]uint64, 1)
	stream := eventStream(t, 4) // sequence numbers 0…3
	if _, alive := r.consume(c, append([]byte(nil), stream...), time.Now()); !alive {
		t.Fatal("dropped")
	}
	// 0 is not above the initial 0: the first frame counts as a repeat,
	// which is why publishers number from 1.
	if r.received != 4 || r.repeats != 1 || c.lastSeq[0] != 3 {
		t.Fatalf("received %d repeats %d last %d", r.received, r.repeats, c.lastSeq[0])
	}
	if _, alive := r.consume(c, append([]byte(nil), stream...), time.Now()); !alive {
		t.Fatal("dropped")
	}
	if r.received != 8 || r.repeats != 5 {
		t.Fatalf("again: received %d repeats %d", r.received, r.repeats)
	}
	r.track(c, 9, 7) // untracked publisher: ignored
	if r.repeats != 5 {
		t.Fatalf("untracked publisher counted")
	}
	r.conns = []*conn{c}
	r.resetCounts()
	if r.repeats != 0 || c.lastSeq[0] != 0 {
		t.Fatalf("reset: repeats %d last %d", r.repeats, c.lastSeq[0])
	}
}
