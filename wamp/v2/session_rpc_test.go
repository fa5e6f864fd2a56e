package v2

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// rpcRoles is HELLO.Details of a caller and callee that announces
// call_canceling and progressive_call_results.
var rpcRoles = map[string]any{"roles": map[string]any{
	"caller": map[string]any{"features": map[string]any{"call_canceling": true, "progressive_call_results": true}},
	"callee": map[string]any{"features": map[string]any{"call_canceling": true, "progressive_call_results": true}},
}}

// join establishes a session announcing details and returns its id.
func (pe *peer) join(details map[string]any) uint64 {
	pe.t.Helper()
	pe.send(1, "realm1", details)
	msgs := pe.take()
	if len(msgs) != 1 || msgs[0][0] != int64(2) {
		pe.t.Fatalf("want WELCOME, got %v", msgs)
	}
	return uint64(msgs[0][1].(int64))
}

// waitMessages polls until pe has recorded n messages, failing after 5 s.
func (pe *peer) waitMessages(n int) {
	pe.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(pe.c.Messages()) < n; {
		if time.Now().After(deadline) {
			pe.t.Fatalf("timed out waiting for %d messages, have %q", n, pe.c.Messages())
		}
		time.Sleep(time.Millisecond)
	}
}

// checkNoCalls fails when r has registrations or calls left.
func checkNoCalls(t *testing.T, r *wamp.Router) {
	t.Helper()
	if st := r.Stats(); st.CallsInFlight != 0 || st.Registrations != 0 {
		t.Fatalf("left behind: %d calls in flight, %d registrations", st.CallsInFlight, st.Registrations)
	}
}

func TestRegisterMessages(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{MaxRegistrations: 3})
		a, b := newPeer(t, r, p), newPeer(t, r, p)
		a.join(rpcRoles)
		b.join(rpcRoles)
		invokeText := []any{`option "invoke" must be "single", "roundrobin", "random", "first" or "last"`}
		for _, tc := range []struct {
			pe   *peer
			msg  []any
			want []any
		}{
			{a, []any{64, 1, map[string]any{}, "com.app.f"}, []any{65, 1, 1}},
			{b, []any{64, 2, map[string]any{}, "com.app.f"}, []any{8, 64, 2, map[string]any{}, ErrProcedureAlreadyExists,
				[]any{"the procedure is already registered"}}},
			{a, []any{64, 3, map[string]any{"invoke": "roundrobin", "match": "prefix"}, "com.app."}, []any{65, 3, 2}},
			{b, []any{64, 4, map[string]any{"invoke": "roundrobin", "match": "prefix"}, "com.app."}, []any{65, 4, 2}},
			{b, []any{64, 5, map[string]any{"invoke": "last", "match": "prefix"}, "com.app."}, []any{8, 64, 5, map[string]any{}, ErrProcedureAlreadyExists,
				[]any{"the procedure is already registered"}}},
			{a, []any{64, 6, map[string]any{"match": "wildcard", "disclose_caller": true}, "com..f"}, []any{65, 6, 3}},
			{a, []any{64, 7, map[string]any{}, "com.app.g"}, []any{8, 64, 7, map[string]any{}, ErrTooManyRegistrations,
				[]any{`register "com.app.g": wamp: too many registrations (limit 3)`}}},
			{b, []any{64, 8, map[string]any{}, "wamp.session.count"}, []any{8, 64, 8, map[string]any{}, ErrInvalidURI,
				[]any{"the prefix wamp. is reserved for the router's own procedures"}}},
			{b, []any{64, 9, map[string]any{}, "com..f"}, []any{8, 64, 9, map[string]any{}, ErrInvalidURI, []any{`"com..f" is not a valid exact procedure URI`}}},
			{b, []any{64, 10, map[string]any{"match": "prefix"}, "a b"}, []any{8, 64, 10, map[string]any{}, ErrInvalidURI, []any{`"a b" is not a valid prefix procedure URI`}}},
			{b, []any{64, 11, map[string]any{"match": 1}, "x"}, []any{8, 64, 11, map[string]any{}, ErrInvalidArgument, []any{`option "match" must be "exact", "prefix" or "wildcard"`}}},
			{b, []any{64, 12, map[string]any{"invoke": "any"}, "x"}, []any{8, 64, 12, map[string]any{}, ErrInvalidArgument, invokeText}},
			{b, []any{64, 13, map[string]any{"invoke": ""}, "x"}, []any{8, 64, 13, map[string]any{}, ErrInvalidArgument, invokeText}},
			{b, []any{64, 14, map[string]any{"disclose_caller": "yes"}, "x"}, []any{8, 64, 14, map[string]any{}, ErrInvalidArgument, []any{`option "disclose_caller" must be a boolean`}}},
			{b, []any{64, 15, map[string]any{"concurrency": 4, "force_reregister": true}, "x"}, []any{65, 15, 4}}, // unknown options are ignored
			{b, []any{66, 16, 1}, []any{8, 66, 16, map[string]any{}, ErrNoSuchRegistration, []any{"no registration with this id"}}},
			{a, []any{66, 17, 1}, []any{67, 17}},
			{a, []any{66, 18, 1}, []any{8, 66, 18, map[string]any{}, ErrNoSuchRegistration, []any{"no registration with this id"}}},
			{b, []any{64, 19, map[string]any{}, "com.app.f"}, []any{65, 19, 5}},
		} {
			tc.pe.send(tc.msg...)
			tc.pe.expect(tc.want)
		}
		a.send(6, map[string]any{}, CloseGoodbyeAndOut)
		b.s.Closed()
		checkNoCalls(t, r)
	})
}

// TestCallAcrossSerializers: a caller and a callee of every pair of
// serializers; the callee gets the caller's payload converted (binary
// included), the caller gets the callee's.
func TestCallAcrossSerializers(t *testing.T) {
	formats := []value.Format{value.JSON, value.MsgPack, value.CBOR}
	for _, cf := range formats {
		for _, ef := range formats {
			t.Run(cf.String()+"-to-"+ef.String(), func(t *testing.T) {
				r := newRouter(t, wamp.RouterConfig{})
				caller, callee := newPeer(t, r, NewProtocol(cf, quiet)), newPeer(t, r, NewProtocol(ef, quiet))
				callerID := caller.join(rpcRoles)
				callee.join(rpcRoles)
				callee.send(64, 1, map[string]any{}, "com.app.echo")
				callee.expect([]any{65, 1, 1})
				args := []any{int64(1), []byte{0, 1, 0xff}, "x"}
				kwargs := map[string]any{"k": []any{true, nil}}
				caller.send(48, 7, map[string]any{"disclose_me": true}, "com.app.echo", args, kwargs)
				callee.expect([]any{68, 1, 1, map[string]any{"caller": callerID, "caller_authid": fmt.Sprint(callerID), "caller_authrole": "anonymous"}, args, kwargs})
				callee.send(70, 1, map[string]any{}, []any{[]byte{0xfe}}, map[string]any{"n": 2.5})
				caller.expect([]any{50, 7, map[string]any{}, []any{[]byte{0xfe}}, map[string]any{"n": 2.5}})
				caller.send(48, 8, map[string]any{}, "com.app.echo")
				callee.expect([]any{68, 2, 1, map[string]any{}})
				callee.send(8, 68, 2, map[string]any{}, "com.app.error.bad", []any{"bad"}, map[string]any{"why": []byte{7}})
				caller.expect([]any{8, 48, 8, map[string]any{}, "com.app.error.bad", []any{"bad"}, map[string]any{"why": []byte{7}}})
				callee.send(70, 2, map[string]any{}) // late: dropped
				caller.expect()
				checkNoCallsLeft(t, r)
			})
		}
	}
}

// checkNoCallsLeft fails when calls are in flight.
func checkNoCallsLeft(t *testing.T, r *wamp.Router) {
	t.Helper()
	if n := r.Stats().CallsInFlight; n != 0 {
		t.Fatalf("%d calls in flight", n)
	}
}

func TestCallErrors(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{})
		pe := newPeer(t, r, p)
		pe.join(rpcRoles)
		timeoutText := []any{`option "timeout" must be a non-negative integer (milliseconds)`}
		for _, tc := range []struct {
			msg  []any
			want []any
		}{
			{[]any{48, 1, map[string]any{}, "com.app.none"}, []any{8, 48, 1, map[string]any{}, ErrNoSuchProcedure, []any{"no procedure com.app.none is registered on this node"}}},
			{[]any{48, 2, map[string]any{}, "com..none"}, []any{8, 48, 2, map[string]any{}, ErrInvalidURI, []any{`"com..none" is not a valid procedure URI`}}},
			{[]any{48, 3, map[string]any{"timeout": -1}, "f"}, []any{8, 48, 3, map[string]any{}, ErrInvalidArgument, timeoutText}},
			{[]any{48, 4, map[string]any{"timeout": "1s"}, "f"}, []any{8, 48, 4, map[string]any{}, ErrInvalidArgument, timeoutText}},
			{[]any{48, 5, map[string]any{"timeout": 1.5}, "f"}, []any{8, 48, 5, map[string]any{}, ErrInvalidArgument, timeoutText}},
			{[]any{48, 6, map[string]any{"receive_progress": 1}, "f"}, []any{8, 48, 6, map[string]any{}, ErrInvalidArgument, []any{`option "receive_progress" must be a boolean`}}},
			{[]any{48, 7, map[string]any{"disclose_me": "yes"}, "f"}, []any{8, 48, 7, map[string]any{}, ErrInvalidArgument, []any{`option "disclose_me" must be a boolean`}}},
			{[]any{48, 8, map[string]any{"progress": true}, "f"}, []any{8, 48, 8, map[string]any{}, ErrFeatureNotSupported, []any{"progressive call invocations are not supported"}}},
			{[]any{48, 9, map[string]any{"progress": "x"}, "f"}, []any{8, 48, 9, map[string]any{}, ErrInvalidArgument, []any{`option "progress" must be a boolean`}}},
			// Good options; nobody serves f.
			{[]any{48, 10, map[string]any{"timeout": 1000.0, "receive_progress": true, "disclose_me": false, "x": 1}, "f"},
				[]any{8, 48, 10, map[string]any{}, ErrNoSuchProcedure, []any{"no procedure f is registered on this node"}}},
			{[]any{48, 11, map[string]any{"timeout": uint64(1) << 62}, "f"}, []any{8, 48, 11, map[string]any{}, ErrNoSuchProcedure, []any{"no procedure f is registered on this node"}}},
			// CANCEL, YIELD and ERROR for nothing in flight are ignored.
			{[]any{49, 1, map[string]any{"mode": "kill"}}, nil},
			{[]any{49, 1, map[string]any{"mode": 5}}, nil},
			{[]any{70, 1, map[string]any{"progress": true}}, nil},
			{[]any{8, 68, 1, map[string]any{}, "e", []any{}}, nil},
		} {
			pe.send(tc.msg...)
			if tc.want == nil {
				pe.expect()
			} else {
				pe.expect(tc.want)
			}
		}
	})
}

func TestProgressiveCallResults(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{})
		caller, callee, plain := newPeer(t, r, p), newPeer(t, r, p), newPeer(t, r, p)
		caller.join(rpcRoles)
		callee.join(rpcRoles)
		plain.join(roles) // a callee without progressive_call_results
		callee.send(64, 1, map[string]any{}, "long")
		plain.send(64, 1, map[string]any{}, "plain")
		callee.take()
		plain.take()
		caller.send(48, 1, map[string]any{"receive_progress": true}, "long", []any{2010})
		callee.expect([]any{68, 1, 1, map[string]any{"receive_progress": true}, []any{2010}})
		callee.send(70, 1, map[string]any{"progress": true}, []any{"Y2010", 120})
		callee.send(70, 1, map[string]any{"progress": true})
		callee.send(70, 1, map[string]any{}, []any{"Total", 490})
		caller.expect(
			[]any{50, 1, map[string]any{"progress": true}, []any{"Y2010", 120}},
			[]any{50, 1, map[string]any{"progress": true}},
			[]any{50, 1, map[string]any{}, []any{"Total", 490}},
		)
		caller.send(48, 2, map[string]any{"receive_progress": true}, "plain")
		plain.expect([]any{68, 1, 2, map[string]any{}})
		plain.send(70, 1, map[string]any{})
		caller.expect([]any{50, 2, map[string]any{}})
		checkNoCallsLeft(t, r)
	})
}

func TestCancelAndInterrupt(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{})
		caller, callee := newPeer(t, r, p), newPeer(t, r, p)
		caller.join(rpcRoles)
		callee.join(rpcRoles)
		callee.send(64, 1, map[string]any{}, "f")
		callee.take()
		canceled := func(req int) []any {
			return []any{8, 48, req, map[string]any{}, ErrCanceled, []any{"the call was canceled"}}
		}
		for req, mode := range []string{"skip", "kill", "killnowait", ""} {
			caller.send(48, req+1, map[string]any{}, "f")
			callee.expect([]any{68, req + 1, 1, map[string]any{}})
			opts := map[string]any{}
			if mode != "" {
				opts["mode"] = mode
			}
			caller.send(49, req+1, opts)
			switch mode {
			case "skip":
				caller.expect(canceled(req + 1))
				callee.expect()
			case "kill":
				caller.expect()
				callee.expect([]any{69, req + 1, map[string]any{"mode": "kill", "reason": ErrCanceled}})
				callee.send(8, 68, req+1, map[string]any{}, ErrCanceled, []any{"interrupted"})
				caller.expect([]any{8, 48, req + 1, map[string]any{}, ErrCanceled, []any{"interrupted"}})
			default:
				caller.expect(canceled(req + 1))
				callee.expect([]any{69, req + 1, map[string]any{"mode": "killnowait", "reason": ErrCanceled}})
			}
			callee.send(70, req+1, map[string]any{})
			caller.expect()
		}
		checkNoCallsLeft(t, r)
	})
}

func TestCallTimeoutInterrupts(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{})
		caller, callee := newPeer(t, r, p), newPeer(t, r, p)
		caller.join(rpcRoles)
		callee.join(rpcRoles)
		callee.send(64, 1, map[string]any{}, "slow")
		callee.take()
		caller.send(48, 1, map[string]any{"timeout": 1}, "slow", []any{1})
		caller.waitMessages(1)
		caller.expect([]any{8, 48, 1, map[string]any{}, ErrTimeout, []any{"the call timed out"}})
		callee.waitMessages(2)
		callee.expect([]any{68, 1, 1, map[string]any{}, []any{1}}, []any{69, 1, map[string]any{"mode": "killnowait", "reason": ErrTimeout}})
		callee.send(70, 1, map[string]any{})
		caller.expect()
		checkNoCallsLeft(t, r)
	})
}

// TestCalleeLeavesMidCall: the callers of a callee that says GOODBYE, or
// whose connection drops, get wamp.error.canceled; a callee that starts a
// new session on the same connection gets nothing of the old one's.
func TestCalleeLeavesMidCall(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{})
		caller, callee := newPeer(t, r, p), newPeer(t, r, p)
		caller.join(rpcRoles)
		for _, leave := range []string{"goodbye", "closed"} {
			callee = newPeer(t, r, p)
			callee.join(rpcRoles)
			callee.send(64, 1, map[string]any{}, "f")
			callee.take()
			caller.send(48, 1, map[string]any{}, "f")
			caller.send(48, 2, map[string]any{"timeout": 60000}, "f")
			if leave == "goodbye" {
				callee.send(6, map[string]any{}, CloseGoodbyeAndOut)
			} else {
				callee.s.Closed()
			}
			caller.expect(
				[]any{8, 48, 1, map[string]any{}, ErrCanceled, []any{"the callee left"}},
				[]any{8, 48, 2, map[string]any{}, ErrCanceled, []any{"the callee left"}},
			)
			if leave == "goodbye" {
				callee.take()
				callee.join(rpcRoles)
				callee.send(70, 1, map[string]any{}) // the old session's invocation: gone
				callee.expect()
				caller.expect()
				callee.s.Closed()
			}
		}
		caller.send(48, 3, map[string]any{}, "f")
		caller.expect([]any{8, 48, 3, map[string]any{}, ErrNoSuchProcedure, []any{"no procedure f is registered on this node"}})
		checkNoCalls(t, r)
	})
}

// TestCallerLeavesMidCall: a caller that goes away interrupts its calls
// (killnowait) and their late answers are dropped.
func TestCallerLeavesMidCall(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	p := NewProtocol(value.MsgPack, quiet)
	caller, callee := newPeer(t, r, p), newPeer(t, r, p)
	caller.join(rpcRoles)
	callee.join(rpcRoles)
	callee.send(64, 1, map[string]any{}, "f")
	callee.take()
	caller.send(48, 1, map[string]any{"receive_progress": true}, "f")
	caller.send(6, map[string]any{}, CloseGoodbyeAndOut)
	caller.take()
	callee.expect([]any{68, 1, 1, map[string]any{"receive_progress": true}}, []any{69, 1, map[string]any{"mode": "killnowait", "reason": ErrCanceled}})
	callee.send(70, 1, map[string]any{"progress": true})
	callee.send(70, 1, map[string]any{})
	caller.expect()
	checkNoCallsLeft(t, r)
}

// TestUnconvertiblePayloads: a payload with no form in the other side's
// serializer (a MessagePack string starting with U+0000, for JSON) ends
// the call with wamp.error.invalid_argument instead of being lost.
func TestUnconvertiblePayloads(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	js, mp := newPeer(t, r, NewProtocol(value.JSON, quiet)), newPeer(t, r, NewProtocol(value.MsgPack, quiet))
	js.join(rpcRoles)
	mp.join(rpcRoles)
	js.send(64, 1, map[string]any{}, "json.callee")
	mp.send(64, 1, map[string]any{}, "msgpack.callee")
	js.take()
	mp.take()
	bad := []any{"\x00not binary"}
	mp.send(48, 1, map[string]any{}, "json.callee", bad)
	mp.expect([]any{8, 48, 1, map[string]any{}, ErrInvalidArgument,
		[]any{"the arguments cannot be sent in json: json: a string starting with U+0000 would read back as binary"}})
	js.send(48, 2, map[string]any{}, "msgpack.callee")
	mp.expect([]any{68, 1, 2, map[string]any{}})
	mp.send(70, 1, map[string]any{}, bad)
	js.expect([]any{8, 48, 2, map[string]any{}, ErrInvalidArgument,
		[]any{"the result cannot be sent in json: json: a string starting with U+0000 would read back as binary"}})
	js.send(48, 3, map[string]any{}, "msgpack.callee")
	mp.expect([]any{68, 2, 2, map[string]any{}})
	mp.send(8, 68, 2, map[string]any{}, "app.error", bad)
	js.expect([]any{8, 48, 3, map[string]any{}, "app.error",
		[]any{"the error's payload cannot be sent in json: json: a string starting with U+0000 would read back as binary"}})
	checkNoCallsLeft(t, r)
}

// FuzzRPCMessages sends one arbitrary JSON message to a caller and to a
// callee session in the middle of a call (options of REGISTER, CALL,
// CANCEL, YIELD and ERROR are what it exercises): nothing panics, every
// error is a close, and once both sessions are gone nothing is left in
// flight or registered.
func FuzzRPCMessages(f *testing.F) {
	for _, seed := range []string{
		`[64,1,{"match":"prefix","invoke":"roundrobin","disclose_caller":true},"g."]`,
		`[64,1,{"match":"wildcard","invoke":7},"g..h"]`,
		`[66,1,1]`,
		`[48,9,{"timeout":1,"receive_progress":true,"disclose_me":true},"f",[1],{"a":"\u0000AQ=="}]`,
		`[48,9,{"timeout":-1e300},"f"]`,
		`[48,9,{"timeout":9007199254740992},"f"]`,
		`[48,9,{"progress":true},"f"]`,
		`[49,1,{"mode":"kill"}]`,
		`[49,1,{"mode":["skip"]}]`,
		`[70,1,{"progress":true},[1]]`,
		`[70,1,{"progress":1},[],{}]`,
		`[8,68,1,{},"app.error",["x"],{"y":null}]`,
	} {
		f.Add([]byte(seed))
	}
	p := NewProtocol(value.JSON, quiet)
	f.Fuzz(func(t *testing.T, msg []byte) {
		r := newRouter(t, wamp.RouterConfig{})
		caller, callee := newPeer(t, r, p), newPeer(t, r, p)
		caller.join(rpcRoles)
		callee.join(rpcRoles)
		callee.send(64, 1, map[string]any{"match": "prefix"}, "f")
		caller.send(48, 1, map[string]any{"receive_progress": true, "timeout": 60000}, "f", []any{1})
		for _, pe := range []*peer{caller, callee} {
			if err := pe.s.HandleMessage(msg, false); err != nil {
				var ce *wamp.CloseError
				if !errors.As(err, &ce) {
					t.Fatalf("HandleMessage(%q): %v, want a *wamp.CloseError", msg, err)
				}
			}
		}
		caller.s.Closed()
		callee.s.Closed()
		checkNoCalls(t, r)
	})
}
