package wamp_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
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
	p.Protocol = wamp.Protocol{Name: name, EventFrame: func(pub *wamp.Publication, _ *wamp.Subscription) []byte {
		p.encoded.Add(1)
		return wsframe.Text([]byte(pub.Topic + " " + string(pub.Event())))
	}}
	return p
}

// event returns a publication of a v1-style event.
func event(topic, ev string) *wamp.Publication {
	pub := &wamp.Publication{Topic: topic}
	if ev != "" {
		pub.SetEvent([]byte(ev))
	}
	return pub
}

// newRouter makes a router or fails the test.
func newRouter(t testing.TB, cfg wamp.RouterConfig) *wamp.Router {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	r, err := wamp.NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// joinSession makes a session of proto on c in realm and joins it.
func joinSession(realm *wamp.Realm, c wamp.Conn, proto *wamp.Protocol) *wamp.Session {
	s := realm.NewSession(c, proto, nil)
	s.Join()
	return s
}

// subscribe subscribes s to topic exactly or fails the test.
func subscribe(t testing.TB, s *wamp.Session, topic string) *wamp.Subscription {
	t.Helper()
	sub, _, err := s.Subscribe(topic, wamp.MatchExact)
	if err != nil {
		t.Fatalf("subscribe %q: %v", topic, err)
	}
	return sub
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixture struct {
	t      *testing.T
	r      *wamp.Router
	proto  *testProto
	sess   map[string]*wamp.Session
	conns  map[string]*wamptest.Conn
	relays []*wamp.Publication // but the meta events
	meta   []*wamp.Publication // the relayed meta events
}

func newFixture(t *testing.T, cfg wamp.RouterConfig) *fixture {
	f := &fixture{t: t, proto: newTestProto("test"), sess: map[string]*wamp.Session{}, conns: map[string]*wamptest.Conn{}}
	cfg.Relay = func(p *wamp.Publication) {
		if strings.HasPrefix(p.Topic, "wamp.") {
			f.meta = append(f.meta, p)
		} else {
			f.relays = append(f.relays, p)
		}
	}
	f.r = newRouter(t, cfg)
	return f
}

// join opens sessions named by names in the v1 realm, each subscribed to
// topics.
func (f *fixture) join(topics []string, names ...string) {
	f.joinRealm(f.r.V1Realm(), topics, names...)
}

// joinRealm opens sessions named by names in realm, each subscribed to
// topics.
func (f *fixture) joinRealm(realm *wamp.Realm, topics []string, names ...string) {
	for _, n := range names {
		c := wamptest.NewConn(n + ":1")
		s := joinSession(realm, c, &f.proto.Protocol)
		for _, t := range topics {
			subscribe(f.t, s, t)
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

func (f *fixture) id(name string) wamp.ID { return f.sess[name].ID() }

func TestRecipients(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join([]string{"t"}, "A", "B", "C")
	f.join(nil, "D")
	ids := func(names ...string) []wamp.ID {
		var out []wamp.ID
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
		{"exclude unknown and zero", wamp.Publication{Exclude: []wamp.ID{12345, 0}}, "A", []string{"A", "B", "C"}},
		{"eligible", wamp.Publication{Eligible: ids("B")}, "A", []string{"B"}},
		{"eligible duplicates", wamp.Publication{Eligible: ids("B", "B", "C", "B")}, "A", []string{"B", "C"}},
		{"exclude and eligible", wamp.Publication{Exclude: ids("B"), Eligible: ids("B", "C")}, "A", []string{"C"}},
		{"excludeMe and eligible", wamp.Publication{ExcludeMe: true, Eligible: ids("A", "B")}, "A", []string{"B"}},
		{"empty eligible", wamp.Publication{Eligible: []wamp.ID{}}, "A", []string{"A", "B", "C"}},
		{"eligible unknown", wamp.Publication{Eligible: []wamp.ID{12345}}, "A", nil},
		{"eligible zero id names nobody", wamp.Publication{Eligible: []wamp.ID{0}}, "A", nil},
		{"eligible not subscribed", wamp.Publication{Eligible: ids("D")}, "A", nil},
		{"eligible longer than subscribers", wamp.Publication{Exclude: ids("C"), Eligible: append(ids("A", "B", "C", "D"), 7, 9)}, "A", []string{"A", "B"}},
		{"long exclude list", wamp.Publication{Exclude: append(ids("C", "A"), 1, 2, 3, 4, 5, 6, 7, 8, 9)}, "B", []string{"B"}},
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

func TestLocalTopic(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{LocalTopic: "broadcast/channel"})
	f.join([]string{"broadcast/channel"}, "A", "B")
	pub := &wamp.Publication{Topic: "broadcast/channel", ExcludeMe: true, Exclude: []wamp.ID{f.id("B")}, Eligible: []wamp.ID{7}, Retain: true}
	if got := f.receivers(pub, "A"); !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("local topic receivers = %v, want everyone", got)
	}
	if len(f.relays) != 0 {
		t.Errorf("local topic publication relayed")
	}
	if st := f.r.Stats(); st.Retained != 0 {
		t.Errorf("local topic publication retained: %+v", st)
	}

	off := newFixture(t, wamp.RouterConfig{})
	off.join([]string{"broadcast/channel"}, "A", "B")
	if got := off.receivers(&wamp.Publication{Topic: "broadcast/channel", ExcludeMe: true}, "A"); !slices.Equal(got, []string{"B"}) {
		t.Errorf("without a local topic: receivers = %v, want [B]", got)
	}
}

func TestRelaySeam(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join([]string{"t"}, "A", "B")
	f.receivers(&wamp.Publication{Topic: "t", ExcludeMe: true}, "A")
	if len(f.relays) != 1 {
		t.Fatalf("relayed %d publications, want 1", len(f.relays))
	}
	if p := f.relays[0]; !slices.Equal(p.Exclude, []wamp.ID{f.id("A")}) || p.ExcludeMe {
		t.Errorf("relayed publication: exclude %v, excludeMe %v; want the publisher folded into exclude", p.Exclude, p.ExcludeMe)
	}
	if p := f.relays[0]; p.Realm != wamp.DefaultRealm || !p.ID.Valid() || p.PublisherID != f.id("A") {
		t.Errorf("relayed publication: realm %q, id %d, publisher %d", p.Realm, p.ID, p.PublisherID)
	}
	if got := f.receivers(&wamp.Publication{Topic: "t", Relayed: true, ID: 5}, ""); !slices.Equal(got, []string{"A", "B"}) {
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
	r := newRouter(t, wamp.RouterConfig{})
	p1, p2 := newTestProto("one"), newTestProto("two")
	var conns []*frameConn
	for i := range 10 {
		c := &frameConn{}
		p := p1
		if i%2 == 1 {
			p = p2
		}
		subscribe(t, joinSession(r.V1Realm(), c, &p.Protocol), "t")
		conns = append(conns, c)
	}
	r.Publish(event("t", `{"a":1}`))
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

func TestStatsAndTopicLifecycle(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join([]string{"t", "u"}, "A", "B")
	f.receivers(&wamp.Publication{Topic: "t"}, "A")
	f.receivers(&wamp.Publication{Topic: "nobody"}, "")
	f.receivers(&wamp.Publication{Realm: "nowhere", Topic: "t"}, "")
	st := f.r.Stats()
	// Four publications: the two sessions' wamp.session.on_join (always
	// published, and relayed, when the router has a relay), then t and
	// nobody.
	want := wamp.Stats{Sessions: 2, Topics: 2, Subscriptions: 4, Publications: 4, Deliveries: 2, UnknownRealm: 1}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if p, ok := f.r.Session(f.id("A")); !ok || p.ID() != f.id("A") {
		t.Errorf("Session(%q) = %v, %v", f.id("A"), p, ok)
	}
	f.sess["A"].UnsubscribeTopic("u")
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
	if _, _, err := f.sess["A"].Subscribe("c", wamp.MatchWildcard); !errors.Is(err, wamp.ErrTooManySubscriptions) {
		t.Errorf("third subscription: %v", err)
	}
}

// TestConcurrentChurn subscribes, publishes and leaves from many
// goroutines at once; run with -race.
func TestConcurrentChurn(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	proto := newTestProto("test")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*wamp.Session
			for i := range 200 {
				s := joinSession(r.V1Realm(), wamptest.NewConn("x"), &proto.Protocol)
				topic := fmt.Sprintf("t.%d", i%3)
				if _, _, err := s.Subscribe(topic, wamp.MatchExact); err != nil {
					t.Error(err)
					return
				}
				if i%7 == 0 {
					if _, _, err := s.Subscribe("t", wamp.MatchPrefix); err != nil {
						t.Error(err)
						return
					}
				}
				mine = append(mine, s)
				pub := event(topic, `1`)
				pub.ExcludeMe = i%2 == 0
				if i%5 == 0 && len(mine) > 1 {
					pub.Eligible = []wamp.ID{mine[0].ID(), mine[len(mine)-1].ID()}
				}
				if err := s.Publish(pub); err != nil {
					t.Error(err)
				}
				if i%3 == g%3 {
					s.UnsubscribeTopic(topic)
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

// TestSessionsInARowOnOneConnection: a v2 connection runs a new core
// session after each GOODBYE; each gets its own id and hooks, and what
// the first subscribed ends with it.
func TestSessionsInARowOnOneConnection(t *testing.T) {
	h := &hooks{}
	r := newRouter(t, wamp.RouterConfig{Handler: h, Realms: []string{"a", "b"}})
	c := wamptest.NewConn("c:1")
	proto := newTestProto("v2")
	first := r.Realm("a").NewSession(c, &proto.Protocol, &wamp.Auth{ID: "joe", Role: "user", Method: "ticket"})
	if first.ID() != 0 || first.Live() {
		t.Fatalf("before Join: id %d, live %v", first.ID(), first.Live())
	}
	first.Join()
	first.Join() // no second OnOpen
	subscribe(t, first, "t")
	if first.AuthID() != "joe" || first.AuthRole() != "user" || first.AuthMethod() != "ticket" {
		t.Errorf("auth %q %q %q", first.AuthID(), first.AuthRole(), first.AuthMethod())
	}
	first.Leave()
	second := r.Realm("b").NewSession(c, &proto.Protocol, nil)
	second.Join()
	if second.ID() == first.ID() || !second.Live() || first.Live() || second.Realm() != "b" {
		t.Errorf("second session: id %d (first %d), live %v/%v, realm %q", second.ID(), first.ID(), second.Live(), first.Live(), second.Realm())
	}
	if second.AuthID() != second.ID().String() || second.AuthRole() != wamp.Anonymous || second.AuthMethod() != wamp.Anonymous {
		t.Errorf("anonymous auth %q %q %q", second.AuthID(), second.AuthRole(), second.AuthMethod())
	}
	r.Publish(&wamp.Publication{Realm: "a", Topic: "t"})
	if got := c.Take(); len(got) != 0 {
		t.Errorf("the first session's subscription outlived it: %q", got)
	}
	if _, ok := r.Session(first.ID()); ok {
		t.Errorf("the first session is still registered")
	}
	never := r.Realm("a").NewSession(c, &proto.Protocol, nil)
	never.Leave()
	never.Join() // a session that left never joins
	if never.Live() {
		t.Errorf("a session joined after Leave")
	}
	want := []string{"open v2", "subscribe t exact", "close", "open v2"}
	if !slices.Equal(h.log, want) {
		t.Errorf("hooks %q, want %q", h.log, want)
	}
	if st := r.Stats(); st.Sessions != 1 {
		t.Errorf("sessions %d", st.Sessions)
	}
}
