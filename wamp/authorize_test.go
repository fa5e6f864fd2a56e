package wamp_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

// grants is an Authorizer for tests: role → "action uri/match" allowed,
// recording every question.
type grants struct {
	mu      sync.Mutex
	allowed map[string][]string
	asked   []string
}

func (g *grants) Authorize(role string, a wamp.Action, uri string, m wamp.Match) bool {
	q := a.String() + " " + uri + "/" + m.String()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, role+": "+q)
	return slices.Contains(g.allowed[role], q)
}

func (g *grants) take() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.asked
	g.asked = nil
	return a
}

func notAuthorized(t *testing.T, err error, message string) {
	t.Helper()
	var ue *wamp.URIError
	if !errors.As(err, &ue) || ue.URI != wamp.ErrorNotAuthorized || ue.Message != message {
		t.Fatalf("got %v, want %s: %s", err, wamp.ErrorNotAuthorized, message)
	}
}

func TestAuthorizerDecidesEveryOperation(t *testing.T) {
	g := &grants{allowed: map[string][]string{
		"trader": {"subscribe price.eur/exact", "subscribe price./prefix", "publish price.eur/exact",
			"call com.example.add/exact", "register com.example.add/exact", "call wamp.session.count/exact"},
	}}
	r := newRouter(t, wamp.RouterConfig{Authorizer: g})
	realm := r.V1Realm()
	proto := newTestProto("test")
	trader, _ := joinAs(realm, &proto.Protocol, &wamp.Auth{ID: "alice", Role: "trader"})
	anon, _ := joinAs(realm, &proto.Protocol, nil)

	// Subscribe: exact and pattern, allowed and refused.
	if _, _, err := trader.Subscribe("price.eur", wamp.MatchExact); err != nil {
		t.Fatal(err)
	}
	if _, _, err := trader.Subscribe("price.", wamp.MatchPrefix); err != nil {
		t.Fatal(err)
	}
	_, _, err := trader.Subscribe("price.", wamp.MatchWildcard)
	notAuthorized(t, err, `role "trader" is not authorized to subscribe wildcard "price."`)
	_, _, err = anon.Subscribe("price.eur", wamp.MatchExact)
	notAuthorized(t, err, `role "anonymous" is not authorized to subscribe "price.eur"`)
	if anon.Subscribed("price.eur") {
		t.Fatal("a refused subscription was made")
	}

	// Publish: the authorizer is asked once per publication, whatever
	// the number of subscribers.
	for range 50 {
		s, _ := joinAs(realm, &proto.Protocol, &wamp.Auth{Role: "trader"})
		subscribe(t, s, "price.eur")
	}
	g.take()
	before := r.Stats().Deliveries
	if err := trader.Publish(event("price.eur", "1")); err != nil {
		t.Fatal(err)
	}
	if got := r.Stats().Deliveries - before; got != 52 { // 50 + the trader's exact and prefix subscriptions
		t.Fatalf("%d deliveries", got)
	}
	expect(t, "authorizer", g.take(), "trader: publish price.eur/exact")
	notAuthorized(t, trader.Publish(event("price.usd", "1")), `role "trader" is not authorized to publish "price.usd"`)
	notAuthorized(t, anon.Publish(event("price.eur", "1")), `role "anonymous" is not authorized to publish "price.eur"`)

	// Register and call; the meta procedures follow the same rules.
	callee := &fakeCallee{}
	trader.SetCallee(callee, false)
	if _, err := trader.Register("com.example.add", wamp.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = trader.Register("com.example.", wamp.RegisterOptions{Match: wamp.MatchPrefix})
	notAuthorized(t, err, `role "trader" is not authorized to register prefix "com.example."`)
	anon.SetCallee(&fakeCallee{}, false)
	_, err = anon.Register("com.example.sub", wamp.RegisterOptions{})
	notAuthorized(t, err, `role "anonymous" is not authorized to register "com.example.sub"`)

	rep := &replier{}
	anon.Call(wamp.NewCall("com.example.add", jsonPayload("[1,2]"), wamp.Payload{}, rep))
	expect(t, "anonymous caller", rep.take(),
		`error wamp.error.not_authorized ["role \"anonymous\" is not authorized to call \"com.example.add\""] -`)
	expect(t, "callee", callee.take()) // never invoked
	anon.Call(wamp.NewCall("wamp.session.count", wamp.Payload{}, wamp.Payload{}, rep))
	expect(t, "anonymous meta caller", rep.take(),
		`error wamp.error.not_authorized ["role \"anonymous\" is not authorized to call \"wamp.session.count\""] -`)
	trader.Call(wamp.NewCall("wamp.session.count", wamp.Payload{}, wamp.Payload{}, rep))
	expect(t, "trader meta caller", rep.take(), "result [52] -")
	trader.Call(wamp.NewCall("com.example.add", jsonPayload("[1,2]"), wamp.Payload{}, rep))
	if got := callee.take(); len(got) != 1 {
		t.Fatalf("callee got %q", got)
	}
	trader.Yield(callee.lastID(), jsonPayload("[3]"), wamp.Payload{}, false)
	expect(t, "trader caller", rep.take(), "result [3] -")

	st := r.Stats().Unauthorized
	if want := [wamp.NumActions]uint64{2, 2, 2, 2}; st != want {
		t.Fatalf("Stats.Unauthorized %v, want %v", st, want)
	}

	// Without an authorizer, everything is allowed again.
	g.take()
	r.SetAuthorizer(nil)
	if r.Authorizer() != nil {
		t.Fatal("Authorizer after SetAuthorizer(nil)")
	}
	if _, _, err := anon.Subscribe("price.eur", wamp.MatchExact); err != nil {
		t.Fatal(err)
	}
	if err := anon.Publish(event("price.usd", "1")); err != nil {
		t.Fatal(err)
	}
	if len(g.take()) != 0 {
		t.Fatal("the removed authorizer was asked")
	}
}

func TestAuthorizeAndPublishAsWithoutASession(t *testing.T) {
	g := &grants{allowed: map[string][]string{"api": {"publish news/exact"}, "anonymous": {"subscribe news/exact"}}}
	r := newRouter(t, wamp.RouterConfig{Authorizer: g})
	realm := r.V1Realm()
	proto, _ := v2Like("v2")
	s, c := joinAs(realm, proto, nil)
	subscribe(t, s, "news")
	if err := realm.Authorize("api", wamp.ActionPublish, "news", wamp.MatchExact); err != nil {
		t.Fatal(err)
	}
	notAuthorized(t, realm.Authorize("api", wamp.ActionCall, "news", wamp.MatchExact), `role "api" is not authorized to call "news"`)

	api := &wamp.Auth{ID: "backend", Role: "api"}
	pub := event("news", `"hi"`)
	pub.DiscloseMe = true
	if err := realm.PublishAs(api, pub); err != nil {
		t.Fatal(err)
	}
	if pub.Auth == nil || pub.Auth.PublisherAuthID != "backend" || pub.Auth.PublisherAuthRole != "api" || pub.PublisherID != 0 {
		t.Fatalf("publisher %d %+v", pub.PublisherID, pub.Auth)
	}
	if got := c.Take(); len(got) != 1 {
		t.Fatalf("subscriber got %q", got)
	}
	notAuthorized(t, realm.PublishAs(api, event("other", "1")), `role "api" is not authorized to publish "other"`)
	notAuthorized(t, realm.PublishAs(nil, event("news", "1")), `role "anonymous" is not authorized to publish "news"`)
	if err := realm.PublishAs(api, event("wamp.session.on_join", "1")); !errors.Is(err, wamp.ErrReservedTopic) {
		t.Fatalf("reserved topic: %v", err)
	}
	if got := c.Take(); len(got) != 0 {
		t.Fatalf("refused publications delivered: %q", got)
	}
}
