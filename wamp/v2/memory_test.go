package v2

import (
	"runtime"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// nullConn is a connection that drops everything: its memory is the
// gateway's, not the session's.
type nullConn struct{}

func (nullConn) SendText([]byte)      {}
func (nullConn) SendBinary([]byte)    {}
func (nullConn) SendFrame([]byte)     {}
func (nullConn) Close(uint16, string) {}
func (nullConn) RemoteAddr() string   { return "null" }

// TestIdleSessionMemory measures the heap the WAMP layer holds per idle
// v2 session subscribed to one topic (HELLO, then SUBSCRIBE), at the
// design's 19,000 sessions, for each serializer. The node-wide budget is
// 1.5 KiB of RSS per v2 session, the connection included; this layer
// must stay well inside it.
func TestIdleSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 19,000 sessions per serializer")
	}
	const n = 19000
	for _, f := range []value.Format{value.JSON, value.MsgPack, value.CBOR} {
		t.Run(f.String(), func(t *testing.T) {
			r := newRouter(t, wamp.RouterConfig{})
			p := NewProtocol(f, quiet)
			hello := raw(t, f, []any{1, "realm1", roles})
			subscribe := raw(t, f, []any{32, 1, map[string]any{}, "com.example.price"})
			sessions := make([]*Session, n)
			before := heapInUse()
			for i := range sessions {
				s := NewSession(r, nullConn{}, p)
				for _, m := range [][]byte{hello, subscribe} {
					if err := s.HandleMessage(m, false); err != nil {
						t.Fatal(err)
					}
				}
				sessions[i] = s
			}
			perSession := float64(heapInUse()-before) / n
			t.Logf("WAMP layer heap per idle subscribed v2 %s session: %.0f bytes", f, perSession)
			if perSession > 400 {
				t.Errorf("%.0f bytes per session, want at most 400", perSession)
			}
			runtime.KeepAlive(sessions)
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
