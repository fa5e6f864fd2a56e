package v1

import (
	"slices"
	"sync"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// testCallee is a callee session as the core sees it: it records the
// invocations and interrupts it gets.
type testCallee struct {
	core *wamp.Session
	mu   sync.Mutex
	invs []wamp.Invocation
	ints []wamp.ID
}

func (c *testCallee) Invoke(inv *wamp.Invocation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := *inv
	cp.Args.Raw = slices.Clone(inv.Args.Raw)
	c.invs = append(c.invs, cp)
	return nil
}

func (c *testCallee) Interrupt(id wamp.ID, _ wamp.CancelMode, _ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ints = append(c.ints, id)
}

// last returns the last invocation.
func (c *testCallee) last(t *testing.T) wamp.Invocation {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.invs) == 0 {
		t.Fatal("no invocation")
	}
	return c.invs[len(c.invs)-1]
}

// registerCallee joins a callee session in r's v1 realm that announced
// call_canceling and registers it for procedure.
func registerCallee(t *testing.T, r *wamp.Router, procedure string, opts wamp.RegisterOptions) *testCallee {
	t.Helper()
	c := &testCallee{core: r.V1Realm().NewSession(wamptest.NewConn("10.0.0.2:1"), &wamp.Protocol{Name: "test"}, nil)}
	c.core.Join()
	c.core.SetCallee(c, true)
	if _, err := c.core.Register(procedure, opts); err != nil {
		t.Fatal(err)
	}
	return c
}

func payload(f value.Format, raw string) wamp.Payload {
	return wamp.Payload{Raw: []byte(raw), Format: f}
}

// TestCallReachesCallee: a v1 CALL, after CURIE expansion, reaches the
// callee registered under its URI with the v1 arguments as Args, and the
// callee's answer comes back as CALLRESULT or CALLERROR by the mapping
// the README documents.
func TestCallReachesCallee(t *testing.T) {
	r := limitedRouter(wamptest.RatchetDemoHandler{})
	callee := registerCallee(t, r, "http://example.com/calc/add", wamp.RegisterOptions{})
	s, c := open(t, r)
	send(t, s, `[1,"calc","http://example.com/calc/"]`)
	js, mp := value.JSON, value.MsgPack
	for _, tc := range []struct {
		name   string
		answer func(id wamp.ID)
		want   string
	}{
		{"one arg", func(id wamp.ID) { callee.core.Yield(id, payload(js, `[ {"a" : 1} ]`), wamp.Payload{}, false) }, `[3,"c",{"a":1}]`},
		{"several args", func(id wamp.ID) { callee.core.Yield(id, payload(js, `[1, "x/y"]`), payload(js, `{"k":1}`), false) }, `[3,"c",[1,"x/y"]]`},
		{"kwargs only", func(id wamp.ID) { callee.core.Yield(id, wamp.Payload{}, payload(js, `{"k": [1]}`), false) }, `[3,"c",{"k":[1]}]`},
		{"empty args, kwargs", func(id wamp.ID) { callee.core.Yield(id, payload(js, `[]`), payload(js, `{"k":2}`), false) }, `[3,"c",{"k":2}]`},
		{"nothing", func(id wamp.ID) { callee.core.Yield(id, wamp.Payload{}, wamp.Payload{}, false) }, `[3,"c",null]`},
		{"msgpack args", func(id wamp.ID) { callee.core.Yield(id, payload(mp, "\x92\x01\xc4\x01\xff"), wamp.Payload{}, false) }, `[3,"c",[1,"\u0000/w=="]]`},
		{"error with description", func(id wamp.ID) {
			callee.core.InvocationError(id, "com.app.error/bad", payload(js, `["bad/input é"]`), wamp.Payload{})
		}, `[4,"c","com.app.error\/bad","bad\/input \u00e9"]`},
		{"error, description and one arg", func(id wamp.ID) {
			callee.core.InvocationError(id, "e", payload(js, `["d", [1]]`), wamp.Payload{})
		}, `[4,"c","e","d",[1]]`},
		{"error, description and args", func(id wamp.ID) {
			callee.core.InvocationError(id, "e", payload(js, `["d", 1, 2]`), wamp.Payload{})
		}, `[4,"c","e","d",[1,2]]`},
		{"error, description and kwargs", func(id wamp.ID) {
			callee.core.InvocationError(id, "e", payload(js, `["d", 1]`), payload(js, `{"x": true}`))
		}, `[4,"c","e","d",{"x":true}]`},
		{"error without a string first", func(id wamp.ID) {
			callee.core.InvocationError(id, "e", payload(js, `[1, 2]`), wamp.Payload{})
		}, `[4,"c","e","e",[1,2]]`},
		{"error alone", func(id wamp.ID) { callee.core.InvocationError(id, "e", wamp.Payload{}, wamp.Payload{}) }, `[4,"c","e","e"]`},
		{"error in msgpack", func(id wamp.ID) {
			callee.core.InvocationError(id, "e", payload(mp, "\x91\xa1d"), payload(mp, "\x81\xa1k\x01"))
		}, `[4,"c","e","d",{"k":1}]`},
		{"result without a json form", func(id wamp.ID) {
			callee.core.Yield(id, payload(mp, "\x91\xa2\x00x"), wamp.Payload{}, false)
		}, `[4,"c","wamp.error.invalid_argument","the result cannot be sent as JSON: json: a string starting with U+0000 would read back as binary"]`},
	} {
		send(t, s, `[2,"c","calc:add", 1, {"b" : "x"}, [ ] ]`)
		inv := callee.last(t)
		if got := string(inv.Args.Raw); got != `[1,{"b":"x"},[]]` || inv.Args.Format != value.JSON || inv.Kwargs.Present() {
			t.Fatalf("%s: invocation args %s (format %v), kwargs %q", tc.name, got, inv.Args.Format, inv.Kwargs.Raw)
		}
		tc.answer(inv.ID)
		if got := c.Take(); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: got %q, want %s", tc.name, got, tc.want)
		}
	}
	// No callee: the handler answers, as before.
	send(t, s, `[2,"e","calc:echo",1,2]`)
	if got := c.Take(); !slices.Equal(got, []string{`[3,"e",[1,2]]`}) {
		t.Errorf("echo got %q", got)
	}
	if n := r.Stats().CallsInFlight; n != 0 {
		t.Errorf("%d calls in flight", n)
	}
}

// TestCallerLeavesInterruptsCallee: a v1 caller that goes away leaves
// nothing in flight; its callee is interrupted and its late answer dropped.
func TestCallerLeavesInterruptsCallee(t *testing.T) {
	r := limitedRouter(nil)
	callee := registerCallee(t, r, "com.app.slow", wamp.RegisterOptions{Match: wamp.MatchPrefix})
	s, c := open(t, r)
	send(t, s, `[2,1,"com.app.slow.x"]`)
	inv := callee.last(t)
	if inv.Procedure != "com.app.slow.x" || inv.Caller != 0 {
		t.Errorf("invocation %+v", inv)
	}
	s.Closed()
	callee.core.Yield(inv.ID, wamp.Payload{}, wamp.Payload{}, false)
	if got := c.Take(); len(got) != 0 {
		t.Errorf("closed caller got %q", got)
	}
	if !slices.Equal(callee.ints, []wamp.ID{inv.ID}) {
		t.Errorf("interrupts %v, want [%d]", callee.ints, inv.ID)
	}
	if n := r.Stats().CallsInFlight; n != 0 {
		t.Errorf("%d calls in flight", n)
	}
}
