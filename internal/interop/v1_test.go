package interop

// WAMP v1 and v2 in one topic space: wampgate's own v1 client (subprotocol
// "wamp") against real v2 clients, both ways.

import (
	"fmt"
	"strconv"
	"testing"
)

// TestV1PublishReachesV2Subscribers: a v1 PUBLISH reaches Autobahn
// subscribers of every serializer as args [event]; the v1 eligible list
// (decimal strings) and exclude list (JSON integers) name v2 sessions.
func TestV1PublishReachesV2Subscribers(t *testing.T) {
	n := startNode(t)
	url, topic := wsURL(n), prefix(t)+".v1tov2"
	endpoints := everyEndpoint()
	// only is the one subscriber a v1 eligible list names; skipped the
	// one its exclude list names.
	only, skipped := endpoint{python, "json"}, endpoint{js, "json"}
	count := func(e endpoint) int {
		switch e {
		case only:
			return 6
		case skipped:
			return 4
		}
		return 5
	}
	subs := subscribe(t, url, endpoints, topic, count)
	v1 := dialV1(t, n.Addr())
	events := []any{obj{"a": 1, "b": arr{1, 2}}, "text", 42, "only " + only.String(), "all but " + skipped.String(), nil}
	v1.send(7, topic, events[0])
	v1.send(7, topic, events[1])
	v1.send(7, topic, events[2])
	v1.send(7, topic, events[3], arr{}, arr{strconv.FormatUint(subs[only].session, 10)})
	v1.send(7, topic, events[4], arr{subs[skipped].session})
	v1.send(7, topic, events[5])
	v1.sync() // nothing comes back to the v1 publisher

	publications := map[int]uint64{} // event index -> publication id, the same for every subscriber
	for _, e := range endpoints {
		got := subs[e].events(t)
		var want []any
		for i, ev := range events {
			if (i == 3 && e != only) || (i == 4 && e == skipped) {
				continue
			}
			j := len(want)
			if j < len(got) {
				pub := id(t, fmt.Sprintf("%s event %d publication", e, j), got[j]["publication"])
				if prev, ok := publications[i]; ok && prev != pub {
					t.Errorf("%s: event %d has publication %d, another subscriber saw %d", e, i, pub, prev)
				}
				publications[i] = pub
			}
			want = append(want, obj{"args": arr{ev}, "kwargs": obj{}, "publication": publications[i], "publisher": nil, "topic": topic, "retained": false})
		}
		sameJSON(t, e.String()+"'s events", got, want)
	}
}

// TestV2PublishReachesV1Subscriber: v2 PUBLISHes from every library and
// serializer reach a v1 subscriber as [8, topic, args[0]] (kwargs only:
// the kwargs object; neither: null), and v2 exclude/eligible lists name
// the v1 session by its id.
func TestV2PublishReachesV1Subscriber(t *testing.T) {
	n := startNode(t)
	url, topic := wsURL(n), prefix(t)+".v2tov1"
	v1 := dialV1(t, n.Addr())
	v1ID, err := strconv.ParseUint(v1.ID, 10, 64)
	if err != nil {
		t.Fatalf("v1 session id %q: %v", v1.ID, err)
	}
	v1.send(5, topic)
	v1.sync()

	type step struct {
		pub  obj
		want any // the v1 event, or skip
	}
	skip := struct{}{}
	steps := []step{
		{obj{"args": arr{"hello", 2}}, "hello"},
		{obj{"kwargs": obj{"k": "v", "n": arr{1, 2.5, true}}}, obj{"k": "v", "n": arr{1, 2.5, true}}},
		{obj{}, nil},
		{obj{"args": arr{obj{"nested": arr{1, "two", nil}}}, "kwargs": obj{"ignored": true}}, obj{"nested": arr{1, "two", nil}}},
		{obj{"args": arr{"not for v1"}, "options": obj{"exclude": arr{v1ID}}}, skip},
		{obj{"args": arr{"for v1 only"}, "options": obj{"eligible": arr{v1ID}}}, "for v1 only"},
	}
	for _, e := range everyEndpoint() {
		t.Run(e.String(), func(t *testing.T) {
			var pubs []obj
			for _, s := range steps {
				pubs = append(pubs, s.pub)
			}
			publish(t, url, e, topic, pubs...)
			for i, s := range steps {
				if s.want == skip {
					continue
				}
				var ev []any
				v1.readJSON(&ev)
				sameJSON(t, fmt.Sprintf("v1 EVENT for publication %d", i), ev, arr{8, topic, s.want})
			}
			v1.sync()
		})
	}
}
