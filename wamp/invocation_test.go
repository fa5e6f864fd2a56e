package wamp_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// Calls in flight: round trips, caller identification, progressive
// results, timeouts, cancel modes, sessions leaving, limits, the realm's
// own procedures, and a race of all of them. The fixture is in
// dealer_test.go; every test ends with empty call tables.

func TestCallRoundTrip(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	callee, c := f.callee(false)
	caller := f.session()
	reg := f.register(callee, "com.app.add", wamp.RegisterOptions{})

	// Arguments reach the callee as they were sent, in the caller's
	// format, and the callee's answer reaches the caller as sent.
	args := wamp.Payload{Raw: []byte{0x92, 0x01, 0xc4, 0x02, 0xff, 0x00}, Format: value.MsgPack}
	kwargs := wamp.Payload{Raw: []byte{0x81, 0xa1, 'k', 0xc3}, Format: value.MsgPack}
	rep := &replier{}
	call := wamp.NewCall("com.app.add", args, kwargs, rep)
	caller.Call(call)
	expect(t, "callee", c.take(), fmt.Sprintf(`invocation 1 reg=%d [1,"\u0000/wA="] {"k":true}`, reg.ID()))
	if c.last.Args.Format != value.MsgPack || string(c.last.Args.Raw) != string(args.Raw) {
		t.Errorf("callee's args %q in %v, want the caller's bytes", c.last.Args.Raw, c.last.Args.Format)
	}
	if call.Args.Raw != nil || call.Kwargs.Raw != nil {
		t.Error("the call keeps the caller's payload after INVOCATION")
	}
	callee.Yield(1, jsonPayload(`[3]`), jsonPayload(`{"sum":3}`), false)
	expect(t, "caller", rep.take(), `result [3] {"sum":3}`)
	callee.Yield(1, jsonPayload(`[4]`), wamp.Payload{}, false) // late: dropped
	callee.InvocationError(1, "e", wamp.Payload{}, wamp.Payload{})
	expect(t, "caller after the call ended", rep.take())

	rep = f.call(caller, "com.app.add", `[1,"x"]`, nil)
	expect(t, "callee", c.take(), fmt.Sprintf(`invocation 2 reg=%d [1,"x"] -`, reg.ID()))
	callee.InvocationError(2, "com.app.error.bad", jsonPayload(`["bad x"]`), jsonPayload(`{"arg":1}`))
	expect(t, "caller", rep.take(), `error com.app.error.bad ["bad x"] {"arg":1}`)

	// An unknown invocation id is ignored.
	callee.Yield(99, wamp.Payload{}, wamp.Payload{}, false)
	caller.Yield(1, wamp.Payload{}, wamp.Payload{}, false) // a session that is no callee
	// A call to a procedure nobody registered goes to OnCall.
	rep = f.call(caller, "com.app.sub", "", nil)
	expect(t, "caller", rep.take(), `error wamp.error.no_such_procedure ["no procedure com.app.sub is registered on this node"] -`)
}

func TestCallerIdentification(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	callee, c := f.callee(false)
	other, oc := f.callee(false)
	caller := f.session()
	f.register(callee, "plain", wamp.RegisterOptions{})
	f.register(other, "disclosed", wamp.RegisterOptions{DiscloseCaller: true})
	disclose := func(c *wamp.Call) { c.DiscloseMe = true }
	who := fmt.Sprintf("caller=%d/%d/anonymous", caller.ID(), caller.ID())
	reps := []*replier{f.call(caller, "plain", "", nil), f.call(caller, "plain", "", disclose), f.call(caller, "disclosed", "", nil)}
	expect(t, "callee", c.take(), "invocation 1 reg=1 - -", "invocation 2 reg=1 "+who+" - -")
	expect(t, "disclose_caller callee", oc.take(), "invocation 1 reg=2 "+who+" - -")
	callee.Yield(1, wamp.Payload{}, wamp.Payload{}, false)
	callee.Yield(2, wamp.Payload{}, wamp.Payload{}, false)
	other.Yield(1, wamp.Payload{}, wamp.Payload{}, false)
	for _, rep := range reps {
		expect(t, "caller", rep.take(), "result - -")
	}
}

func TestProgressiveResults(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	callee, c := f.callee(false)
	caller := f.session()
	f.register(callee, "long", wamp.RegisterOptions{})
	progress := func(c *wamp.Call) { c.ReceiveProgress = true }
	rep := f.call(caller, "long", "", progress)
	plain := f.call(caller, "long", "", nil)
	expect(t, "callee", c.take(), "invocation 1 reg=1 progress - -", "invocation 2 reg=1 - -")
	callee.Yield(1, jsonPayload(`["Y2010",120]`), wamp.Payload{}, true)
	callee.Yield(1, wamp.Payload{}, jsonPayload(`{"y":2011}`), true)
	callee.Yield(2, jsonPayload(`[1]`), wamp.Payload{}, true) // the caller did not ask: dropped
	callee.Yield(1, jsonPayload(`["Total",490]`), wamp.Payload{}, false)
	callee.Yield(1, jsonPayload(`[5]`), wamp.Payload{}, true) // after the end: dropped
	expect(t, "caller", rep.take(), `progress ["Y2010",120] -`, `progress - {"y":2011}`, `result ["Total",490] -`)
	expect(t, "caller without receive_progress", plain.take())
	callee.InvocationError(2, "e", wamp.Payload{}, wamp.Payload{})
	expect(t, "caller without receive_progress", plain.take(), "error e - -")
}

func TestCallTimeout(t *testing.T) {
	for _, canceling := range []bool{true, false} {
		t.Run(fmt.Sprintf("call_canceling=%v", canceling), func(t *testing.T) {
			f := newDealerFixture(t, wamp.RouterConfig{})
			callee, c := f.callee(canceling)
			caller := f.session()
			f.register(callee, "slow", wamp.RegisterOptions{})
			fast := f.call(caller, "slow", "", func(c *wamp.Call) { c.Timeout = time.Hour })
			rep := f.call(caller, "slow", "", func(c *wamp.Call) { c.Timeout = time.Millisecond; c.ReceiveProgress = true })
			waitFor(t, "the timeout", func() bool { return len(rep.peek()) > 0 })
			expect(t, "caller", rep.take(), `error wamp.error.timeout ["the call timed out"] -`)
			want := []string{"invocation 1 reg=1 - -", "invocation 2 reg=1 progress - -"}
			if canceling {
				want = append(want, "interrupt 2 killnowait wamp.error.timeout")
			}
			expect(t, "callee", c.take(), want...)
			callee.Yield(2, wamp.Payload{}, wamp.Payload{}, true) // late: dropped
			callee.Yield(2, wamp.Payload{}, wamp.Payload{}, false)
			expect(t, "caller after the timeout", rep.take())
			// A call answered in time stops its timer.
			callee.Yield(1, jsonPayload(`[1]`), wamp.Payload{}, false)
			expect(t, "caller answered in time", fast.take(), "result [1] -")
		})
	}
}

func TestCancelModes(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	callee, c := f.callee(true)
	blind, bc := f.callee(false) // did not announce call_canceling
	caller := f.session()
	f.register(callee, "p", wamp.RegisterOptions{})
	f.register(blind, "q", wamp.RegisterOptions{})
	req := func(id wamp.ID) func(*wamp.Call) { return func(c *wamp.Call) { c.Request = id } }

	skip := f.call(caller, "p", "", req(1))
	kill := f.call(caller, "p", "", req(2))
	nowait := f.call(caller, "p", "", req(3))
	blindKill := f.call(caller, "q", "", req(4))
	expect(t, "callee", c.take(), "invocation 1 reg=1 - -", "invocation 2 reg=1 - -", "invocation 3 reg=1 - -")
	expect(t, "blind callee", bc.take(), "invocation 1 reg=2 - -")

	caller.Cancel(1, wamp.CancelSkip)
	expect(t, "skip caller", skip.take(), `error wamp.error.canceled ["the call was canceled"] -`)
	expect(t, "callee after skip", c.take())
	callee.Yield(1, wamp.Payload{}, wamp.Payload{}, false)
	expect(t, "skip caller after the callee answered", skip.take())

	caller.Cancel(2, wamp.CancelKill)
	caller.Cancel(2, wamp.CancelKill) // once is enough
	expect(t, "kill caller", kill.take())
	expect(t, "callee after kill", c.take(), "interrupt 2 kill wamp.error.canceled")
	callee.InvocationError(2, wamp.ErrorCanceled, jsonPayload(`["stopped"]`), wamp.Payload{})
	expect(t, "kill caller after the callee answered", kill.take(), `error wamp.error.canceled ["stopped"] -`)

	caller.Cancel(3, wamp.CancelKillNoWait)
	expect(t, "killnowait caller", nowait.take(), `error wamp.error.canceled ["the call was canceled"] -`)
	expect(t, "callee after killnowait", c.take(), "interrupt 3 killnowait wamp.error.canceled")
	callee.InvocationError(3, wamp.ErrorCanceled, wamp.Payload{}, wamp.Payload{})
	expect(t, "killnowait caller after the callee answered", nowait.take())

	caller.Cancel(4, wamp.CancelKill) // the callee cannot be interrupted: skip
	expect(t, "caller of a blind callee", blindKill.take(), `error wamp.error.canceled ["the call was canceled"] -`)
	expect(t, "blind callee", bc.take())
	blind.Yield(1, wamp.Payload{}, wamp.Payload{}, false)

	// Unknown, finished and v1 (request 0) calls are not canceled.
	caller.Cancel(1, wamp.CancelSkip)
	caller.Cancel(77, wamp.CancelSkip)
	caller.Cancel(0, wamp.CancelSkip)
	v1 := f.call(caller, "p", "", nil)
	caller.Cancel(0, wamp.CancelKillNoWait)
	expect(t, "v1 caller", v1.take())
	callee.Yield(4, wamp.Payload{}, wamp.Payload{}, false)
	expect(t, "v1 caller", v1.take(), "result - -")
	expect(t, "callee", c.take(), "invocation 4 reg=1 - -")

	// A kill CANCEL then the timeout: the timeout ends the call.
	rep := f.call(caller, "p", "", func(c *wamp.Call) { c.Request = 5; c.Timeout = time.Millisecond })
	caller.Cancel(5, wamp.CancelKill)
	waitFor(t, "the timeout", func() bool { return len(rep.peek()) > 0 })
	expect(t, "caller", rep.take(), `error wamp.error.timeout ["the call timed out"] -`)
	expect(t, "callee", c.take(), "invocation 5 reg=1 - -", "interrupt 5 kill wamp.error.canceled", "interrupt 5 killnowait wamp.error.timeout")
}

func TestCalleeLeaves(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	callee, c := f.callee(true)
	caller := f.session()
	f.register(callee, "p", wamp.RegisterOptions{Invoke: wamp.InvokeFirst})
	reps := []*replier{f.call(caller, "p", "", nil), f.call(caller, "p", "", func(c *wamp.Call) { c.Timeout = time.Hour })}
	expect(t, "callee", c.take(), "invocation 1 reg=1 - -", "invocation 2 reg=1 - -")
	callee.Leave()
	for _, rep := range reps {
		expect(t, "caller", rep.take(), `error wamp.error.canceled ["the callee left"] -`)
	}
	expect(t, "callee that left", c.take())
	rep := f.call(caller, "p", "", nil)
	expect(t, "caller", rep.take(), `error wamp.error.no_such_procedure ["no procedure p is registered on this node"] -`)
}

func TestCallerLeaves(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	callee, c := f.callee(true)
	blind, bc := f.callee(false)
	caller := f.session()
	f.register(callee, "p", wamp.RegisterOptions{})
	f.register(blind, "q", wamp.RegisterOptions{})
	rep := f.call(caller, "p", "", func(c *wamp.Call) { c.ReceiveProgress = true; c.Timeout = time.Hour })
	brep := f.call(caller, "q", "", nil)
	caller.Leave()
	expect(t, "callee", c.take(), "invocation 1 reg=1 progress - -", "interrupt 1 killnowait wamp.error.canceled")
	expect(t, "blind callee", bc.take(), "invocation 1 reg=2 - -")
	callee.Yield(1, wamp.Payload{}, wamp.Payload{}, true)
	callee.Yield(1, wamp.Payload{}, wamp.Payload{}, false)
	blind.Yield(1, wamp.Payload{}, wamp.Payload{}, false)
	expect(t, "caller that left", rep.take())
	expect(t, "caller that left", brep.take())
	// A session that left makes no more calls.
	expect(t, "call after leaving", f.call(caller, "p", "", nil).take())
	expect(t, "callee", c.take())
}

func TestCallLimits(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{MaxCallsInFlight: 2})
	callee, c := f.callee(false)
	caller, other := f.session(), f.session()
	f.register(callee, "p", wamp.RegisterOptions{})
	a1, a2, a3 := f.call(caller, "p", "", nil), f.call(caller, "p", "", nil), f.call(caller, "p", "", nil)
	expect(t, "third call", a3.take(), `error wampgate.error.too_many_calls ["the caller has 2 calls in flight"] -`)
	b1 := f.call(other, "p", "", nil)
	expect(t, "another caller's call", b1.take(), `error wampgate.error.too_many_calls ["the callee has 2 invocations in flight"] -`)
	expect(t, "callee", c.take(), "invocation 1 reg=1 - -", "invocation 2 reg=1 - -")
	callee.Yield(1, wamp.Payload{}, wamp.Payload{}, false)
	b2 := f.call(other, "p", "", nil)
	expect(t, "callee", c.take(), "invocation 3 reg=1 - -")
	callee.Yield(2, wamp.Payload{}, wamp.Payload{}, false)
	callee.Yield(3, wamp.Payload{}, wamp.Payload{}, false)
	for _, rep := range []*replier{a1, a2, b2} {
		expect(t, "caller", rep.take(), "result - -")
	}
}

func TestInvokeFails(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	callee, c := f.callee(false)
	c.fail = errors.New("payload has no json form")
	f.register(callee, "p", wamp.RegisterOptions{})
	rep := f.call(f.session(), "p", "", func(c *wamp.Call) { c.Timeout = time.Hour })
	expect(t, "caller", rep.take(), `error wamp.error.invalid_argument ["payload has no json form"] -`)
}

// realmHooks counts OnCall and answers with "hook".
type realmHooks struct {
	wamp.BaseHandler
	mu    sync.Mutex
	calls []*wamp.Call
}

func (h *realmHooks) OnCall(_ wamp.Peer, call *wamp.Call) {
	h.mu.Lock()
	h.calls = append(h.calls, call)
	h.mu.Unlock()
	if call.Procedure != "silent" {
		_ = call.Result("hook")
	}
}

func TestRealmProcedures(t *testing.T) {
	h := &realmHooks{}
	f := newDealerFixture(t, wamp.RouterConfig{Handler: h})
	callee, c := f.callee(false)
	caller := f.session()
	count, err := f.realm.Register("wamp.session.count", wamp.RegisterOptions{}, func(p wamp.Peer, call *wamp.Call) {
		if p.ID() != caller.ID() {
			t.Errorf("procedure called by %d, want %d", p.ID(), caller.ID())
		}
		_ = call.Result(f.realm.SessionCount())
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.realm.Register("wamp.session.count", wamp.RegisterOptions{}, nil); !errors.Is(err, wamp.ErrProcedureAlreadyExists) {
		t.Errorf("second realm registration: %v", err)
	}
	// A client's patterns never capture the reserved prefix.
	f.register(callee, "wamp", wamp.RegisterOptions{Match: wamp.MatchPrefix})
	f.register(callee, "..count", wamp.RegisterOptions{Match: wamp.MatchWildcard})
	f.register(callee, "app.", wamp.RegisterOptions{Match: wamp.MatchPrefix})
	if _, err := callee.Register("wamp.session.count", wamp.RegisterOptions{}); !errors.Is(err, wamp.ErrReservedURI) {
		t.Errorf("client registration of a realm procedure: %v", err)
	}
	expect(t, "caller", f.call(caller, "wamp.session.count", "", nil).take(), "result [2] -")
	expect(t, "caller", f.call(caller, "wamp.x.list", "", nil).take(), "result [\"hook\"] -")
	expect(t, "caller", f.call(caller, "wamp.x.count", "", nil).take(), "result [\"hook\"] -")
	expect(t, "callee", c.take())
	// The realm's procedures and the sessions' registrations share one
	// precedence: here the longer prefix wins.
	if _, err := f.realm.Register("app.x.", wamp.RegisterOptions{Match: wamp.MatchPrefix}, func(_ wamp.Peer, call *wamp.Call) {
		_ = call.Yield(call.Args, call.Kwargs)
	}); err != nil {
		t.Fatal(err)
	}
	expect(t, "caller", f.call(caller, "app.x.echo", `[1,{"a":2}]`, nil).take(), `result [1,{"a":2}] -`)
	f.call(caller, "app.y", "", nil)
	expect(t, "callee", c.take(), "invocation 1 reg=4 proc=app.y - -")
	callee.Yield(1, wamp.Payload{}, wamp.Payload{}, false)
	// A Go-served call that stays unanswered past its timeout.
	rep := f.call(caller, "silent", `[1]`, func(c *wamp.Call) { c.Timeout = time.Millisecond })
	waitFor(t, "the timeout", func() bool { return len(rep.peek()) > 0 })
	expect(t, "caller", rep.take(), `error wamp.error.timeout ["the call timed out"] -`)
	h.mu.Lock()
	late := h.calls[len(h.calls)-1]
	h.mu.Unlock()
	if err := late.Result(1); !errors.Is(err, wamp.ErrCallAnswered) {
		t.Errorf("answer after the timeout: %v", err)
	}
	if err := f.realm.Unregister(count); err != nil {
		t.Fatal(err)
	}
	if err := f.realm.Unregister(count); !errors.Is(err, wamp.ErrNoSuchRegistration) {
		t.Errorf("second Unregister: %v", err)
	}
	if err := f.realm.Unregister(f.realm.LookupRegistration("app.", wamp.MatchPrefix)); !errors.Is(err, wamp.ErrNoSuchRegistration) {
		t.Errorf("Realm.Unregister of a session's registration: %v", err)
	}
	// Without the realm's own procedure, the router's meta procedure
	// answers again.
	expect(t, "caller", f.call(caller, "wamp.session.count", "", nil).take(), "result [2] -")
}

// TestCallArgsOwnedByGoCode: Go code may keep a call's arguments after
// the protocol reused its buffer.
func TestCallArgsOwnedByGoCode(t *testing.T) {
	h := &realmHooks{}
	f := newDealerFixture(t, wamp.RouterConfig{Handler: h})
	buf := []byte(`[1,2]`)
	f.session().Call(wamp.NewCall("p", wamp.Payload{Raw: buf, Format: value.JSON}, wamp.Payload{}, &replier{}))
	copy(buf, "#####")
	if got := string(h.calls[0].Args.Raw); got != `[1,2]` {
		t.Errorf("hook's args %q after the buffer was reused", got)
	}
}

// TestDealerConcurrent races answers, timeouts, cancels and leaving
// sessions: every call gets exactly one final answer and nothing is left
// in flight.
func TestDealerConcurrent(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{MaxCallsInFlight: 64})
	callee, c := f.callee(true)
	f.register(callee, "p", wamp.RegisterOptions{Invoke: wamp.InvokeRoundRobin})
	const callers, calls = 4, 200
	var wg sync.WaitGroup
	reps := make([][]*replier, callers)
	for i := range callers {
		caller := f.session()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range calls {
				reps[i] = append(reps[i], f.call(caller, "p", "", func(c *wamp.Call) {
					c.Request = wamp.ID(n + 1)
					c.ReceiveProgress = true
					if n%3 == 0 {
						c.Timeout = time.Duration(n%5) * time.Microsecond
					}
				}))
				if n%7 == 0 {
					caller.Cancel(wamp.ID(n+1), wamp.CancelMode(n%3))
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { // the callee answers whatever it is asked, from its own goroutine
		for {
			select {
			case <-done:
				return
			default:
			}
			got := c.take()
			if len(got) == 0 {
				time.Sleep(100 * time.Microsecond) // nothing to answer yet
			}
			for _, m := range got {
				var id wamp.ID
				if _, err := fmt.Sscanf(m, "invocation %d", &id); err == nil {
					callee.Yield(id, jsonPayload(`[1]`), wamp.Payload{}, true)
					callee.Yield(id, jsonPayload(`[2]`), wamp.Payload{}, false)
				}
			}
		}
	}()
	wg.Wait()
	waitFor(t, "every call to end", func() bool { return f.realm.Stats().CallsInFlight == 0 })
	close(done)
	for i := range reps {
		for n, rep := range reps[i] {
			got := rep.take()
			finals := 0
			for j, m := range got {
				if !strings.HasPrefix(m, "progress") {
					finals++
					if j != len(got)-1 {
						t.Errorf("caller %d call %d: answer after the final one: %q", i, n, got)
					}
				}
			}
			if finals != 1 {
				t.Errorf("caller %d call %d: %d final answers: %q", i, n, finals, got)
			}
		}
	}
}
