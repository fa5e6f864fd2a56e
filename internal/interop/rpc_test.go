package interop

// Remote procedure calls: within one library and serializer, across
// libraries and serializers, and from wampgate's own v1 client to v2
// callees.

import (
	"encoding/json"
	"strconv"
	"testing"
)

// callTimeoutError is the error a caller gets when its call's timeout
// (CALL.Options.timeout, ms) runs out at the dealer, which then interrupts
// the callee: wamp.error.timeout, Autobahn's ApplicationError.TIMEOUT ("a
// pending (in-flight) call was timed out"), as nexus and Bondy answer too.
const callTimeoutError = "wamp.error.timeout"

func TestRPC(t *testing.T) {
	n := startNode(t)
	forEach(t, func(t *testing.T, lib *library, ser, uri string) func(*testing.T) {
		c := lib.run(t, wsURL(n), realm, ser, "rpc", obj{"prefix": uri})
		return func(t *testing.T) {
			var res map[string]any
			c.in(t).result(&res)

			names := []string{"echo", "add", "fail", "countdown", "slow"}
			if lib == js {
				names = append(names, "whoami")
			}
			regs := map[string]uint64{}
			for _, name := range names {
				regs[name] = id(t, name+" registration", res["registrations"].(map[string]any)[name])
			}
			distinct(t, "registration ids", regs)

			sameJSON(t, "echo (args and kwargs both ways)", res["echo"], obj{"args": arr{1, "two", obj{"three": 3}, arr{4}}, "kwargs": obj{"k": "v"}})
			sameJSON(t, "add", res["add"], obj{"value": 5})
			sameJSON(t, "fail (an application error with args and kwargs)", res["fail"],
				obj{"error": "com.example.error.bad_input", "args": arr{"bad input", 7}, "kwargs": obj{"field": "x"}})
			sameJSON(t, "a call to a procedure nobody registered", errorURI(res["missing"]), "wamp.error.no_such_procedure")
			sameJSON(t, "a second REGISTER of a procedure", res["duplicate"], obj{"error": "wamp.error.procedure_already_exists"})
			sameJSON(t, "countdown (progressive results)", res["countdown"], obj{"progress": arr{3, 2, 1}, "result": obj{"value": "liftoff"}})
			sameJSON(t, "a call past its timeout", errorURI(res["timeout"]), callTimeoutError)
			sameJSON(t, "add after the timeout and the cancel", res["after"], obj{"value": 42})
			cancel := res["cancel"].(map[string]any)
			sameJSON(t, "progress before the cancel", cancel["progress"], "started")
			switch lib {
			case python:
				// Autobahn|Python's callee announces call_canceling: the
				// dealer interrupts it on the timeout and on the cancel (sent
				// without a mode: the dealer's default).
				sameJSON(t, "the timed-out callee", res["timeout"].(map[string]any)["callee"], "interrupted")
				sameJSON(t, "the canceled callee", cancel["callee"], "interrupted")
			case js:
				// Autobahn|JS's callee does not announce call_canceling, so a
				// kill-mode cancel behaves as skip: ERROR canceled at once,
				// no INTERRUPT (which would have closed the callee's session).
				sameJSON(t, "the kill-mode cancel of a call to a callee without call_canceling", cancel["error"], "wamp.error.canceled")
				caller := id(t, "caller session", res["caller"])
				sameJSON(t, "whoami with disclose_me", res["whoami"], obj{"value": caller})
				sameJSON(t, "whoami without disclose_me", res["whoami_undisclosed"], obj{"value": nil})
			}
		}
	})
}

// errorURI returns the error URI of an {"error": ...} outcome.
func errorURI(outcome any) any {
	if m, ok := outcome.(map[string]any); ok {
		return m["error"]
	}
	return outcome
}

// callee is a running callee role.
type callee struct {
	endpoint
	c       *client
	session uint64
}

// startCallee starts the callee role, serving count invocations of
// procedures; ready waits until it registered them.
func startCallee(t *testing.T, url string, e endpoint, procedures obj, count int) *callee {
	t.Helper()
	return &callee{endpoint: e, c: e.lib.run(t, url, realm, e.ser, "callee", obj{"procedures": procedures, "count": count})}
}

func (c *callee) ready(t *testing.T) {
	t.Helper()
	var r struct {
		Session json.Number `json:"session"`
	}
	c.c.in(t).ready(&r)
	c.session = id(t, c.String()+" callee session", r.Session)
}

// invocations waits for the callee's result.
func (c *callee) invocations(t *testing.T) []any {
	t.Helper()
	var r struct {
		Invocations []any `json:"invocations"`
	}
	c.c.in(t).result(&r)
	return r.Invocations
}

// caller is a running call role.
type caller struct {
	endpoint
	c *client
}

func startCaller(t *testing.T, url string, e endpoint, specs []obj) *caller {
	t.Helper()
	return &caller{endpoint: e, c: e.lib.run(t, url, realm, e.ser, "call", obj{"calls": specs})}
}

// outcomes waits for the caller's result: its session and each call's outcome.
func (c *caller) outcomes(t *testing.T) (uint64, []map[string]any) {
	t.Helper()
	var r struct {
		Session json.Number      `json:"session"`
		Calls   []map[string]any `json:"calls"`
	}
	c.c.in(t).result(&r)
	return id(t, c.String()+" caller session", r.Session), r.Calls
}

// TestRPCAcrossLibraries: Autobahn|JS calls Autobahn|Python and the other
// way round, over different serializers: args and kwargs both ways, an
// application error, caller disclosure, and (JS calling Python, whose
// callee can be interrupted) a kill-mode cancel, answered only once the
// callee answered the INTERRUPT.
func TestRPCAcrossLibraries(t *testing.T) {
	n := startNode(t)
	url := wsURL(n)
	type pair struct {
		caller, callee endpoint
		uri            string
		procedures     obj
		specs          []obj
		want           arr
		ce             *callee
		cr             *caller
	}
	pairs := []*pair{
		{caller: endpoint{js, "json"}, callee: endpoint{python, "msgpack"}},
		{caller: endpoint{js, "msgpack"}, callee: endpoint{python, "cbor"}},
		{caller: endpoint{js, "cbor"}, callee: endpoint{python, "json"}},
		{caller: endpoint{python, "json"}, callee: endpoint{js, "cbor"}},
		{caller: endpoint{python, "msgpack"}, callee: endpoint{js, "json"}},
		{caller: endpoint{python, "cbor"}, callee: endpoint{js, "msgpack"}},
	}
	for i, p := range pairs {
		p.uri = prefix(t) + "." + strconv.Itoa(i)
		p.procedures = obj{
			p.uri + ".echo": obj{"result": obj{"args": arr{"from callee", 1.5, nil}, "kwargs": obj{"ok": true, "list": arr{1, 2}}}},
			p.uri + ".fail": obj{"error": obj{"uri": "com.example.error.cross", "args": arr{"nope"}, "kwargs": obj{"code": 3}}},
		}
		p.specs = []obj{
			{"procedure": p.uri + ".echo", "args": arr{1, "a", obj{"b": arr{}}}, "kwargs": obj{"x": -1.25}},
			{"procedure": p.uri + ".fail"},
		}
		p.want = arr{
			obj{"progress": arr{}, "result": obj{"args": arr{"from callee", 1.5, nil}, "kwargs": obj{"ok": true, "list": arr{1, 2}}}},
			obj{"progress": arr{}, "error": obj{"error": "com.example.error.cross", "args": arr{"nope"}, "kwargs": obj{"code": 3}}},
		}
		if p.caller.lib == js {
			p.specs[0]["options"] = obj{"disclose_me": true}
		}
		if p.callee.lib == python { // a callee that can be interrupted
			p.procedures[p.uri+".slow"] = obj{"wait_interrupt": true}
			p.specs = append(p.specs, obj{"procedure": p.uri + ".slow", "args": arr{"x"}, "cancel": obj{"mode": "kill"}})
			// kill: the dealer interrupts the callee and answers the
			// caller with the callee's ERROR (the Python callee answers
			// INTERRUPT with wamp.error.canceled, args ["interrupted"]).
			p.want = append(p.want, obj{"progress": arr{"started"},
				"error": obj{"error": "wamp.error.canceled", "args": arr{"interrupted"}, "kwargs": obj{}}})
		}
		p.ce = startCallee(t, url, p.callee, p.procedures, len(p.specs))
	}
	for _, p := range pairs {
		p.ce.ready(t)
	}
	for _, p := range pairs {
		p.cr = startCaller(t, url, p.caller, p.specs)
	}
	for _, p := range pairs {
		t.Run(p.caller.String()+"_calls_"+p.callee.String(), func(t *testing.T) {
			session, got := p.cr.outcomes(t)
			sameJSON(t, "the caller's outcomes", got, p.want)
			var disclosed any
			if p.caller.lib == js {
				disclosed = session
			}
			want := arr{
				obj{"procedure": p.uri + ".echo", "args": arr{1, "a", obj{"b": arr{}}}, "kwargs": obj{"x": -1.25}, "caller": disclosed, "outcome": "result"},
				obj{"procedure": p.uri + ".fail", "args": arr{}, "kwargs": obj{}, "caller": nil, "outcome": "error"},
			}
			if p.callee.lib == python {
				want = append(want, obj{"procedure": p.uri + ".slow", "args": arr{"x"}, "kwargs": obj{}, "caller": nil, "outcome": "interrupted"})
			}
			sameJSON(t, "the callee's invocations", p.ce.invocations(t), want)
		})
	}
}

// TestV1CallReachesV2Callee: a v1 CALL (after CURIE expansion) invokes a
// v2 callee of every library and serializer with the v1 arguments as
// INVOCATION args and comes back as CALLRESULT (one arg: that value;
// several: the list; kwargs only: the object; none: null) or CALLERROR
// [4, callID, errorURI, desc, details]; a CALL nobody serves gets
// CALLERROR wamp.error.no_such_procedure.
func TestV1CallReachesV2Callee(t *testing.T) {
	n := startNode(t)
	forEach(t, func(t *testing.T, lib *library, ser, p string) func(*testing.T) {
		// v1 CURIEs expand Ratchet's way, prefix + "#" + reference, except
		// after a prefix ending in "/" or "#"; a v2 URI has no "#", so the
		// prefix ends in "/".
		p += ".api/"
		ce := startCallee(t, wsURL(n), endpoint{lib, ser}, obj{
			p + "single":  obj{"result": obj{"args": arr{"one"}}},
			p + "several": obj{"result": obj{"args": arr{1, "two"}}},
			p + "kwonly":  obj{"result": obj{"kwargs": obj{"k": "v"}}},
			p + "none":    obj{"result": obj{}},
			p + "err":     obj{"error": obj{"uri": "com.example.error.v1", "args": arr{"went wrong"}, "kwargs": obj{"code": 7}}},
		}, 5)
		return func(t *testing.T) {
			ce.ready(t)
			v1 := dialV1(t, n.Addr())
			v1.send(1, "ex", p)
			v1.send(2, "c1", "ex:single", "x", 1)
			v1.send(2, "c2", p+"several")
			v1.send(2, "c3", "ex:kwonly", obj{"a": nil})
			v1.send(2, "c4", "ex:none", arr{1, 2})
			v1.send(2, "c5", "ex:err")
			v1.send(2, "c6", "ex:missing", true)
			want := map[string]any{
				"c1": arr{3, "c1", "one"},
				"c2": arr{3, "c2", arr{1, "two"}},
				"c3": arr{3, "c3", obj{"k": "v"}},
				"c4": arr{3, "c4", nil},
				"c5": arr{4, "c5", "com.example.error.v1", "went wrong", obj{"code": 7}},
			}
			for range 6 {
				var msg []any
				raw := v1.readJSON(&msg)
				if len(msg) < 2 {
					t.Fatalf("v1 answer %s", raw)
				}
				callID, _ := msg[1].(string)
				if callID == "c6" {
					if len(msg) < 3 || msg[0] != json.Number("4") || msg[2] != "wamp.error.no_such_procedure" {
						t.Errorf("v1 CALL of a procedure nobody serves: %s, want CALLERROR wamp.error.no_such_procedure", raw)
					}
					continue
				}
				w, ok := want[callID]
				if !ok {
					t.Fatalf("unexpected or repeated v1 answer %s", raw)
				}
				delete(want, callID)
				sameJSON(t, "v1 answer to "+callID, msg, w)
			}
			v1.sync()
			inv := func(proc string, args arr, outcome string) obj {
				return obj{"procedure": p + proc, "args": args, "kwargs": obj{}, "caller": nil, "outcome": outcome}
			}
			sameJSON(t, "the v2 callee's invocations", ce.invocations(t), arr{
				inv("single", arr{"x", 1}, "result"),
				inv("several", arr{}, "result"),
				inv("kwonly", arr{obj{"a": nil}}, "result"),
				inv("none", arr{arr{1, 2}}, "result"),
				inv("err", arr{}, "error"),
			})
		}
	})
}
