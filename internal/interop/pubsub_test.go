package interop

// Publish and subscribe within one library and serializer: acknowledged
// publications, publisher exclusion, black- and whitelisting by session
// id, publisher disclosure, pattern subscriptions.

import (
	"encoding/json"
	"maps"
	"testing"
)

// pubsubSteps are the publications of the pubsub scenario in order, with
// the sessions each must reach. Autobahn|Python's PublishOptions has no
// disclose_me, so only Autobahn|JS publishes that step. After them a late
// session subscribes with get_retained and gets the retained one.
func pubsubSteps(lib *library) []pubsubStep {
	steps := []pubsubStep{
		{"default", []string{"sub1", "sub2"}},                 // exclude_me defaults to true
		{"exclude_me_false", []string{"sub1", "sub2", "pub"}}, // the publisher too
		{"exclude_sub1", []string{"sub2"}},                    // exclude: [sub1]
		{"eligible_sub1", []string{"sub1"}},                   // eligible: [sub1]
		{"disclose_me", []string{"sub1", "sub2"}},             // details.publisher
		{"retain", []string{"sub1", "sub2"}},                  // retain: true
		{"end", []string{"sub1", "sub2", "pub"}},              // exclude_me false
	}
	if lib == python {
		steps = append(steps[:4], steps[5:]...)
	}
	return steps
}

type pubsubStep struct {
	name string
	to   []string
}

func TestPubSub(t *testing.T) {
	n := startNode(t)
	forEach(t, func(t *testing.T, lib *library, ser, uri string) func(*testing.T) {
		c := lib.run(t, wsURL(n), realm, ser, "pubsub", obj{"prefix": uri})
		return func(t *testing.T) {
			topic := uri + ".pubsub"
			var res struct {
				Sessions      map[string]json.Number `json:"sessions"`
				Subscriptions map[string]json.Number `json:"subscriptions"`
				Published     map[string]json.Number `json:"published"`
				Events        map[string][]any       `json:"events"`
			}
			c.in(t).result(&res)

			sessions := map[string]uint64{}
			for _, s := range []string{"sub1", "sub2", "pub", "late"} {
				sessions[s] = id(t, s+" session", res.Sessions[s])
			}
			distinct(t, "session ids", sessions)
			// One subscription id per (realm, topic, match), shared.
			sub := id(t, "sub1's subscription", res.Subscriptions["sub1"])
			for _, s := range []string{"sub2", "pub", "late"} {
				if got := id(t, s+"'s subscription", res.Subscriptions[s]); got != sub {
					t.Errorf("%s subscribed to the same topic as sub1 and got subscription %d, sub1 %d", s, got, sub)
				}
			}
			steps := pubsubSteps(lib)
			published := map[string]uint64{}
			for _, st := range steps {
				published[st.name] = id(t, "PUBLISHED id of "+st.name, res.Published[st.name])
			}
			distinct(t, "publication ids", published)

			want := map[string][]any{"sub1": {}, "sub2": {}, "pub": {}}
			for i, st := range steps {
				var publisher any
				if st.name == "disclose_me" {
					publisher = sessions["pub"]
				}
				ev := obj{
					"args":        arr{st.name, i},
					"kwargs":      obj{"step": i},
					"publication": published[st.name], // EVENT's id is PUBLISHED's
					"publisher":   publisher,
					"topic":       topic,
					"retained":    false,
				}
				for _, s := range st.to {
					want[s] = append(want[s], ev)
				}
				if st.name == "retain" {
					late := maps.Clone(ev)
					late["retained"] = true
					want["late"] = []any{late}
				}
			}
			for _, s := range []string{"sub1", "sub2", "pub", "late"} {
				sameJSON(t, s+"'s events", res.Events[s], want[s])
			}
		}
	})
}

func TestPatternSubscriptions(t *testing.T) {
	n := startNode(t)
	forEach(t, func(t *testing.T, lib *library, ser, uri string) func(*testing.T) {
		c := lib.run(t, wsURL(n), realm, ser, "patterns", obj{"prefix": uri})
		return func(t *testing.T) {
			var res struct {
				Base          string                 `json:"base"`
				Subscriptions map[string]json.Number `json:"subscriptions"`
				Published     map[string]json.Number `json:"published"`
				Events        map[string][]any       `json:"events"`
			}
			c.in(t).result(&res)
			base := uri + ".pat"
			if res.Base != base {
				t.Fatalf("scenario used base %q, want %q", res.Base, base)
			}
			subs := map[string]uint64{}
			for _, s := range []string{"exact", "prefix", "wildcard"} {
				subs[s] = id(t, s+" subscription", res.Subscriptions[s])
			}
			distinct(t, "subscription ids", subs)
			pubs := map[string]uint64{}
			for _, m := range []string{"a1", "bx", "cy", "ab", "end"} {
				pubs[m] = id(t, "publication "+m, res.Published[m])
			}
			distinct(t, "publication ids", pubs)
			ev := func(marker, suffix string) obj {
				return obj{"args": arr{marker}, "kwargs": obj{}, "publication": pubs[marker], "publisher": nil, "topic": base + suffix, "retained": false}
			}
			// exact base.a.x; prefix base.a (a string prefix: base.ab matches);
			// wildcard base..x. base.c.y matches nothing; base.a.x all three.
			// Pattern EVENTs carry the concrete topic in details.topic.
			sameJSON(t, "exact subscription's events", res.Events["exact"], arr{ev("end", ".a.x")})
			sameJSON(t, "prefix subscription's events", res.Events["prefix"], arr{ev("a1", ".a.1"), ev("ab", ".ab"), ev("end", ".a.x")})
			sameJSON(t, "wildcard subscription's events", res.Events["wildcard"], arr{ev("bx", ".b.x"), ev("end", ".a.x")})
		}
	})
}
