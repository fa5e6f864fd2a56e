package wamp_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// The meta API in the core, over recording connections: the events a
// listener gets (exact strings), the procedures' answers and errors, the
// cost of events nobody listens to, and kill.

// metaProto shows each event as "<topic> <args as JSON>" and a killed
// session's goodbye as "goodbye <reason> <message>".
var metaProto = &wamp.Protocol{
	Name: "test",
	EventFrame: func(pub *wamp.Publication, _ *wamp.Subscription) []byte {
		return wsframe.Text([]byte(pub.Topic + " " + partString(pub.Args)))
	},
	Goodbye: func(s *wamp.Session, reason, message string) {
		s.Conn().SendText([]byte("goodbye " + reason + " " + message))
	},
}

// metaFixture is a router with sessions on recording connections and
// the publications it relays.
type metaFixture struct {
	t  *testing.T
	r  *wamp.Router
	mu sync.Mutex
	// relayed lists the topics of the relayed publications.
	relayed []string
	conns   map[*wamp.Session]*wamptest.Conn
}

// newMetaFixture makes a router from cfg with realms realm1 and other;
// relay adds a relay seam.
func newMetaFixture(t *testing.T, cfg wamp.RouterConfig, relay bool) *metaFixture {
	f := &metaFixture{t: t, conns: map[*wamp.Session]*wamptest.Conn{}}
	cfg.Realms = []string{"realm1", "other"}
	if relay {
		cfg.Relay = func(p *wamp.Publication) {
			f.mu.Lock()
			f.relayed = append(f.relayed, p.Topic)
			f.mu.Unlock()
		}
	}
	f.r = newRouter(t, cfg)
	return f
}

// join joins a session to realm; it can register procedures.
func (f *metaFixture) join(realm string) *wamp.Session {
	c := wamptest.NewConn("test:1")
	s := joinSession(f.r.Realm(realm), c, metaProto)
	s.SetCallee(&fakeCallee{}, false)
	f.conns[s] = c
	return s
}

// listen subscribes s to each topic exactly.
func (f *metaFixture) listen(s *wamp.Session, topics ...string) {
	for _, topic := range topics {
		subscribe(f.t, s, topic)
	}
}

// got returns what s received since the last call.
func (f *metaFixture) got(s *wamp.Session) []string { return f.conns[s].Take() }

// call calls procedure from s with JSON args and kwargs ("" for none) and
// returns the answers.
func (f *metaFixture) call(s *wamp.Session, procedure, args, kwargs string) []string {
	rep := &replier{}
	var a, k wamp.Payload
	if args != "" {
		a = jsonPayload(args)
	}
	if kwargs != "" {
		k = jsonPayload(kwargs)
	}
	s.Call(wamp.NewCall(procedure, a, k, rep))
	return rep.take()
}

// details is the meta API's session details of s, as JSON.
func details(s *wamp.Session) string {
	return fmt.Sprintf(`{"authid":"%d","authmethod":"anonymous","authprovider":"static","authrole":"anonymous","session":%d,"transport":{"protocol":"test"}}`,
		s.ID(), s.ID())
}

// subDetails is the meta API's details of sub, as JSON.
func subDetails(sub *wamp.Subscription) string {
	return fmt.Sprintf(`{"created":"%s","id":%d,"match":"%s","uri":"%s"}`,
		sub.Created().UTC().Format(wamp.ISOTimeLayout), sub.ID(), sub.Match(), sub.URI())
}

// regDetails is the meta API's details of reg, as JSON.
func regDetails(reg *wamp.Registration) string {
	return fmt.Sprintf(`{"created":"%s","id":%d,"invoke":"%s","match":"%s","uri":"%s"}`,
		reg.Created().UTC().Format(wamp.ISOTimeLayout), reg.ID(), reg.Invoke(), reg.Match(), reg.URI())
}

// ids is the JSON list of the sessions' ids, sorted.
func ids(sessions ...*wamp.Session) string {
	var n []uint64
	for _, s := range sessions {
		n = append(n, uint64(s.ID()))
	}
	slices.Sort(n)
	b, _ := value.Append(value.JSON, nil, n)
	return string(b)
}

func TestSessionMetaEvents(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	exact := f.join("realm1")
	f.listen(exact, "wamp.session.on_join", "wamp.session.on_leave")
	prefix := f.join("realm1")
	if _, _, err := prefix.Subscribe("wamp.session.", wamp.MatchPrefix); err != nil {
		t.Fatal(err)
	}
	f.got(exact)

	a := f.join("realm1")
	join := "wamp.session.on_join [" + details(a) + "]"
	expect(t, "exact listener", f.got(exact), join)
	expect(t, "prefix listener", f.got(prefix), join)
	f.join("other").Leave() // another realm: not heard
	a.Leave()
	leave := fmt.Sprintf(`wamp.session.on_leave [%d,"%d","anonymous"]`, a.ID(), a.ID())
	expect(t, "exact listener", f.got(exact), leave)
	expect(t, "prefix listener", f.got(prefix), leave)
	expect(t, "the session itself", f.got(a))
}

// TestMetaEventsCostNothingUnwatched: without a listener no meta event is
// published at all; with a relay seam (a cluster) only the session
// events are, and relayed, as a listener may be on another node;
// subscription and registration events are never relayed.
func TestMetaEventsCostNothingUnwatched(t *testing.T) {
	lifecycle := func(f *metaFixture) {
		s := f.join("realm1")
		sub := subscribe(t, s, "com.t")
		reg, err := s.Register("com.p", wamp.RegisterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Unregister(reg.ID()); err != nil {
			t.Fatal(err)
		}
		if err := s.Unsubscribe(sub.ID()); err != nil {
			t.Fatal(err)
		}
		subscribe(t, s, "com.u")
		s.Leave()
	}
	single := newMetaFixture(t, wamp.RouterConfig{}, false)
	lifecycle(single)
	if st := single.r.Stats(); st.Publications != 0 {
		t.Errorf("a single node published %d meta events nobody listens to", st.Publications)
	}

	cluster := newMetaFixture(t, wamp.RouterConfig{}, true)
	lifecycle(cluster)
	if st := cluster.r.Stats(); st.Publications != 2 || !slices.Equal(cluster.relayed, []string{"wamp.session.on_join", "wamp.session.on_leave"}) {
		t.Errorf("a clustered node published %d and relayed %q, want the session's on_join and on_leave", st.Publications, cluster.relayed)
	}
	// A local listener of the subscription and registration events gets
	// them; the peers do not.
	l := cluster.join("realm1")
	cluster.listen(l, "wamp.subscription.on_subscribe", "wamp.registration.on_register")
	cluster.relayed = nil
	lifecycle(cluster)
	if !slices.Equal(cluster.relayed, []string{"wamp.session.on_join", "wamp.session.on_leave"}) {
		t.Errorf("relayed %q, want only the session events", cluster.relayed)
	}
	if got := cluster.got(l); len(got) != 3 {
		t.Errorf("the local listener got %q, want two on_subscribe and one on_register", got)
	}
}

func TestSubscriptionMetaEvents(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	l := f.join("realm1")
	f.listen(l, "wamp.subscription.on_create", "wamp.subscription.on_subscribe",
		"wamp.subscription.on_unsubscribe", "wamp.subscription.on_delete")
	expect(t, "listener (its own subscriptions to wamp. topics)", f.got(l))

	a, b := f.join("realm1"), f.join("realm1")
	t1 := subscribe(t, a, "com.t")
	expect(t, "listener", f.got(l),
		fmt.Sprintf("wamp.subscription.on_create [%d,%s]", a.ID(), subDetails(t1)),
		fmt.Sprintf("wamp.subscription.on_subscribe [%d,%d]", a.ID(), t1.ID()))
	subscribe(t, b, "com.t")
	expect(t, "listener", f.got(l), fmt.Sprintf("wamp.subscription.on_subscribe [%d,%d]", b.ID(), t1.ID()))
	p, _, err := a.Subscribe("com.", wamp.MatchPrefix)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "listener", f.got(l),
		fmt.Sprintf("wamp.subscription.on_create [%d,%s]", a.ID(), subDetails(p)),
		fmt.Sprintf("wamp.subscription.on_subscribe [%d,%d]", a.ID(), p.ID()))
	if err := a.Unsubscribe(t1.ID()); err != nil {
		t.Fatal(err)
	}
	expect(t, "listener", f.got(l), fmt.Sprintf("wamp.subscription.on_unsubscribe [%d,%d]", a.ID(), t1.ID()))
	b.Leave()
	expect(t, "listener", f.got(l),
		fmt.Sprintf("wamp.subscription.on_unsubscribe [%d,%d]", b.ID(), t1.ID()),
		fmt.Sprintf("wamp.subscription.on_delete [%d,%d]", b.ID(), t1.ID()))
	a.Leave()
	expect(t, "listener", f.got(l),
		fmt.Sprintf("wamp.subscription.on_unsubscribe [%d,%d]", a.ID(), p.ID()),
		fmt.Sprintf("wamp.subscription.on_delete [%d,%d]", a.ID(), p.ID()))
	// Subscriptions to the meta topics themselves are not announced.
	m := f.join("realm1")
	f.listen(m, "wamp.session.on_join")
	m.Leave()
	expect(t, "listener", f.got(l))
}

func TestRegistrationMetaEvents(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	l := f.join("realm1")
	f.listen(l, "wamp.registration.on_create", "wamp.registration.on_register",
		"wamp.registration.on_unregister", "wamp.registration.on_delete")
	a, b := f.join("realm1"), f.join("realm1")
	shared := wamp.RegisterOptions{Invoke: wamp.InvokeRoundRobin}
	reg, err := a.Register("com.p", shared)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "listener", f.got(l),
		fmt.Sprintf("wamp.registration.on_create [%d,%s]", a.ID(), regDetails(reg)),
		fmt.Sprintf("wamp.registration.on_register [%d,%d]", a.ID(), reg.ID()))
	if _, err := b.Register("com.p", shared); err != nil {
		t.Fatal(err)
	}
	expect(t, "listener", f.got(l), fmt.Sprintf("wamp.registration.on_register [%d,%d]", b.ID(), reg.ID()))
	if _, err := b.Register("com.p", wamp.RegisterOptions{}); err == nil {
		t.Fatal("a refused registration was accepted")
	}
	expect(t, "listener (a refused registration)", f.got(l))
	if err := a.Unregister(reg.ID()); err != nil {
		t.Fatal(err)
	}
	expect(t, "listener", f.got(l), fmt.Sprintf("wamp.registration.on_unregister [%d,%d]", a.ID(), reg.ID()))
	b.Leave()
	expect(t, "listener", f.got(l),
		fmt.Sprintf("wamp.registration.on_unregister [%d,%d]", b.ID(), reg.ID()),
		fmt.Sprintf("wamp.registration.on_delete [%d,%d]", b.ID(), reg.ID()))
	// The realm's own procedures are not announced.
	own, err := f.r.Realm("realm1").Register("com.own", wamp.RegisterOptions{}, func(_ wamp.Peer, c *wamp.Call) { _ = c.Result(1) })
	if err != nil {
		t.Fatal(err)
	}
	if err := f.r.Realm("realm1").Unregister(own); err != nil {
		t.Fatal(err)
	}
	expect(t, "listener", f.got(l))
}

func TestSessionMetaProcedures(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	a, b, c := f.join("realm1"), f.join("realm1"), f.join("other")
	for _, tc := range []struct{ proc, args, want string }{
		{"wamp.session.count", "", "result [2] -"},
		{"wamp.session.count", "[]", "result [2] -"},
		{"wamp.session.count", `[null]`, "result [2] -"},
		{"wamp.session.count", `[["anonymous","admin"]]`, "result [2] -"},
		{"wamp.session.count", `[["admin"]]`, "result [0] -"},
		{"wamp.session.count", `[[]]`, "result [0] -"},
		{"wamp.session.count", `["anonymous"]`, `error wamp.error.invalid_argument ["argument 1 (filter_authroles) must be a list of strings"] -`},
		{"wamp.session.count", `[[1]]`, `error wamp.error.invalid_argument ["argument 1 (filter_authroles) must be a list of strings"] -`},
		{"wamp.session.list", "", "result [" + ids(a, b) + "] -"},
		{"wamp.session.list", `[["anonymous"]]`, "result [" + ids(a, b) + "] -"},
		{"wamp.session.list", `[["admin"]]`, "result [[]] -"},
		{"wamp.session.get", fmt.Sprintf("[%d]", b.ID()), "result [" + details(b) + "] -"},
		{"wamp.session.get", fmt.Sprintf("[%d]", c.ID()), fmt.Sprintf(`error wamp.error.no_such_session ["no session %d in realm realm1 on this node"] -`, c.ID())},
		{"wamp.session.get", `["1"]`, `error wamp.error.invalid_argument ["argument 1 (session) must be an id, an integer in [1, 2^53]"] -`},
		{"wamp.session.get", "", `error wamp.error.invalid_argument ["argument 1 (session) must be an id, an integer in [1, 2^53]"] -`},
		// Kill is off unless RouterConfig.MetaKill: nobody serves it.
		{"wamp.session.kill", fmt.Sprintf("[%d]", b.ID()), `error wamp.error.no_such_procedure ["no procedure wamp.session.kill is registered on this node"] -`},
		{"wamp.session.nothing", "", `error wamp.error.no_such_procedure ["no procedure wamp.session.nothing is registered on this node"] -`},
	} {
		expect(t, tc.proc+" "+tc.args, f.call(a, tc.proc, tc.args, ""), tc.want)
	}
	expect(t, "count in the other realm", f.call(c, "wamp.session.count", "", ""), "result [1] -")
	if !b.Live() {
		t.Error("a session was killed with kill off")
	}
	// A payload that is not a list or a dict.
	rep := &replier{}
	a.Call(wamp.NewCall("wamp.session.count", wamp.Payload{}, jsonPayload(`[1]`), rep))
	expect(t, "kwargs not a dict", rep.take(), `error wamp.error.invalid_argument ["the keyword arguments are not a dict"] -`)
}

func TestSessionKill(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{MetaKill: true}, false)
	l := f.join("realm1")
	f.listen(l, "wamp.session.on_leave")
	a, b, c := f.join("realm1"), f.join("realm1"), f.join("realm1")
	other := f.join("other")
	sessions := func() string { return f.call(l, "wamp.session.list", "", "")[0] }
	noSuch := func(s *wamp.Session) string {
		return fmt.Sprintf(`error wamp.error.no_such_session ["no session %d in realm realm1 on this node"] -`, s.ID())
	}
	kill := func(s *wamp.Session) string { return fmt.Sprintf("[%d]", s.ID()) }

	expect(t, "kill itself", f.call(a, "wamp.session.kill", kill(a), ""), noSuch(a))
	expect(t, "kill in another realm", f.call(a, "wamp.session.kill", kill(other), ""), noSuch(other))
	expect(t, "bad reason", f.call(a, "wamp.session.kill", kill(b), `{"reason":"not a uri"}`),
		`error wamp.error.invalid_uri ["keyword argument \"reason\" must be a URI"] -`)
	expect(t, "bad message", f.call(a, "wamp.session.kill", kill(b), `{"message":5}`),
		`error wamp.error.invalid_argument ["keyword argument \"message\" must be a string"] -`)
	expect(t, "kill", f.call(a, "wamp.session.kill", kill(b), `{"reason":"com.example.bye","message":"see you"}`), "result - -")

	// b is gone from the realm's views at once; its connection got the
	// goodbye and is closed; it leaves (on_leave) when the protocol
	// session sees the connection gone.
	expect(t, "b", f.got(b), "goodbye com.example.bye see you")
	if code, reason, closed := f.conns[b].CloseCode(); !closed || code != 1000 || reason != "session killed" {
		t.Errorf("b's connection: closed %v %d %q", closed, code, reason)
	}
	if b.Live() || f.r.Realm("realm1").Session(b.ID()) != nil {
		t.Error("a killed session is still live")
	}
	expect(t, "list", []string{sessions()}, "result ["+ids(l, a, c)+"] -")
	expect(t, "count", f.call(l, "wamp.session.count", "", ""), "result [3] -")
	expect(t, "get", f.call(l, "wamp.session.get", kill(b), ""), noSuch(b))
	expect(t, "kill again", f.call(a, "wamp.session.kill", kill(b), ""), noSuch(b))
	if _, _, err := b.Subscribe("com.t", wamp.MatchExact); !errors.Is(err, wamp.ErrNotLive) {
		t.Errorf("a killed session subscribed: %v", err)
	}
	expect(t, "listener before b left", f.got(l))
	b.Leave()
	expect(t, "listener", f.got(l), fmt.Sprintf(`wamp.session.on_leave [%d,"%d","anonymous"]`, b.ID(), b.ID()))
	if st := f.r.Stats(); st.Sessions != 4 {
		t.Errorf("%d sessions counted, want 4 (l, a, c, other)", st.Sessions)
	}

	// The default reason, no message.
	expect(t, "kill c", f.call(a, "wamp.session.kill", kill(c), ""), "result - -")
	expect(t, "c", f.got(c), "goodbye wamp.close.killed ")
	c.Leave()
	f.got(l)

	// By authid: the anonymous authid is the session id.
	d, e := f.join("realm1"), f.join("realm1")
	expect(t, "kill_by_authid", f.call(a, "wamp.session.kill_by_authid", fmt.Sprintf(`["%d"]`, d.ID()), ""), "result ["+ids(d)+"] -")
	expect(t, "kill_by_authid of the caller", f.call(a, "wamp.session.kill_by_authid", fmt.Sprintf(`["%d"]`, a.ID()), ""), "result [[]] -")
	expect(t, "kill_by_authid, bad authid", f.call(a, "wamp.session.kill_by_authid", `[1]`, ""),
		`error wamp.error.invalid_argument ["argument 1 (authid) must be a string"] -`)
	// By authrole: everyone but the caller, in its realm.
	expect(t, "kill_by_authrole", f.call(a, "wamp.session.kill_by_authrole", `["anonymous"]`, `{"message":"all out"}`), "result [2] -")
	expect(t, "e", f.got(e), "goodbye wamp.close.killed all out")
	expect(t, "l", f.got(l), "goodbye wamp.close.killed all out")
	if !a.Live() || !other.Live() {
		t.Error("kill_by_authrole killed the caller or a session of another realm")
	}
	expect(t, "count", f.call(a, "wamp.session.count", "", ""), "result [1] -")
}

func TestSubscriptionMetaProcedures(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	a, b, c := f.join("realm1"), f.join("realm1"), f.join("other")
	exact := subscribe(t, a, "com.t")
	subscribe(t, b, "com.t")
	prefix, _, _ := a.Subscribe("com.", wamp.MatchPrefix)
	wild, _, _ := b.Subscribe(".t", wamp.MatchWildcard)
	n := func(sub *wamp.Subscription) string { return fmt.Sprint(sub.ID()) }
	noSuch := `error wamp.error.no_such_subscription ["no subscription 999 in realm realm1 on this node"] -`
	for _, tc := range []struct{ proc, args, want string }{
		{"wamp.subscription.list", "", `result [{"exact":[` + n(exact) + `],"prefix":[` + n(prefix) + `],"wildcard":[` + n(wild) + `]}] -`},
		{"wamp.subscription.lookup", `["com.t"]`, "result [" + n(exact) + "] -"},
		{"wamp.subscription.lookup", `["com.t",{}]`, "result [" + n(exact) + "] -"},
		{"wamp.subscription.lookup", `["com.t",null]`, "result [" + n(exact) + "] -"},
		{"wamp.subscription.lookup", `["com.",{"match":"prefix"}]`, "result [" + n(prefix) + "] -"},
		{"wamp.subscription.lookup", `[".t",{"match":"wildcard"}]`, "result [" + n(wild) + "] -"},
		{"wamp.subscription.lookup", `["com.t",{"match":"prefix"}]`, "result [null] -"},
		{"wamp.subscription.lookup", `["com.t",{"match":"fuzzy"}]`, `error wamp.error.invalid_argument ["option \"match\" must be \"exact\", \"prefix\" or \"wildcard\""] -`},
		{"wamp.subscription.lookup", `["com.t",[]]`, `error wamp.error.invalid_argument ["argument 2 (options) must be a dict"] -`},
		{"wamp.subscription.lookup", `[1]`, `error wamp.error.invalid_argument ["argument 1 (topic) must be a string"] -`},
		{"wamp.subscription.match", `["com.t"]`, "result [[" + n(exact) + "," + n(prefix) + "," + n(wild) + "]] -"},
		{"wamp.subscription.match", `["com.x"]`, "result [[" + n(prefix) + "]] -"},
		{"wamp.subscription.match", `["org.t"]`, "result [[" + n(wild) + "]] -"},
		{"wamp.subscription.match", `["org.u"]`, "result [null] -"},
		{"wamp.subscription.get", "[" + n(exact) + "]", "result [" + subDetails(exact) + "] -"},
		{"wamp.subscription.get", "[" + n(wild) + "]", "result [" + subDetails(wild) + "] -"},
		{"wamp.subscription.get", "[999]", noSuch},
		{"wamp.subscription.get", "[0]", `error wamp.error.invalid_argument ["argument 1 (subscription) must be an id, an integer in [1, 2^53]"] -`},
		{"wamp.subscription.list_subscribers", "[" + n(exact) + "]", "result [" + ids(a, b) + "] -"},
		{"wamp.subscription.list_subscribers", "[999]", noSuch},
		{"wamp.subscription.count_subscribers", "[" + n(exact) + "]", "result [2] -"},
		{"wamp.subscription.count_subscribers", "[" + n(prefix) + "]", "result [1] -"},
		{"wamp.subscription.count_subscribers", "[999]", noSuch},
	} {
		expect(t, tc.proc+" "+tc.args, f.call(a, tc.proc, tc.args, ""), tc.want)
	}
	expect(t, "list in another realm", f.call(c, "wamp.subscription.list", "", ""), `result [{"exact":[],"prefix":[],"wildcard":[]}] -`)
}

func TestRegistrationMetaProcedures(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	a, b, c := f.join("realm1"), f.join("realm1"), f.join("other")
	register := func(s *wamp.Session, proc string, opts wamp.RegisterOptions) *wamp.Registration {
		t.Helper()
		reg, err := s.Register(proc, opts)
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	exact := register(a, "com.p", wamp.RegisterOptions{Invoke: wamp.InvokeRoundRobin})
	register(b, "com.p", wamp.RegisterOptions{Invoke: wamp.InvokeRoundRobin})
	prefix := register(a, "com.", wamp.RegisterOptions{Match: wamp.MatchPrefix})
	wild := register(b, "com..p", wamp.RegisterOptions{Match: wamp.MatchWildcard})
	n := func(reg *wamp.Registration) string { return fmt.Sprint(reg.ID()) }
	noSuch := `error wamp.error.no_such_registration ["no registration 999 in realm realm1 on this node"] -`
	for _, tc := range []struct{ proc, args, want string }{
		{"wamp.registration.list", "", `result [{"exact":[` + n(exact) + `],"prefix":[` + n(prefix) + `],"wildcard":[` + n(wild) + `]}] -`},
		{"wamp.registration.lookup", `["com.p"]`, "result [" + n(exact) + "] -"},
		{"wamp.registration.lookup", `["com.",{"match":"prefix"}]`, "result [" + n(prefix) + "] -"},
		{"wamp.registration.lookup", `["com..p",{"match":"wildcard"}]`, "result [" + n(wild) + "] -"},
		{"wamp.registration.lookup", `["com.q"]`, "result [null] -"},
		{"wamp.registration.lookup", `["com.p",{"match":""}]`, `error wamp.error.invalid_argument ["option \"match\" must be \"exact\", \"prefix\" or \"wildcard\""] -`},
		{"wamp.registration.lookup", `[null]`, `error wamp.error.invalid_argument ["argument 1 (procedure) must be a string"] -`},
		{"wamp.registration.match", `["com.p"]`, "result [" + n(exact) + "] -"},
		{"wamp.registration.match", `["com.q"]`, "result [" + n(prefix) + "] -"},
		{"wamp.registration.match", `["org.p"]`, "result [null] -"},
		{"wamp.registration.match", `["wamp.session.count"]`, "result [null] -"},
		{"wamp.registration.get", "[" + n(exact) + "]", "result [" + regDetails(exact) + "] -"},
		{"wamp.registration.get", "[" + n(prefix) + "]", "result [" + regDetails(prefix) + "] -"},
		{"wamp.registration.get", "[999]", noSuch},
		{"wamp.registration.list_callees", "[" + n(exact) + "]", "result [" + ids(a, b) + "] -"},
		{"wamp.registration.list_callees", "[999]", noSuch},
		{"wamp.registration.count_callees", "[" + n(exact) + "]", "result [2] -"},
		{"wamp.registration.count_callees", "[" + n(wild) + "]", "result [1] -"},
		{"wamp.registration.count_callees", `[-1]`, `error wamp.error.invalid_argument ["argument 1 (registration) must be an id, an integer in [1, 2^53]"] -`},
	} {
		expect(t, tc.proc+" "+tc.args, f.call(a, tc.proc, tc.args, ""), tc.want)
	}
	expect(t, "list in another realm", f.call(c, "wamp.registration.list", "", ""), `result [{"exact":[],"prefix":[],"wildcard":[]}] -`)
}

// TestMetaProcedureOverride: a realm's own procedure (Realm.Register)
// takes the place of a meta procedure, until it is unregistered.
func TestMetaProcedureOverride(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	a := f.join("realm1")
	realm := f.r.Realm("realm1")
	own, err := realm.Register("wamp.session.count", wamp.RegisterOptions{}, func(_ wamp.Peer, c *wamp.Call) { _ = c.Result("mine") })
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "overridden", f.call(a, "wamp.session.count", "", ""), `result ["mine"] -`)
	if err := realm.Unregister(own); err != nil {
		t.Fatal(err)
	}
	expect(t, "restored", f.call(a, "wamp.session.count", "", ""), "result [1] -")
}

// TestPublishReservedTopic: sessions may not publish under "wamp."; the
// router's own Publish may.
func TestPublishReservedTopic(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	l, a := f.join("realm1"), f.join("realm1")
	f.listen(l, "wamp.session.on_join")
	err := a.Publish(&wamp.Publication{Topic: "wamp.session.on_join", Args: jsonPayload(`[{"session":1}]`)})
	var ue *wamp.URIError
	if !errors.Is(err, wamp.ErrReservedTopic) || !errors.As(err, &ue) || ue.URI != wamp.ErrorInvalidURI {
		t.Errorf("publish to a reserved topic: %v", err)
	}
	if err := a.Publish(&wamp.Publication{Topic: "wampx.t"}); err != nil {
		t.Errorf("publish to wampx.t: %v", err)
	}
	f.got(l)
	f.r.Publish(&wamp.Publication{Realm: "realm1", Topic: "wamp.session.on_join", Args: jsonPayload(`["from Go"]`)})
	expect(t, "listener", f.got(l), `wamp.session.on_join ["from Go"]`)
	if !strings.HasPrefix(wamp.ErrReservedTopic.Error(), wamp.ErrorInvalidURI) {
		t.Errorf("ErrReservedTopic = %v", wamp.ErrReservedTopic)
	}
}

// TestSubscriptionLifecycleEventsConcurrent: sessions subscribing to and
// leaving one topic concurrently; every subscription the topic had is
// announced created once and deleted once.
func TestSubscriptionLifecycleEventsConcurrent(t *testing.T) {
	f := newMetaFixture(t, wamp.RouterConfig{}, false)
	l := f.join("realm1")
	f.listen(l, "wamp.subscription.on_create", "wamp.subscription.on_delete")
	const workers, rounds = 8, 200
	sessions := make([]*wamp.Session, workers)
	for i := range sessions {
		sessions[i] = f.join("realm1")
	}
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				sub, _, err := s.Subscribe("com.t", wamp.MatchExact)
				if err != nil {
					t.Error(err)
					return
				}
				if err := s.Unsubscribe(sub.ID()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	created, deleted := map[string]int{}, map[string]int{}
	for _, ev := range f.got(l) {
		var session, sub uint64
		if _, err := fmt.Sscanf(ev, "wamp.subscription.on_delete [%d,%d]", &session, &sub); err == nil {
			deleted[fmt.Sprint(sub)]++
			continue
		}
		i := strings.Index(ev, `"id":`)
		if !strings.HasPrefix(ev, "wamp.subscription.on_create [") || i < 0 {
			t.Fatalf("unexpected event %q", ev)
		}
		id, _, _ := strings.Cut(ev[i+len(`"id":`):], ",")
		created[id]++
	}
	if len(created) == 0 || len(created) != len(deleted) {
		t.Fatalf("%d subscriptions created, %d deleted", len(created), len(deleted))
	}
	for id, n := range created {
		if n != 1 || deleted[id] != 1 {
			t.Errorf("subscription %s: created %d times, deleted %d times", id, n, deleted[id])
		}
	}
}
