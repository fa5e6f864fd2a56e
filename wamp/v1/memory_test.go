package v1

import (
	"runtime"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

// TestIdleSessionMemory measures the heap the WAMP layer holds per idle v1
// session subscribed to one topic, at the design's 19,000 sessions (the
// connection itself is the gateway's and not counted). The node-wide
// budget is 1 KiB of RSS per session; this layer must stay well inside it.
func TestIdleSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 19,000 sessions")
	}
	const n = 19000
	r := newRouter(wamp.RouterConfig{})
	conns := make([]nullConn, n) // allocated before measuring: not ours
	sessions := make([]*Session, n)
	before := heapInUse()
	for i := range sessions {
		s := NewSession(r, &conns[i])
		s.Open()
		if err := s.HandleMessage([]byte(`[5,"price/channel"]`), false); err != nil {
			t.Fatal(err)
		}
		sessions[i] = s
	}
	perSession := float64(heapInUse()-before) / n
	t.Logf("WAMP layer heap per idle subscribed v1 session: %.0f bytes", perSession)
	if perSession > 400 {
		t.Errorf("%.0f bytes per session, want at most 400", perSession)
	}
	runtime.KeepAlive(sessions)
	runtime.KeepAlive(conns)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
