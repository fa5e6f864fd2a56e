package wamp_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// fakeCallee records what the dealer sends a callee, as
// "invocation <id> reg=<id> [proc=…] [caller=…] [progress] <args> <kwargs>"
// and "interrupt <id> <mode> <reason>".
type fakeCallee struct {
	mu   sync.Mutex
	got  []string
	last wamp.Invocation // the last invocation, payload included
	fail error           // Invoke's answer
}

func (c *fakeCallee) Invoke(inv *wamp.Invocation) error {
	if c.fail != nil {
		return c.fail
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invocation %d reg=%d", inv.ID, inv.Registration)
	if inv.Procedure != "" {
		fmt.Fprintf(&b, " proc=%s", inv.Procedure)
	}
	if inv.Caller != 0 {
		fmt.Fprintf(&b, " caller=%d/%s/%s", inv.Caller, inv.CallerAuthID, inv.CallerAuthRole)
	}
	if inv.ReceiveProgress {
		b.WriteString(" progress")
	}
	fmt.Fprintf(&b, " %s %s", partString(inv.Args), partString(inv.Kwargs))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, b.String())
	c.last = *inv
	c.last.Args.Raw = slices.Clone(inv.Args.Raw)
	return nil
}

func (c *fakeCallee) Interrupt(id wamp.ID, mode wamp.CancelMode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, fmt.Sprintf("interrupt %d %s %s", id, mode, reason))
}

func (c *fakeCallee) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

func (c *fakeCallee) lastID() wamp.ID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last.ID
}

// dealerFixture is a router with sessions that call and register.
type dealerFixture struct {
	t        *testing.T
	r        *wamp.Router
	realm    *wamp.Realm
	proto    *testProto
	sessions []*wamp.Session
}

// newDealerFixture makes a router from cfg; when the test ends, every
// session's call tables must be empty and no call in flight.
func newDealerFixture(t *testing.T, cfg wamp.RouterConfig) *dealerFixture {
	f := &dealerFixture{t: t, r: newRouter(t, cfg), proto: newTestProto("test")}
	f.realm = f.r.V1Realm()
	t.Cleanup(f.checkClean)
	return f
}

func (f *dealerFixture) session() *wamp.Session {
	s := joinSession(f.realm, wamptest.NewConn("caller:1"), &f.proto.Protocol)
	f.sessions = append(f.sessions, s)
	return s
}

// callee joins a session that can register; canceling is whether it
// announced call_canceling.
func (f *dealerFixture) callee(canceling bool) (*wamp.Session, *fakeCallee) {
	s := f.session()
	c := &fakeCallee{}
	s.SetCallee(c, canceling)
	return s, c
}

func (f *dealerFixture) register(s *wamp.Session, proc string, opts wamp.RegisterOptions) *wamp.Registration {
	f.t.Helper()
	reg, err := s.Register(proc, opts)
	if err != nil {
		f.t.Fatalf("register %q: %v", proc, err)
	}
	return reg
}

// call makes a call from s with JSON args ("" for none), after set (may
// be nil) adjusted it, and returns the replier its answers go to.
func (f *dealerFixture) call(s *wamp.Session, proc, args string, set func(*wamp.Call)) *replier {
	rep := &replier{}
	var a wamp.Payload
	if args != "" {
		a = jsonPayload(args)
	}
	c := wamp.NewCall(proc, a, wamp.Payload{}, rep)
	if set != nil {
		set(c)
	}
	s.Call(c)
	return rep
}

// checkClean checks that no call is in flight and every table is empty.
func (f *dealerFixture) checkClean() {
	f.t.Helper()
	if n := f.realm.Stats().CallsInFlight; n != 0 {
		f.t.Errorf("%d calls in flight at the end", n)
	}
	for i, s := range f.sessions {
		if calls, invs := s.CallTables(); calls+invs != 0 {
			f.t.Errorf("session %d: %d calls and %d invocations left in its tables", i, calls, invs)
		}
	}
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func expect(t *testing.T, who string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s got\n %q\nwant\n %q", who, got, want)
	}
}

func TestRegisterErrors(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{MaxRegistrations: 3})
	a, _ := f.callee(false)
	b, _ := f.callee(false)
	var ue *wamp.URIError
	if _, err := f.session().Register("p", wamp.RegisterOptions{}); err == nil {
		t.Error("Register before SetCallee succeeded")
	}
	if _, err := a.Register("wamp.session.count", wamp.RegisterOptions{}); !errors.As(err, &ue) || ue.URI != wamp.ErrorInvalidURI {
		t.Errorf("register under wamp.: %v", err)
	}
	single := f.register(a, "p", wamp.RegisterOptions{})
	for _, tc := range []struct {
		s    *wamp.Session
		opts wamp.RegisterOptions
	}{
		{b, wamp.RegisterOptions{}},
		{b, wamp.RegisterOptions{Invoke: wamp.InvokeRoundRobin}},
		{a, wamp.RegisterOptions{}},
	} {
		if _, err := tc.s.Register("p", tc.opts); !errors.Is(err, wamp.ErrProcedureAlreadyExists) || !errors.As(err, &ue) ||
			ue.URI != wamp.ErrorProcedureAlreadyExists {
			t.Errorf("second registration of p (%+v): %v", tc.opts, err)
		}
	}
	shared := f.register(a, "q", wamp.RegisterOptions{Invoke: wamp.InvokeRandom})
	if _, err := a.Register("q", wamp.RegisterOptions{Invoke: wamp.InvokeRandom}); !errors.Is(err, wamp.ErrProcedureAlreadyExists) {
		t.Errorf("same session twice in a shared registration: %v", err)
	}
	if _, err := b.Register("q", wamp.RegisterOptions{Invoke: wamp.InvokeLast}); !errors.Is(err, wamp.ErrProcedureAlreadyExists) {
		t.Errorf("shared registration with another policy: %v", err)
	}
	if reg := f.register(b, "q", wamp.RegisterOptions{Invoke: wamp.InvokeRandom}); reg != shared || reg.Callees() != 2 {
		t.Errorf("second callee of a shared registration: %v, %d callees", reg == shared, reg.Callees())
	}
	if got := shared.AppendCallees(nil); !slices.Equal(got, []wamp.ID{a.ID(), b.ID()}) {
		t.Errorf("callees %v", got)
	}
	prefix := f.register(a, "p", wamp.RegisterOptions{Match: wamp.MatchPrefix}) // another match: another registration
	if prefix == single || prefix.ID() == single.ID() {
		t.Error("prefix registration of p shares the exact one")
	}
	if _, err := a.Register("r", wamp.RegisterOptions{}); !errors.Is(err, wamp.ErrTooManyRegistrations) {
		t.Errorf("fourth registration with a limit of 3: %v", err)
	}
	if err := a.Unregister(12345); !errors.Is(err, wamp.ErrNoSuchRegistration) || !errors.As(err, &ue) || ue.URI != wamp.ErrorNoSuchRegistration {
		t.Errorf("unregister unknown: %v", err)
	}
	if err := b.Unregister(single.ID()); !errors.Is(err, wamp.ErrNoSuchRegistration) {
		t.Errorf("unregister another session's registration: %v", err)
	}
	if st := f.realm.Stats(); st.Registrations != 3 {
		t.Errorf("%d registrations, want 3", st.Registrations)
	}
	if err := a.Unregister(single.ID()); err != nil {
		t.Fatal(err)
	}
	if f.realm.LookupRegistration("p", wamp.MatchExact) != nil || f.realm.Registration(single.ID()) != nil {
		t.Error("unregistered registration still found")
	}
	if reg := f.register(b, "p", wamp.RegisterOptions{}); reg.ID() == single.ID() {
		t.Error("a registration made again kept its old id")
	}
	a.Leave()
	if shared.Callees() != 1 || f.realm.LookupRegistration("p", wamp.MatchPrefix) != nil {
		t.Errorf("after a callee left: %d callees of the shared registration, prefix one still there", shared.Callees())
	}
	if _, err := a.Register("s", wamp.RegisterOptions{}); !errors.Is(err, wamp.ErrNotLive) {
		t.Errorf("register after Leave: %v", err)
	}
	b.Leave()
	if st := f.realm.Stats(); st.Registrations != 0 || len(f.realm.AllRegistrations(nil)) != 0 {
		t.Errorf("registrations left after every callee left: %+v", st)
	}
}

func TestParsePolicies(t *testing.T) {
	for _, name := range []string{"single", "roundrobin", "random", "first", "last"} {
		if p, ok := wamp.ParseInvokePolicy(name); !ok || p.String() != name {
			t.Errorf("ParseInvokePolicy(%q) = %v %v", name, p, ok)
		}
	}
	for _, name := range []string{"skip", "kill", "killnowait"} {
		if m, ok := wamp.ParseCancelMode(name); !ok || m.String() != name {
			t.Errorf("ParseCancelMode(%q) = %v %v", name, m, ok)
		}
	}
	if p, ok := wamp.ParseInvokePolicy(""); !ok || p != wamp.InvokeSingle {
		t.Error("no invoke option is not single")
	}
	if m, ok := wamp.ParseCancelMode(""); !ok || m != wamp.CancelKillNoWait {
		t.Error("no cancel mode is not killnowait")
	}
	if _, ok := wamp.ParseInvokePolicy("Single"); ok {
		t.Error("invoke policy names are case-sensitive")
	}
	if _, ok := wamp.ParseCancelMode("abort"); ok {
		t.Error("unknown cancel mode accepted")
	}
}

func TestInvokePolicies(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	caller := f.session()
	var callees [3]*fakeCallee
	var sessions [3]*wamp.Session
	for i := range callees {
		sessions[i], callees[i] = f.callee(false)
	}
	// who calls proc n times, answering each invocation, and returns
	// which callee served each call.
	who := func(proc string, n int) []int {
		var order []int
		for range n {
			rep := f.call(caller, proc, "", nil)
			served := -1
			for i, c := range callees {
				if got := c.take(); len(got) == 1 {
					served = i
					c.mu.Lock()
					id := c.last.ID
					c.mu.Unlock()
					sessions[i].Yield(id, wamp.Payload{}, wamp.Payload{}, false)
				}
			}
			expect(t, proc+" caller", rep.take(), "result - -")
			order = append(order, served)
		}
		return order
	}
	for _, policy := range []wamp.InvokePolicy{wamp.InvokeRoundRobin, wamp.InvokeFirst, wamp.InvokeLast, wamp.InvokeRandom} {
		for _, s := range sessions {
			f.register(s, policy.String(), wamp.RegisterOptions{Invoke: policy})
		}
	}
	if got := who("roundrobin", 7); !slices.Equal(got, []int{0, 1, 2, 0, 1, 2, 0}) {
		t.Errorf("roundrobin order %v", got)
	}
	if got := who("first", 3); !slices.Equal(got, []int{0, 0, 0}) {
		t.Errorf("first order %v", got)
	}
	if got := who("last", 3); !slices.Equal(got, []int{2, 2, 2}) {
		t.Errorf("last order %v", got)
	}
	seen := map[int]bool{}
	for _, i := range who("random", 200) {
		seen[i] = true
	}
	if len(seen) != 3 {
		t.Errorf("random reached callees %v of 3 in 200 calls", seen)
	}
	// The first callee leaves: first moves to the next, roundrobin goes
	// on over the two left, last stays.
	sessions[0].Leave()
	if got := who("first", 2); !slices.Equal(got, []int{1, 1}) {
		t.Errorf("first after the first callee left: %v", got)
	}
	if got := who("roundrobin", 4); !slices.Contains(got, 1) || !slices.Contains(got, 2) || slices.Contains(got, 0) {
		t.Errorf("roundrobin after a callee left: %v", got)
	}
	if err := sessions[2].Unregister(f.realm.LookupRegistration("last", wamp.MatchExact).ID()); err != nil {
		t.Fatal(err)
	}
	if got := who("last", 2); !slices.Equal(got, []int{1, 1}) {
		t.Errorf("last after the last callee unregistered: %v", got)
	}
}

// TestPatternPrecedence replays the spec's example of calls matching
// several registrations: exact, then the longest prefix, then the
// wildcard with the longest runs of concrete components. (In the spec's
// list the prefix registrations would also catch two of the calls it
// gives to wildcards, so here the wildcards start with w1.)
func TestPatternPrecedence(t *testing.T) {
	f := newDealerFixture(t, wamp.RouterConfig{})
	s, c := f.callee(false)
	regs := []*wamp.Registration{
		f.register(s, "a1.b2.c3.d4.e55", wamp.RegisterOptions{}),
		f.register(s, "a1.b2.c3", wamp.RegisterOptions{Match: wamp.MatchPrefix}),
		f.register(s, "a1.b2.c3.d4", wamp.RegisterOptions{Match: wamp.MatchPrefix}),
		f.register(s, "w1.b2..d4.e5", wamp.RegisterOptions{Match: wamp.MatchWildcard}),
		f.register(s, "w1.b2.c3..e5", wamp.RegisterOptions{Match: wamp.MatchWildcard}),
		f.register(s, "w1.b2..d4.e5..g7", wamp.RegisterOptions{Match: wamp.MatchWildcard}),
		f.register(s, "w1.b2..d4..f6.g7", wamp.RegisterOptions{Match: wamp.MatchWildcard}),
		f.register(s, "x..z", wamp.RegisterOptions{Match: wamp.MatchWildcard}),
		f.register(s, "..z", wamp.RegisterOptions{Match: wamp.MatchWildcard}),
	}
	for _, tc := range []struct {
		proc string
		want int // index in regs, -1 for none
	}{
		{"a1.b2.c3.d4.e55", 0},
		{"a1.b2.c3.d98.e74", 1},
		{"a1.b2.c3.d4.e325", 2},
		{"w1.b2.c55.d4.e5", 3},
		{"w1.b2.c3.d4.e5", 4},
		{"w1.b2.c88.d4.e5.f6.g7", 5},
		{"a2.b2.c2.d2.e2", -1},
		{"x.y.z", 7},
		{"w.y.z", 8},
	} {
		got := f.realm.MatchRegistration(tc.proc)
		if tc.want < 0 {
			if got != nil {
				t.Errorf("%s matched %q", tc.proc, got.URI())
			}
			rep := f.call(f.session(), tc.proc, "", nil)
			expect(t, tc.proc, rep.take(), `error wamp.error.no_such_procedure ["no procedure `+tc.proc+` is registered on this node"] -`)
			continue
		}
		if got != regs[tc.want] {
			t.Errorf("%s matched %v, want %q", tc.proc, got, regs[tc.want].URI())
			continue
		}
		rep := f.call(f.session(), tc.proc, `[1]`, nil)
		proc := ""
		if tc.want > 0 {
			proc = " proc=" + tc.proc
		}
		expect(t, tc.proc+" callee", c.take(), fmt.Sprintf("invocation %d reg=%d%s [1] -", c.lastID(), regs[tc.want].ID(), proc))
		s.InvocationError(c.lastID(), "app.error", wamp.Payload{}, wamp.Payload{})
		expect(t, tc.proc+" caller", rep.take(), "error app.error - -")
	}
}
