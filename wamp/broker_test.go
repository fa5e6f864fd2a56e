package wamp_test

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// v2Like is a protocol whose EVENT names the subscription, as v2's does,
// and which counts how often it encodes.
func v2Like(name string) (*wamp.Protocol, *atomic.Int64) {
	var n atomic.Int64
	return &wamp.Protocol{Name: name, PerSubscription: true, EventFrame: func(pub *wamp.Publication, sub *wamp.Subscription) []byte {
		n.Add(1)
		return wsframe.Text(fmt.Appendf(nil, "%s sub=%d %s %s", name, sub.ID(), pub.Topic, pub.Event()))
	}}, &n
}

func TestOneSubscriptionIDPerTopicAndMatch(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	proto := newTestProto("test")
	a := joinSession(r.V1Realm(), wamptest.NewConn("a"), &proto.Protocol)
	b := joinSession(r.V1Realm(), wamptest.NewConn("b"), &proto.Protocol)
	sa, sb := subscribe(t, a, "t"), subscribe(t, b, "t")
	if sa != sb || !sa.ID().Valid() || sa.URI() != "t" || sa.Match() != wamp.MatchExact || sa.Subscribers() != 2 {
		t.Fatalf("subscriptions %p %p, id %d, uri %q, match %v, %d subscribers", sa, sb, sa.ID(), sa.URI(), sa.Match(), sa.Subscribers())
	}
	again, already, err := a.Subscribe("t", wamp.MatchExact)
	if err != nil || !already || again != sa {
		t.Errorf("subscribing again: %p already %v %v", again, already, err)
	}
	pa, _, _ := a.Subscribe("t", wamp.MatchPrefix)
	pb, _, _ := b.Subscribe("t", wamp.MatchPrefix)
	if pa != pb || pa.ID() == sa.ID() {
		t.Errorf("prefix subscription ids %d %d, exact %d", pa.ID(), pb.ID(), sa.ID())
	}
	if ids := sa.AppendSubscribers(nil); !slices.Contains(ids, a.ID()) || !slices.Contains(ids, b.ID()) || len(ids) != 2 {
		t.Errorf("subscribers %v", ids)
	}
	if got := r.V1Realm().LookupSubscription("t", wamp.MatchPrefix); got != pa {
		t.Errorf("LookupSubscription = %p, want %p", got, pa)
	}
	if got := r.V1Realm().Subscription(pa.ID()); got != pa {
		t.Errorf("Subscription(%d) = %p", pa.ID(), got)
	}
	if got := r.V1Realm().AllSubscriptions(nil); len(got) != 2 {
		t.Errorf("AllSubscriptions = %d", len(got))
	}
	// When everyone left, the subscription is gone; a new one gets a new id.
	a.Leave()
	if err := b.Unsubscribe(sa.ID()); err != nil {
		t.Fatal(err)
	}
	if r.V1Realm().LookupSubscription("t", wamp.MatchExact) != nil || r.V1Realm().Subscription(sa.ID()) != nil {
		t.Errorf("a subscription without subscribers is still found")
	}
	if fresh := subscribe(t, b, "t"); fresh.ID() == sa.ID() {
		t.Errorf("a new subscription reused id %d", sa.ID())
	}
}

// TestPatternSubscriptions delivers the WAMP spec's examples to prefix and
// wildcard subscribers beside an exact one.
func TestPatternSubscriptions(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join(nil, "exact", "prefix", "wildcard", "both")
	realm := f.r.V1Realm()
	sub := func(name, uri string, m wamp.Match) {
		if _, _, err := f.sess[name].Subscribe(uri, m); err != nil {
			t.Fatal(err)
		}
	}
	sub("exact", "com.myapp.topic.emergency", wamp.MatchExact)
	sub("prefix", "com.myapp.topic.emergency", wamp.MatchPrefix)
	sub("wildcard", "com.myapp..userevent", wamp.MatchWildcard)
	sub("both", "com.myapp.foo.userevent", wamp.MatchExact)
	sub("both", "com.myapp..userevent", wamp.MatchWildcard)
	sub("both", "com.myapp.foo", wamp.MatchPrefix)
	tests := map[string][]string{
		"com.myapp.topic.emergency":                 {"exact", "prefix"},
		"com.myapp.topic.emergency.11":              {"prefix"},
		"com.myapp.topic.emergency-low":             {"prefix"},
		"com.myapp.topic.emergency.category.severe": {"prefix"},
		"com.myapp.topic.emergenc":                  nil,
		"com.myapp.bar.userevent":                   {"both", "wildcard"},
		"com.myapp.foo.userevent.bar":               {"both"},
		"com.myapp2.foo.userevent":                  nil,
	}
	for topic, want := range tests {
		if got := f.receivers(event(topic, `1`), ""); !slices.Equal(got, want) {
			t.Errorf("%s reached %v, want %v", topic, got, want)
		}
	}
	// One EVENT per matching subscription: three for "both" here.
	f.r.Publish(event("com.myapp.foo.userevent", `2`))
	if got := f.conns["both"].Take(); len(got) != 3 {
		t.Errorf("a session subscribed three ways got %q", got)
	}
	f.conns["wildcard"].Take()
	if got := realm.MatchSubscriptions("com.myapp.foo.userevent", nil); len(got) != 3 || got[0].Match() != wamp.MatchExact ||
		got[1].Match() != wamp.MatchPrefix || got[2].Match() != wamp.MatchWildcard {
		t.Errorf("MatchSubscriptions: %v", got)
	}
	// Patterns leave the index when their last subscriber leaves.
	for _, n := range []string{"prefix", "wildcard", "both"} {
		f.sess[n].Leave()
	}
	if got := f.receivers(event("com.myapp.topic.emergency.11", `3`), ""); got != nil {
		t.Errorf("after the pattern subscribers left: reached %v", got)
	}
	if st := realm.Stats(); st.Subscriptions != 1 || st.Subscribers != 1 {
		t.Errorf("stats after leaving: %+v", st)
	}
}

// TestFramesPerProtocolAndSubscription: a per-subscription protocol
// encodes once per subscription, a per-publication one once in all, and
// the same bytes go to every subscriber sharing them.
func TestFramesPerProtocolAndSubscription(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	v2json, nJSON := v2Like("json")
	v2mp, nMP := v2Like("msgpack")
	v1 := newTestProto("v1")
	type member struct {
		c     *frameConn
		proto *wamp.Protocol
		uri   string
		match wamp.Match
	}
	var members []member
	for i := range 12 {
		proto := []*wamp.Protocol{v2json, v2mp, &v1.Protocol}[i%3]
		uri, match := "a.b", wamp.MatchExact
		if i%2 == 1 && proto != &v1.Protocol {
			uri, match = "a", wamp.MatchPrefix
		}
		c := &frameConn{}
		if _, _, err := joinSession(r.V1Realm(), c, proto).Subscribe(uri, match); err != nil {
			t.Fatal(err)
		}
		members = append(members, member{c, proto, uri, match})
	}
	r.Publish(event("a.b", `"x"`))
	if nJSON.Load() != 2 || nMP.Load() != 2 || v1.encoded.Load() != 1 {
		t.Errorf("encodings: json %d, msgpack %d, v1 %d; want 2, 2, 1", nJSON.Load(), nMP.Load(), v1.encoded.Load())
	}
	first := map[string]*byte{}
	for i, m := range members {
		if len(m.c.frames) != 1 {
			t.Fatalf("member %d got %d frames", i, len(m.c.frames))
		}
		key := m.proto.Name + " " + m.uri
		if p, ok := first[key]; ok && p != &m.c.frames[0][0] {
			t.Errorf("member %d (%s) got its own copy", i, key)
		}
		first[key] = &m.c.frames[0][0]
	}
}

func TestRealmIsolation(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{Realms: []string{"com.a", "com.b"}, V1Realm: "com.b"})
	a, b := f.r.Realm("com.a"), f.r.Realm("com.b")
	if f.r.V1Realm() != b || f.r.Realm("com.c") != nil || a.Name() != "com.a" || len(f.r.Realms()) != 2 {
		t.Fatalf("realms: v1 %v, unknown %v", f.r.V1Realm(), f.r.Realm("com.c"))
	}
	f.joinRealm(a, []string{"t"}, "A1", "A2")
	f.joinRealm(b, []string{"t"}, "B1")
	if got := f.receivers(event("t", `1`), "A1"); !slices.Equal(got, []string{"A1", "A2"}) {
		t.Errorf("publication in com.a reached %v", got)
	}
	if got := f.receivers(event("t", `2`), ""); !slices.Equal(got, []string{"B1"}) {
		t.Errorf("server publication without realm reached %v, want the v1 realm only", got)
	}
	pub := event("t", `3`)
	pub.Realm = "com.a"
	if got := f.receivers(pub, ""); !slices.Equal(got, []string{"A1", "A2"}) {
		t.Errorf("server publication to com.a reached %v", got)
	}
	// An eligible list naming a session of another realm reaches nobody.
	pub = event("t", `4`)
	pub.Eligible = []wamp.ID{f.id("B1")}
	if got := f.receivers(pub, "A1"); got != nil {
		t.Errorf("eligible session of another realm: reached %v", got)
	}
	if f.sess["A1"].Realm() != "com.a" || a.Session(f.id("B1")) != nil || a.Session(f.id("A2")) == nil {
		t.Errorf("Realm/Session lookups across realms")
	}
	if p, ok := f.r.Session(f.id("B1")); !ok || p.Realm() != "com.b" {
		t.Errorf("Router.Session(B1) = %v, %v", p, ok)
	}
	if got := a.Sessions(nil); len(got) != 2 || a.SessionCount() != 2 || b.SessionCount() != 1 {
		t.Errorf("com.a sessions %d (count %d), com.b %d", len(got), a.SessionCount(), b.SessionCount())
	}
	if st := f.r.Stats(); st.Topics != 2 || st.Sessions != 3 || st.Subscriptions != 3 {
		t.Errorf("router stats %+v", st)
	}
}

func TestRouterConfigErrors(t *testing.T) {
	for name, cfg := range map[string]wamp.RouterConfig{
		"realm with a space":   {Realms: []string{"realm 1"}},
		"empty realm name":     {Realms: []string{"a", ""}},
		"realm listed twice":   {Realms: []string{"a", "b", "a"}},
		"v1 realm not a realm": {Realms: []string{"a"}, V1Realm: "b"},
	} {
		if _, err := wamp.NewRouter(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	r := newRouter(t, wamp.RouterConfig{})
	if r.V1Realm().Name() != wamp.DefaultRealm || r.Agent() != wamp.DefaultAgent || r.NodeSlot() != 0 {
		t.Errorf("defaults: realm %q, agent %q, slot %d", r.V1Realm().Name(), r.Agent(), r.NodeSlot())
	}
}
