package wamp_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// testProto is a protocol whose event frames read "<topic> <event>" and
// which counts how often it encodes.
type testProto struct {
	wamp.Protocol
	encoded atomic.Int64
}

func newTestProto(name string) *testProto {
	p := &testProto{}
	p.Protocol = wamp.Protocol{Name: name, EventFrame: func(pub *wamp.Publication) []byte {
		p.encoded.Add(1)
		ev := string(pub.Event)
		if pub.Event == nil {
			ev = "null"
		}
		return wsframe.Text([]byte(pub.Topic + " " + ev))
	}}
	return p
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixture struct {
	t      *testing.T
	r      *wamp.Router
	proto  *testProto
	sess   map[string]*wamp.Session
	conns  map[string]*wamptest.Conn
	relays []*wamp.Publication
}

func newFixture(t *testing.T, cfg wamp.RouterConfig) *fixture {
	f := &fixture{t: t, proto: newTestProto("test"), sess: map[string]*wamp.Session{}, conns: map[string]*wamptest.Conn{}}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	cfg.Relay = func(p *wamp.Publication) { f.relays = append(f.relays, p) }
	f.r = wamp.NewRouter(cfg)
	return f
}

// join opens sessions named by names, each subscribed to topics.
func (f *fixture) join(topics []string, names ...string) {
	for _, n := range names {
		c := wamptest.NewConn(n + ":1")
		s := wamp.NewSession(f.r, c, &f.proto.Protocol)
		s.Join()
		for _, t := range topics {
			if err := s.Subscribe(t); err != nil {
				f.t.Fatalf("%s subscribe %q: %v", n, t, err)
			}
		}
		f.sess[n], f.conns[n] = s, c
	}
}

// receivers publishes pub and returns the names of the sessions that got
// it, sorted.
func (f *fixture) receivers(pub *wamp.Publication, from string) []string {
	if from != "" {
		if err := f.sess[from].Publish(pub); err != nil {
			f.t.Fatalf("publish: %v", err)
		}
	} else {
		f.r.Publish(pub)
	}
	var got []string
	for n, c := range f.conns {
		if msgs := c.Take(); len(msgs) > 0 {
			got = append(got, n)
		}
	}
	slices.Sort(got)
	return got
}

func (f *fixture) id(name string) string { return f.sess[name].ID() }

func TestRecipients(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join([]string{"t"}, "A", "B", "C")
	f.join(nil, "D")
	ids := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, f.id(n))
		}
		return out
	}
	tests := []struct {
		name string
		pub  wamp.Publication
		from string
		want []string
	}{
		{"everyone", wamp.Publication{}, "A", []string{"A", "B", "C"}},
		{"server side", wamp.Publication{}, "", []string{"A", "B", "C"}},
		{"not subscribed publisher", wamp.Publication{}, "D", []string{"A", "B", "C"}},
		{"excludeMe", wamp.Publication{ExcludeMe: true}, "A", []string{"B", "C"}},
		{"excludeMe server side", wamp.Publication{ExcludeMe: true}, "", []string{"A", "B", "C"}},
		{"exclude", wamp.Publication{Exclude: ids("B")}, "A", []string{"A", "C"}},
		{"exclude unknown and empty", wamp.Publication{Exclude: []string{"nope", ""}}, "A", []string{"A", "B", "C"}},
		{"eligible", wamp.Publication{Eligible: ids("B")}, "A", []string{"B"}},
		{"eligible duplicates", wamp.Publication{Eligible: ids("B", "B", "C", "B")}, "A", []string{"B", "C"}},
		{"exclude and eligible", wamp.Publication{Exclude: ids("B"), Eligible: ids("B", "C")}, "A", []string{"C"}},
		{"excludeMe and eligible", wamp.Publication{ExcludeMe: true, Eligible: ids("A", "B")}, "A", []string{"B"}},
		{"empty eligible", wamp.Publication{Eligible: []string{}}, "A", []string{"A", "B", "C"}},
		{"eligible unknown", wamp.Publication{Eligible: []string{"no-such-session"}}, "A", nil},
		{"eligible empty id names nobody", wamp.Publication{Eligible: []string{""}}, "A", nil},
		{"eligible not subscribed", wamp.Publication{Eligible: ids("D")}, "A", nil},
		{"eligible longer than subscribers", wamp.Publication{Exclude: ids("C"), Eligible: append(ids("A", "B", "C", "D"), "x", "y")}, "A", []string{"A", "B"}},
		{"other topic", wamp.Publication{Topic: "u"}, "A", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := tt.pub
			if pub.Topic == "" {
				pub.Topic = "t"
			}
			if got := f.receivers(&pub, tt.from); !slices.Equal(got, tt.want) {
				t.Errorf("receivers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLegacyBroadcastTopic(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join([]string{"broadcast/channel"}, "A", "B")
	pub := &wamp.Publication{Topic: "broadcast/channel", ExcludeMe: true, Exclude: []string{f.id("B")}, Eligible: []string{"x"}}
	if got := f.receivers(pub, "A"); !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("legacy topic receivers = %v, want everyone", got)
	}
	if len(f.relays) != 0 {
		t.Errorf("legacy topic publication relayed")
	}

	off := newFixture(t, wamp.RouterConfig{LegacyBroadcastTopic: wamp.LegacyBroadcastDisabled})
	off.join([]string{"broadcast/channel"}, "A", "B")
	if got := off.receivers(&wamp.Publication{Topic: "broadcast/channel", ExcludeMe: true}, "A"); !slices.Equal(got, []string{"B"}) {
		t.Errorf("disabled legacy topic receivers = %v, want [B]", got)
	}

	custom := newFixture(t, wamp.RouterConfig{LegacyBroadcastTopic: "legacy"})
	custom.join([]string{"legacy"}, "A", "B")
	if got := custom.receivers(&wamp.Publication{Topic: "legacy", ExcludeMe: true}, "A"); !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("custom legacy topic receivers = %v, want everyone", got)
	}
}

func TestRelaySeam(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join([]string{"t"}, "A", "B")
	f.receivers(&wamp.Publication{Topic: "t", ExcludeMe: true}, "A")
	if len(f.relays) != 1 {
		t.Fatalf("relayed %d publications, want 1", len(f.relays))
	}
	if p := f.relays[0]; !slices.Equal(p.Exclude, []string{f.id("A")}) || p.ExcludeMe {
		t.Errorf("relayed publication: exclude %v, excludeMe %v; want the publisher folded into exclude", p.Exclude, p.ExcludeMe)
	}
	if got := f.receivers(&wamp.Publication{Topic: "t", Relayed: true}, ""); !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("relayed publication reached %v", got)
	}
	if len(f.relays) != 1 {
		t.Errorf("a relayed publication was relayed again")
	}
}

// frameConn records the frames it is given, to check they are shared.
type frameConn struct {
	wamptest.Conn
	mu     sync.Mutex
	frames [][]byte
}

func (c *frameConn) SendFrame(frame []byte) {
	c.mu.Lock()
	c.frames = append(c.frames, frame)
	c.mu.Unlock()
}

func TestEncodeOncePerProtocol(t *testing.T) {
	r := wamp.NewRouter(wamp.RouterConfig{Logger: quiet})
	p1, p2 := newTestProto("one"), newTestProto("two")
	var conns []*frameConn
	for i := range 10 {
		c := &frameConn{}
		p := p1
		if i%2 == 1 {
			p = p2
		}
		s := wamp.NewSession(r, c, &p.Protocol)
		s.Join()
		if err := s.Subscribe("t"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	r.Publish(&wamp.Publication{Topic: "t", Event: []byte(`{"a":1}`)})
	if p1.encoded.Load() != 1 || p2.encoded.Load() != 1 {
		t.Errorf("encoded %d and %d times, want once per protocol", p1.encoded.Load(), p2.encoded.Load())
	}
	for i, c := range conns {
		if len(c.frames) != 1 {
			t.Fatalf("conn %d got %d frames", i, len(c.frames))
		}
		if &c.frames[0][0] != &conns[i%2].frames[0][0] {
			t.Errorf("conn %d got its own copy of the frame", i)
		}
	}
	if want := string(wsframe.Text([]byte(`t {"a":1}`))); string(conns[0].frames[0]) != want {
		t.Errorf("frame = %q, want %q", conns[0].frames[0], want)
	}
}

// hooks is a Handler recording calls, with switchable behaviour.
type hooks struct {
	wamp.BaseHandler
	mu          sync.Mutex
	log         []string
	refuse      bool
	veto        bool
	rewrite     func(*wamp.Publication)
	panicOn     string
	errs        []error
	unsubscribe []string
}

func (h *hooks) record(s string) {
	h.mu.Lock()
	h.log = append(h.log, s)
	h.mu.Unlock()
}

func (h *hooks) maybePanic(hook string) {
	if h.panicOn == hook {
		panic("boom in " + hook)
	}
}

func (h *hooks) OnOpen(p wamp.Peer)  { h.record("open " + p.Protocol()) }
func (h *hooks) OnClose(p wamp.Peer) { h.record("close") }
func (h *hooks) OnError(p wamp.Peer, err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}
func (h *hooks) OnSubscribe(p wamp.Peer, topic string) error {
	h.maybePanic("OnSubscribe")
	h.record("subscribe " + topic)
	if h.refuse {
		return errors.New("not allowed")
	}
	return nil
}
func (h *hooks) OnUnsubscribe(p wamp.Peer, topic string) { h.record("unsubscribe " + topic) }
func (h *hooks) OnPublish(p wamp.Peer, pub *wamp.Publication) error {
	h.maybePanic("OnPublish")
	h.record("publish " + pub.Topic)
	if h.rewrite != nil {
		h.rewrite(pub)
	}
	if h.veto {
		return errors.New("vetoed")
	}
	return nil
}

func TestHooks(t *testing.T) {
	h := &hooks{}
	f := newFixture(t, wamp.RouterConfig{Handler: h})
	f.join([]string{"t"}, "A", "B")
	a := f.sess["A"]

	if err := a.Subscribe("t"); err != nil {
		t.Errorf("second subscribe: %v", err)
	}
	h.refuse = true
	if err := a.Subscribe("refused"); err == nil || a.Subscribed("refused") {
		t.Errorf("refused subscription: err %v, subscribed %v", err, a.Subscribed("refused"))
	}
	h.refuse = false

	h.veto = true
	if err := a.Publish(&wamp.Publication{Topic: "t"}); err == nil {
		t.Errorf("vetoed publication: no error")
	}
	if got := append(f.conns["A"].Take(), f.conns["B"].Take()...); len(got) != 0 {
		t.Errorf("vetoed publication delivered: %q", got)
	}
	h.veto = false

	if !a.Unsubscribe("t") || a.Unsubscribe("t") {
		t.Errorf("unsubscribe should report true once")
	}
	a.Leave()
	a.Leave()
	want := []string{"open test", "subscribe t", "open test", "subscribe t", "subscribe refused",
		"publish t", "unsubscribe t", "close"}
	if !slices.Equal(h.log, want) {
		t.Errorf("hook calls:\n got %q\nwant %q", h.log, want)
	}
	if err := a.Subscribe("t"); err == nil {
		t.Errorf("subscribe after Leave succeeded")
	}
	if err := a.Publish(&wamp.Publication{Topic: "t"}); err == nil {
		t.Errorf("publish after Leave succeeded")
	}
}

func TestRewriteDelivers(t *testing.T) {
	h := &hooks{}
	f := newFixture(t, wamp.RouterConfig{Handler: h})
	f.join([]string{"t"}, "A", "B", "C")
	h.rewrite = func(p *wamp.Publication) { p.Event = []byte(`"rewritten"`); p.Eligible = []string{f.id("B")} }
	if err := f.sess["A"].Publish(&wamp.Publication{Topic: "t", Event: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if got := f.conns["B"].Take(); !slices.Equal(got, []string{`t "rewritten"`}) {
		t.Errorf("B got %q", got)
	}
	if got := append(f.conns["A"].Take(), f.conns["C"].Take()...); len(got) != 0 {
		t.Errorf("A and C got %q", got)
	}
}

func TestHookPanic(t *testing.T) {
	h := &hooks{panicOn: "OnPublish"}
	f := newFixture(t, wamp.RouterConfig{Handler: h})
	f.join([]string{"t"}, "A", "B")
	err := f.sess["A"].Publish(&wamp.Publication{Topic: "t"})
	var pe *wamp.PanicError
	if !errors.As(err, &pe) || pe.Hook != "OnPublish" {
		t.Fatalf("Publish error = %v, want a *PanicError from OnPublish", err)
	}
	if code, _, closed := f.conns["A"].CloseCode(); !closed || code != wamp.CloseInternalError {
		t.Errorf("connection close = %d %v, want 1011", code, closed)
	}
	if len(h.errs) != 1 || !errors.As(h.errs[0], &pe) {
		t.Errorf("OnError got %v", h.errs)
	}
	if got := f.conns["B"].Take(); len(got) != 0 {
		t.Errorf("B got %q from a publication whose hook panicked", got)
	}
}

func TestStatsAndTopicLifecycle(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join([]string{"t", "u"}, "A", "B")
	f.receivers(&wamp.Publication{Topic: "t"}, "A")
	f.receivers(&wamp.Publication{Topic: "nobody"}, "")
	st := f.r.Stats()
	want := wamp.Stats{Sessions: 2, Topics: 2, Subscriptions: 4, Publications: 2, Deliveries: 2}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if p, ok := f.r.Session(f.id("A")); !ok || p.ID() != f.id("A") {
		t.Errorf("Session(%q) = %v, %v", f.id("A"), p, ok)
	}
	f.sess["A"].Unsubscribe("u")
	f.sess["A"].Leave()
	f.sess["B"].Leave()
	if st := f.r.Stats(); st.Sessions != 0 || st.Topics != 0 || st.Subscriptions != 0 {
		t.Errorf("after everyone left: %+v", st)
	}
	if _, ok := f.r.Session(f.id("A")); ok {
		t.Errorf("left session still registered")
	}
}

func TestMaxSubscriptions(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{MaxSubscriptions: 2})
	f.join([]string{"a", "b"}, "A")
	if err := f.sess["A"].Subscribe("c"); !errors.Is(err, wamp.ErrTooManySubscriptions) {
		t.Errorf("third subscription: %v", err)
	}
}

func TestServerIdentAndNodeID(t *testing.T) {
	r := wamp.NewRouter(wamp.RouterConfig{ServerIdent: "x]y", NodeID: "a.b", Logger: quiet})
	if r.ServerIdent() != "x)y" {
		t.Errorf("ident %q", r.ServerIdent())
	}
	if r.NodeID() != "a_b" {
		t.Errorf("node id %q", r.NodeID())
	}
	if d := wamp.NewRouter(wamp.RouterConfig{Logger: quiet}); d.ServerIdent() != wamp.DefaultServerIdent || d.NodeID() != "" {
		t.Errorf("defaults: ident %q node %q", d.ServerIdent(), d.NodeID())
	}
}

// TestConcurrentChurn subscribes, publishes and leaves from many
// goroutines at once; run with -race.
func TestConcurrentChurn(t *testing.T) {
	r := wamp.NewRouter(wamp.RouterConfig{Logger: quiet})
	proto := newTestProto("test")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*wamp.Session
			for i := range 200 {
				s := wamp.NewSession(r, wamptest.NewConn("x"), &proto.Protocol)
				s.Join()
				topic := fmt.Sprintf("t%d", i%3)
				if err := s.Subscribe(topic); err != nil {
					t.Error(err)
					return
				}
				mine = append(mine, s)
				pub := &wamp.Publication{Topic: topic, Event: []byte(`1`), ExcludeMe: i%2 == 0}
				if i%5 == 0 && len(mine) > 1 {
					pub.Eligible = []string{mine[0].ID(), mine[len(mine)-1].ID()}
				}
				if err := s.Publish(pub); err != nil {
					t.Error(err)
				}
				if i%3 == g%3 {
					s.Unsubscribe(topic)
				}
				if i%4 == 0 {
					mine[0].Leave()
					mine = mine[1:]
				}
			}
			for _, s := range mine {
				s.Leave()
			}
		}()
	}
	wg.Wait()
	if st := r.Stats(); st.Sessions != 0 || st.Topics != 0 || st.Subscriptions != 0 {
		t.Errorf("after churn: %+v", st)
	}
}

func TestCall(t *testing.T) {
	rep := &replier{}
	c := wamp.NewCall("proc", nil, rep)
	if err := c.Result(make(chan int)); err == nil {
		t.Errorf("Result(chan) succeeded")
	}
	if err := c.Result(json.RawMessage(`[1,`)); err == nil {
		t.Errorf("Result(invalid raw JSON) succeeded")
	}
	if err := c.Result(map[string]any{"a": "<b>/é"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Error("u", "d", nil); !errors.Is(err, wamp.ErrCallAnswered) {
		t.Errorf("second answer: %v", err)
	}
	if want := []string{`result {"a":"<b>/é"}`}; !slices.Equal(rep.got, want) {
		t.Errorf("replies %q, want %q", rep.got, want)
	}

	rep = &replier{}
	c = wamp.NewCall("proc", nil, rep)
	if err := c.Result(json.RawMessage(" [ 1 , 2 ] ")); err != nil {
		t.Fatal(err)
	}
	c = wamp.NewCall("proc", nil, rep)
	if err := c.Error("uri", "desc", []int{1}); err != nil {
		t.Fatal(err)
	}
	c = wamp.NewCall("proc", nil, rep)
	wamp.BaseHandler{}.OnCall(nil, c)
	want := []string{"result [1,2]", "error uri desc [1]", "error proc " + wamp.NoRPCDescription + " "}
	if !slices.Equal(rep.got, want) {
		t.Errorf("replies %q, want %q", rep.got, want)
	}
}

type replier struct{ got []string }

func (r *replier) ReplyResult(result []byte) { r.got = append(r.got, "result "+string(result)) }
func (r *replier) ReplyError(uri, desc string, details []byte) {
	r.got = append(r.got, "error "+uri+" "+desc+" "+string(details))
}
