package wamp_test

import (
	"slices"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

// retainedEvents returns the events of the retained publications s may
// receive for sub.
func retainedEvents(s *wamp.Session, sub *wamp.Subscription) []string {
	var out []string
	for _, p := range s.Retained(sub, nil) {
		out = append(out, p.Topic+" "+string(p.Event()))
	}
	return out
}

func TestRetainedEvents(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{MaxRetained: 3})
	f.join(nil, "P", "A", "B")
	publish := func(topic, ev string, edit func(*wamp.Publication)) {
		pub := event(topic, ev)
		pub.Retain = true
		if edit != nil {
			edit(pub)
		}
		if err := f.sess["P"].Publish(pub); err != nil {
			t.Fatal(err)
		}
	}
	publish("a.b", `1`, nil)
	publish("a.b", `2`, nil) // replaces 1
	publish("a.c", `3`, func(p *wamp.Publication) { p.Eligible = []wamp.ID{f.id("B")} })
	f.r.Publish(event("a.b", `"not retained"`))
	a, b := f.sess["A"], f.sess["B"]
	exact := subscribe(t, a, "a.b")
	prefix, _, _ := a.Subscribe("a.", wamp.MatchPrefix)
	wild, _, _ := b.Subscribe("a.", wamp.MatchWildcard)
	if got := retainedEvents(a, exact); !slices.Equal(got, []string{"a.b 2"}) {
		t.Errorf("exact: %q", got)
	}
	if got := retainedEvents(a, prefix); !slices.Equal(got, []string{"a.b 2"}) {
		t.Errorf("prefix, for A (not eligible for a.c): %q", got)
	}
	if got := retainedEvents(b, wild); !slices.Equal(got, []string{"a.b 2", "a.c 3"}) {
		t.Errorf("wildcard, for B: %q", got)
	}
	held := a.Retained(exact, nil)[0]
	if held.Publisher != nil || held.PublisherID != f.id("P") || !held.ID.Valid() {
		t.Errorf("retained publication: publisher %v, id %d, publication %d", held.Publisher, held.PublisherID, held.ID)
	}
	// Bounded: a fourth topic evicts the oldest (a.b, retained first).
	publish("x", `4`, nil)
	publish("y", `5`, nil)
	if got := retainedEvents(a, exact); got != nil {
		t.Errorf("evicted topic still retained: %q", got)
	}
	if st := f.r.Stats(); st.Retained != 3 || st.RetainedEvicted != 1 {
		t.Errorf("stats %+v", st)
	}
	// Relayed publications are retained too: every node keeps them.
	relayed := event("a.z", `6`)
	relayed.Relayed, relayed.Retain, relayed.ID = true, true, 77
	f.r.Publish(relayed)
	if got := retainedEvents(b, wild); !slices.Contains(got, "a.z 6") {
		t.Errorf("relayed retained event missing: %q", got)
	}
}
