//go:build linux

package bench

import (
	"bytes"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/bench/internal/wire"
)

// eventStream returns n EVENT frames as a server would pack them into one
// segment.
func eventStream(t testing.TB, n int) []byte {
	pub := wire.NewPublication(wire.TopicJSON("bench/t"), 1, 128, true)
	var out bytes.Buffer
	for i := 0; i < n; i++ {
		msg := pub.Stamp(time.Now().UnixNano(), uint64(i))
		// [7,"bench/t",<event>,true] → [8,"bench\/t",<event>]
		ev := append([]byte(`[8,"bench\/t",`), msg[len(`[7,"bench/t",`):len(msg)-len(`,true]`)]...)
		ev = append(ev, ']')
		if err := ws.WriteFrame(&out, ws.NewTextFrame(ev)); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

func testReactor(t testing.TB) (*reactor, *conn) {
	b, err := newBoard()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.close)
	r, err := newReactor(reactorConfig{Slot: b.slot(0), Topic: "bench/t"})
	if err != nil {
		t.Fatal(err)
	}
	return r, &conn{fd: -1, role: roleSubscriber, phase: phaseOpen, pendingIdx: -1}
}

func TestConsumeKeepsPartialFrames(t *testing.T) {
	r, c := testReactor(t)
	stream := eventStream(t, 5)
	// Split the stream at every position: both halves together must
	// yield exactly five events.
	for cut := 0; cut <= len(stream); cut++ {
		r.received = 0
		rest, alive := r.consume(c, append([]byte(nil), stream[:cut]...), time.Now())
		if !alive {
			t.Fatalf("cut %d: dropped", cut)
		}
		_, alive = r.consume(c, append(append([]byte(nil), rest...), stream[cut:]...), time.Now())
		if !alive || r.received != 5 || r.foreign != 0 {
			t.Fatalf("cut %d: received %d foreign %d", cut, r.received, r.foreign)
		}
	}
	if r.lat.Count() != uint64(5*(len(stream)+1)) {
		t.Fatalf("latency samples %d", r.lat.Count())
	}
}

func BenchmarkConsume16Events(b *testing.B) {
	r, c := testReactor(b)
	stream := eventStream(b, 16)
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for i := 0; i < b.N; i++ {
		if _, ok := r.consume(c, stream, now); !ok {
			b.Fatal("dropped")
		}
	}
}
