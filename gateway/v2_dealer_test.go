package gateway

import (
	"fmt"
	"testing"

	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// WAMP v2 RPC over real sockets, exact frames: v2 callers and callees of
// every serializer pair, progressive results, cancel, timeout, a callee
// that disconnects, and v1 callers reaching v2 callees.

// rpcClientRoles is HELLO.Details of a client that calls and registers,
// with call canceling and progressive results.
var rpcClientRoles = dict{"roles": dict{
	"caller": dict{"features": dict{"call_canceling": true, "progressive_call_results": true}},
	"callee": dict{"features": dict{"call_canceling": true, "progressive_call_results": true}},
}}

// joinRPC connects with serializer f and establishes a session in realm1
// announcing rpcClientRoles; it requires the exact WELCOME.
func joinRPC(t testing.TB, addr string, f value.Format) *v2Client {
	t.Helper()
	c := dialV2(t, addr, f)
	c.send(1, "realm1", rpcClientRoles)
	m := c.recv()
	if len(m) != 3 || m[0] != int64(2) {
		t.Fatalf("want WELCOME, got %v", m)
	}
	c.ID = uint64(m[1].(int64))
	if got, want := encodeV2(t, f, m...), c.encode(2, c.ID, welcomeV2(c.ID)); string(got) != string(want) {
		t.Fatalf("WELCOME %s\nwant %s", c.show(got), c.show(want))
	}
	return c
}

// register registers procedure with options and returns the
// registration id of the REGISTERED.
func (c *v2Client) register(req uint64, opts dict, procedure string) uint64 {
	c.t.Helper()
	c.send(64, req, opts, procedure)
	m := c.recv()
	if len(m) != 3 || m[0] != int64(65) || m[1] != int64(req) {
		c.t.Fatalf("want REGISTERED %d, got %v", req, m)
	}
	return uint64(m[2].(int64))
}

func TestV2CallAcrossSerializers(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	for _, cf := range v2Formats {
		for _, ef := range v2Formats {
			t.Run(cf.String()+"-caller-"+ef.String()+"-callee", func(t *testing.T) {
				t.Parallel()
				proc := fmt.Sprintf("com.example.rpc.%s.%s", cf, ef)
				caller, callee := joinRPC(t, n.Addr(), cf), joinRPC(t, n.Addr(), ef)
				reg := callee.register(1, dict{}, proc)
				args := list{"hello", 42, []byte{0x00, 0x01, 0xfe, 0xff}, nil, 1.5}
				kwargs := dict{"bin": []byte("\x00\x00"), "nested": list{true, dict{"x": 1}}}

				caller.send(48, 1, dict{"disclose_me": true}, proc, args, kwargs)
				callee.expect(68, 1, reg, dict{"caller": caller.ID, "caller_authid": itoa(caller.ID), "caller_authrole": "anonymous"}, args, kwargs)
				callee.send(70, 1, dict{}, list{[]byte{0xca, 0xfe}}, dict{"sum": 43})
				caller.expect(50, 1, dict{}, list{[]byte{0xca, 0xfe}}, dict{"sum": 43})

				// kwargs only, and nothing at all.
				caller.send(48, 2, dict{}, proc, list{}, dict{"only": "kwargs"})
				callee.expect(68, 2, reg, dict{}, list{}, dict{"only": "kwargs"})
				callee.send(70, 2, dict{})
				caller.expect(50, 2, dict{})

				// The callee's ERROR keeps its URI, args and kwargs.
				caller.send(48, 3, dict{}, proc)
				callee.expect(68, 3, reg, dict{})
				callee.send(8, 68, 3, dict{}, "com.example.error.bad", list{"bad", []byte{1}}, dict{"field": "x"})
				caller.expect(8, 48, 3, dict{}, "com.example.error.bad", list{"bad", []byte{1}}, dict{"field": "x"})

				callee.send(66, 2, reg)
				callee.expect(67, 2)
				caller.send(48, 4, dict{}, proc)
				caller.expect(8, 48, 4, dict{}, v2.ErrNoSuchProcedure, list{"no procedure " + proc + " is registered on this node"})
				callee.sync()
			})
		}
	}
}

func TestV2ProgressCancelTimeout(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	caller, callee := joinRPC(t, n.Addr(), value.JSON), joinRPC(t, n.Addr(), value.MsgPack)
	reg := callee.register(1, dict{"match": "prefix"}, "com.example.long.")

	// Progressive results, then the final one.
	caller.send(48, 1, dict{"receive_progress": true}, "com.example.long.sum", list{2010, 2011})
	callee.expect(68, 1, reg, dict{"procedure": "com.example.long.sum", "receive_progress": true}, list{2010, 2011})
	callee.send(70, 1, dict{"progress": true}, list{"Y2010", 120})
	callee.send(70, 1, dict{"progress": true}, list{}, dict{"partial": true})
	callee.send(70, 1, dict{}, list{"Total", 490})
	caller.expect(50, 1, dict{"progress": true}, list{"Y2010", 120})
	caller.expect(50, 1, dict{"progress": true}, list{}, dict{"partial": true})
	caller.expect(50, 1, dict{}, list{"Total", 490})

	// CANCEL: skip (no INTERRUPT), kill (the callee's answer ends it),
	// killnowait (ERROR at once, INTERRUPT, the late answer dropped).
	canceled := list{"the call was canceled"}
	caller.send(48, 2, dict{}, "com.example.long.a")
	callee.expect(68, 2, reg, dict{"procedure": "com.example.long.a"})
	caller.send(49, 2, dict{"mode": "skip"})
	caller.expect(8, 48, 2, dict{}, v2.ErrCanceled, canceled)
	callee.send(70, 2, dict{})

	caller.send(48, 3, dict{}, "com.example.long.b")
	callee.expect(68, 3, reg, dict{"procedure": "com.example.long.b"})
	caller.send(49, 3, dict{"mode": "kill"})
	callee.expect(69, 3, dict{"mode": "kill", "reason": v2.ErrCanceled})
	callee.send(8, 68, 3, dict{}, v2.ErrCanceled, list{"stopped at 40%"})
	caller.expect(8, 48, 3, dict{}, v2.ErrCanceled, list{"stopped at 40%"})

	caller.send(48, 4, dict{}, "com.example.long.c")
	callee.expect(68, 4, reg, dict{"procedure": "com.example.long.c"})
	caller.send(49, 4, dict{"mode": "killnowait"})
	caller.expect(8, 48, 4, dict{}, v2.ErrCanceled, canceled)
	callee.expect(69, 4, dict{"mode": "killnowait", "reason": v2.ErrCanceled})
	callee.send(8, 68, 4, dict{}, v2.ErrCanceled)

	// Timeout: the dealer ends the call and interrupts the callee.
	caller.send(48, 5, dict{"timeout": 50}, "com.example.long.d", list{1})
	callee.expect(68, 5, reg, dict{"procedure": "com.example.long.d"}, list{1})
	caller.expect(8, 48, 5, dict{}, v2.ErrTimeout, list{"the call timed out"})
	callee.expect(69, 5, dict{"mode": "killnowait", "reason": v2.ErrTimeout})
	callee.send(70, 5, dict{}, list{"too late"})
	caller.sync()
	callee.sync()
	if st := n.Stats().WAMP; st.CallsInFlight != 0 || st.Registrations != 1 {
		t.Fatalf("/healthz: %d calls in flight, %d registrations; want 0 and 1", st.CallsInFlight, st.Registrations)
	}
}

// TestV2CalleeDisconnects: the callers of a callee whose connection drops
// get wamp.error.canceled.
func TestV2CalleeDisconnects(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		proc := "com.example.gone." + f.String()
		caller, callee := joinRPC(t, n.Addr(), f), joinRPC(t, n.Addr(), value.CBOR)
		reg := callee.register(1, dict{}, proc)
		caller.send(48, 1, dict{}, proc)
		caller.send(48, 2, dict{"timeout": 60000}, proc)
		callee.expect(68, 1, reg, dict{})
		callee.expect(68, 2, reg, dict{})
		callee.Close()
		caller.expect(8, 48, 1, dict{}, v2.ErrCanceled, list{"the callee left"})
		caller.expect(8, 48, 2, dict{}, v2.ErrCanceled, list{"the callee left"})
		caller.send(48, 3, dict{}, proc)
		caller.expect(8, 48, 3, dict{}, v2.ErrNoSuchProcedure, list{"no procedure " + proc + " is registered on this node"})
	})
}

// TestV1CallerToV2Callee: a v1 CALL (after CURIE expansion) reaches the
// v2 callee of its URI with its arguments as INVOCATION args; the
// answer comes back as CALLRESULT or CALLERROR, exact to the byte; a
// v1 caller that disconnects interrupts its call.
func TestV1CallerToV2Callee(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		// A v2 URI has no '#': the v1 client's CURIE prefix ends in '/'.
		proc := "http://example.com/" + f.String() + "/calc/add"
		callee := joinRPC(t, n.Addr(), f)
		reg := callee.register(1, dict{}, proc)
		w := dialWAMP(t, n.Addr())
		w.send(`[1,"calc","http://example.com/` + f.String() + `/calc/"]`)
		for i, tc := range []struct {
			answer list   // the callee's YIELD or ERROR, after the request id
			want   string // the v1 answer, with %s for the call id
		}{
			{list{70, dict{}, list{23}}, `[3,%s,23]`},
			{list{70, dict{}, list{1, "a/b", nil}}, `[3,%s,[1,"a/b",null]]`},
			{list{70, dict{}, list{}, dict{"k": list{1.5}}}, `[3,%s,{"k":[1.5]}]`},
			{list{70, dict{}}, `[3,%s,null]`},
			{list{70, dict{}, list{[]byte{0xff}}}, `[3,%s,"\u0000/w=="]`},
			{list{8, dict{}, "com.example.error.bad/x", list{"bad é/x"}}, `[4,%s,"com.example.error.bad\/x","bad \u00e9\/x"]`},
			{list{8, dict{}, "e", list{"d", 1, 2}}, `[4,%s,"e","d",[1,2]]`},
			{list{8, dict{}, "e", list{"d"}, dict{"why": "x"}}, `[4,%s,"e","d",{"why":"x"}]`},
			{list{8, dict{}, "e", list{7}}, `[4,%s,"e","e",7]`},
			{list{8, dict{}, "e"}, `[4,%s,"e","e"]`},
		} {
			callID := fmt.Sprintf(`"c%d"`, i)
			w.send(`[2,` + callID + `,"calc:add", 1 , {"x": [2]}, "s"]`)
			callee.expect(68, i+1, reg, dict{}, list{1, dict{"x": list{2}}, "s"})
			msg := list{tc.answer[0]}
			if tc.answer[0] == 8 {
				msg = append(msg, 68)
			}
			callee.send(append(append(msg, i+1), tc.answer[1:]...)...)
			w.expectText(fmt.Sprintf(tc.want, callID))
		}
		// A CALL nobody serves still gets the handler's answer.
		w.send(`[2,"x","calc:sub"]`)
		w.expectText(`[4,"x","wamp.error.no_such_procedure","no procedure http:\/\/example.com\/` + f.String() + `\/calc\/sub is registered on this node"]`)
		// The v1 caller goes away mid-call.
		w.send(`[2,"gone","calc:add"]`)
		callee.expect(68, 11, reg, dict{}, list{})
		w.Close()
		callee.expect(69, 11, dict{"mode": "killnowait", "reason": v2.ErrCanceled})
		callee.send(70, 11, dict{}, list{1})
		callee.sync()
	})
}
