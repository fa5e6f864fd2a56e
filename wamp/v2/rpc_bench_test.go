package v2

import (
	"sync/atomic"
	"testing"

	"github.com/wampgate/wampgate/authz"
	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
	"github.com/wampgate/wampgate/wamp/value"
)

// countingConn is a wamp.Conn that counts what it is sent and keeps
// nothing, so that a benchmark measures the router, not the recording.
type countingConn struct{ frames atomic.Int64 }

func (c *countingConn) SendText([]byte)      { c.frames.Add(1) }
func (c *countingConn) SendBinary([]byte)    { c.frames.Add(1) }
func (c *countingConn) SendFrame([]byte)     { c.frames.Add(1) }
func (c *countingConn) Close(uint16, string) {}
func (c *countingConn) RemoteAddr() string   { return "bench" }

// BenchmarkCall is one RPC round trip on one node, caller and callee of
// the same serializer: CALL decoded and routed, INVOCATION encoded, YIELD
// decoded, RESULT encoded (the sockets are counting fakes). calls/s is
// for one core; allocs/op is per call.
func BenchmarkCall(b *testing.B) { benchmarkCall(b, wamp.RouterConfig{}) }

// BenchmarkCallWithRoles is BenchmarkCall with roles configured: the
// CALL and the REGISTER are authorized (the CALL's decision comes from
// the cache after the first).
func BenchmarkCallWithRoles(b *testing.B) {
	roles, err := authz.New(map[string][]authz.Rule{wamp.Anonymous: {
		{URI: "com.example.", Match: wamp.MatchPrefix, Allow: []wamp.Action{wamp.ActionCall, wamp.ActionRegister}},
		{URI: "com.example.admin.", Match: wamp.MatchPrefix},
		{URI: "wamp.session.count", Allow: []wamp.Action{wamp.ActionCall}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	benchmarkCall(b, wamp.RouterConfig{Authorizer: roles})
}

func benchmarkCall(b *testing.B, cfg wamp.RouterConfig) {
	for _, f := range []value.Format{value.JSON, value.MsgPack, value.CBOR} {
		b.Run(f.String(), func(b *testing.B) {
			r := newRouter(b, cfg)
			p := NewProtocol(f, quiet)
			callerConn, calleeConn := &countingConn{}, &countingConn{}
			caller, callee := NewSession(r, callerConn, p), NewSession(r, calleeConn, p)
			hello := raw(b, f, []any{1, "realm1", rpcRoles})
			for _, s := range []*Session{caller, callee} {
				if err := s.HandleMessage(hello, false); err != nil {
					b.Fatal(err)
				}
			}
			if err := callee.HandleMessage(raw(b, f, []any{64, 1, map[string]any{}, "com.example.add"}), false); err != nil {
				b.Fatal(err)
			}
			call := raw(b, f, []any{48, 1, map[string]any{}, "com.example.add", []any{"hello", 42}})
			result := raw(b, f, []any{"hello", 42})
			ser := SerializerFor(f)
			yield := make([]byte, 0, 64)
			ym := Message{Type: Yield, Args: result}
			b.ReportAllocs()
			n := uint64(0)
			for b.Loop() {
				n++
				if err := caller.HandleMessage(call, false); err != nil {
					b.Fatal(err)
				}
				var err error
				ym.Request = n
				if yield, err = ser.Append(yield[:0], &ym); err != nil {
					b.Fatal(err)
				}
				if err := callee.HandleMessage(yield, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			if got, want := callerConn.frames.Load(), int64(1+b.N); got != want {
				b.Fatalf("caller got %d frames, want %d (WELCOME and a RESULT per call)", got, want)
			}
			if st := r.Stats(); st.CallsInFlight != 0 {
				b.Fatalf("%d calls in flight", st.CallsInFlight)
			}
		})
	}
}

// BenchmarkV1CallToV2Callee is the v1 bridge's round trip: a v1 CALL
// routed to a v2 JSON callee, its YIELD answered as CALLRESULT.
func BenchmarkV1CallToV2Callee(b *testing.B) {
	r := newRouter(b, wamp.RouterConfig{})
	f := value.JSON
	calleeConn, callerConn := &countingConn{}, &countingConn{}
	callee := NewSession(r, calleeConn, NewProtocol(f, quiet))
	if err := callee.HandleMessage(raw(b, f, []any{1, "realm1", rpcRoles}), false); err != nil {
		b.Fatal(err)
	}
	if err := callee.HandleMessage(raw(b, f, []any{64, 1, map[string]any{}, "http://example.com/calc/add"}), false); err != nil {
		b.Fatal(err)
	}
	caller := v1.NewSession(r, callerConn)
	caller.Open()
	call := []byte(`[2,"c1","http://example.com/calc/add",1,2]`)
	ser := SerializerFor(f)
	yield := make([]byte, 0, 64)
	ym := Message{Type: Yield, Args: []byte(`[3]`)}
	b.ReportAllocs()
	n := uint64(0)
	for b.Loop() {
		n++
		if err := caller.HandleMessage(call, false); err != nil {
			b.Fatal(err)
		}
		var err error
		ym.Request = n
		if yield, err = ser.Append(yield[:0], &ym); err != nil {
			b.Fatal(err)
		}
		if err := callee.HandleMessage(yield, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	if got, want := callerConn.frames.Load(), int64(b.N); got != want {
		b.Fatalf("caller got %d frames, want a CALLRESULT per call (%d)", got, want)
	}
}
