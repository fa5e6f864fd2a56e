package gateway

import (
	"testing"

	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// WAMP v2 publish/subscribe over real sockets, exact frames, for each
// serializer.

func TestV2PublishSubscribe(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		topic := "com.example.pubsub." + f.String()
		sub := joinV2(t, n.Addr(), f, "realm1")
		other := joinV2(t, n.Addr(), f, "realm1")
		pub := joinV2(t, n.Addr(), f, "realm1")
		s1 := sub.subscribe(1, dict{}, topic)
		if again := sub.subscribe(2, dict{"match": "exact"}, topic); again != s1 {
			t.Fatalf("subscribing again gave %d, want the same id %d", again, s1)
		}
		if s2 := other.subscribe(1, dict{}, topic); s2 != s1 {
			t.Fatalf("the second subscriber got id %d, want the shared %d", s2, s1)
		}
		if own := pub.subscribe(1, dict{}, topic); own != s1 {
			t.Fatalf("the publisher got id %d", own)
		}

		// acknowledge, args and kwargs; exclude_me is true by default.
		id := pub.publishAck(2, dict{}, topic, list{"hello", 42, true, nil, 1.5}, dict{"k": list{1, 2}})
		sub.expectEvent(s1, id, dict{}, list{"hello", 42, true, nil, 1.5}, dict{"k": list{1, 2}})
		other.expectEvent(s1, id, dict{}, list{"hello", 42, true, nil, 1.5}, dict{"k": list{1, 2}})
		pub.sync()

		// No acknowledge: no PUBLISHED; no payload; kwargs only.
		pub.send(16, 3, dict{}, topic)
		id = sub.recvEvent(s1, dict{}, nil, nil)
		other.expectEvent(s1, id, dict{}, nil, nil)
		pub.send(publishMsg(4, dict{}, topic, nil, dict{"only": "kwargs"})...)
		id = sub.recvEvent(s1, dict{}, list{}, dict{"only": "kwargs"})
		other.expectEvent(s1, id, dict{}, list{}, dict{"only": "kwargs"})
		pub.sync()

		// exclude_me false: the publisher gets its own event (queued
		// during the publication, so before the PUBLISHED).
		pub.send(16, 5, dict{"acknowledge": true, "exclude_me": false}, topic, list{"me too"})
		id = pub.recvEvent(s1, dict{}, list{"me too"}, nil)
		pub.expect(17, 5, id)
		sub.expectEvent(s1, id, dict{}, list{"me too"}, nil)
		other.expectEvent(s1, id, dict{}, list{"me too"}, nil)

		// exclude and eligible name session ids.
		id = pub.publishAck(6, dict{"exclude": list{other.ID}}, topic, list{"not other"}, nil)
		sub.expectEvent(s1, id, dict{}, list{"not other"}, nil)
		pub.send(16, 7, dict{"acknowledge": true, "eligible": list{other.ID, pub.ID}, "exclude_me": false}, topic, list{"only other"})
		id = pub.recvEvent(s1, dict{}, list{"only other"}, nil)
		pub.expect(17, 7, id)
		other.expectEvent(s1, id, dict{}, list{"only other"}, nil)
		pub.publishAck(8, dict{"eligible": list{other.ID}, "exclude": list{other.ID}}, topic, list{"nobody"}, nil)

		// disclose_me: the publisher's session id, authid and authrole in the details.
		id = pub.publishAck(9, dict{"disclose_me": true}, topic, list{"it's me"}, nil)
		disclosed := dict{"publisher": pub.ID, "publisher_authid": itoa(pub.ID), "publisher_authrole": "anonymous"}
		sub.expectEvent(s1, id, disclosed, list{"it's me"}, nil)
		other.expectEvent(s1, id, disclosed, list{"it's me"}, nil)
		pub.sync()
		sub.sync()
		other.sync()

		// UNSUBSCRIBE, then again.
		sub.send(34, 10, s1)
		sub.expect(35, 10)
		sub.send(34, 11, s1)
		sub.expect(8, 34, 11, dict{}, v2.ErrNoSuchSubscription, list{"no subscription with this id"})
		id = pub.publishAck(12, dict{}, topic, list{"after"}, nil)
		other.expectEvent(s1, id, dict{}, list{"after"}, nil)
		sub.sync()

		// Bad requests.
		pub.send(16, 13, dict{"acknowledge": true}, "com.example.bad topic")
		pub.expect(8, 16, 13, dict{}, v2.ErrInvalidURI, list{`"com.example.bad topic" is not a valid topic URI`})
		pub.send(16, 14, dict{"acknowledge": true, "exclude": "me"}, topic)
		pub.expect(8, 16, 14, dict{}, v2.ErrInvalidArgument, list{`option "exclude" must be a list of session ids (integers in [0, 2^53])`})
		pub.send(16, 15, dict{}, "com.example.bad#topic") // no acknowledge: dropped silently
		pub.send(32, 16, dict{}, "com.example..t")
		pub.expect(8, 32, 16, dict{}, v2.ErrInvalidURI, list{`"com.example..t" is not a valid exact topic URI`})
		pub.sync()
		other.sync()
	})
}

func TestV2PatternSubscriptions(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		base := "com.example.pattern." + f.String()
		c := joinV2(t, n.Addr(), f, "realm1")
		pub := joinV2(t, n.Addr(), f, "realm1")
		exact := c.subscribe(1, dict{}, base+".a.update")
		prefix := c.subscribe(2, dict{"match": "prefix"}, base+".a")
		wild := c.subscribe(3, dict{"match": "wildcard"}, base+"..update")
		if exact == prefix || prefix == wild || exact == wild {
			t.Fatalf("subscription ids %d %d %d", exact, prefix, wild)
		}
		// One EVENT per matching subscription: exact first, then the
		// patterns with the topic in the details.
		topic := base + ".a.update"
		id := pub.publishAck(1, dict{}, topic, list{1}, nil)
		c.expectEvent(exact, id, dict{}, list{1}, nil)
		c.expectEvent(prefix, id, dict{"topic": topic}, list{1}, nil)
		c.expectEvent(wild, id, dict{"topic": topic}, list{1}, nil)
		// Prefix is a string prefix; wildcard needs the same number of
		// components.
		id = pub.publishAck(2, dict{}, base+".ab", list{2}, nil)
		c.expectEvent(prefix, id, dict{"topic": base + ".ab"}, list{2}, nil)
		id = pub.publishAck(3, dict{}, base+".b.update", list{3}, nil)
		c.expectEvent(wild, id, dict{"topic": base + ".b.update"}, list{3}, nil)
		pub.publishAck(4, dict{}, base+".b.update.x", list{4}, nil)
		// disclose_me and patterns together.
		id = pub.publishAck(5, dict{"disclose_me": true}, base+".a.x", list{5}, nil)
		c.expectEvent(prefix, id, dict{"topic": base + ".a.x", "publisher": pub.ID, "publisher_authid": itoa(pub.ID), "publisher_authrole": "anonymous"}, list{5}, nil)
		c.sync()
	})
}

func TestV2RetainedEvents(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		base := "com.example.retained." + f.String()
		pub := joinV2(t, n.Addr(), f, "realm1")
		first := pub.publishAck(1, dict{"retain": true}, base+".a", list{"old"}, nil)
		second := pub.publishAck(2, dict{"retain": true}, base+".a", list{"kept"}, dict{"v": 2})
		third := pub.publishAck(3, dict{"retain": true, "disclose_me": true}, base+".b", list{"b"}, nil)
		pub.publishAck(4, dict{}, base+".c", list{"not retained"}, nil)
		_ = first

		c := joinV2(t, n.Addr(), f, "realm1")
		// Without get_retained: nothing.
		c.subscribe(1, dict{}, base+".a")
		c.sync()
		// get_retained: SUBSCRIBED, then the retained event.
		s := c.subscribe(2, dict{"match": "exact", "get_retained": true}, base+".a")
		c.expectEvent(s, second, dict{"retained": true}, list{"kept"}, dict{"v": 2})
		p := c.subscribe(3, dict{"match": "prefix", "get_retained": true}, base)
		c.expectEvent(p, second, dict{"retained": true, "topic": base + ".a"}, list{"kept"}, dict{"v": 2})
		c.expectEvent(p, third, dict{"retained": true, "topic": base + ".b", "publisher": pub.ID, "publisher_authid": itoa(pub.ID), "publisher_authrole": "anonymous"}, list{"b"}, nil)
		c.sync()
		// A retained event honours its exclude list.
		pub.publishAck(5, dict{"retain": true, "exclude": list{c.ID}}, base+".d", list{"not for c"}, nil)
		c.subscribe(4, dict{"get_retained": true}, base+".d")
		c.sync()
	})
}

func TestV2PayloadsCrossSerializers(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	topic := "com.example.binary"
	subs := map[value.Format]*v2Client{}
	ids := map[value.Format]uint64{}
	for _, f := range v2Formats {
		subs[f] = joinV2(t, n.Addr(), f, "realm1")
		ids[f] = subs[f].subscribe(1, dict{}, topic)
	}
	bin := []byte{0x10, 0x03, 0xff, 0x90, 0x53, 0x07, 0x5c, 0x52, 0x6f, 0x5f, 0xc0, 0x6d, 0x4f, 0xe3, 0x7c, 0xdb}
	payload := list{bin, "text", int64(-7), 2.5, dict{"nested": list{bin}}}
	for _, from := range v2Formats {
		p := joinV2(t, n.Addr(), from, "realm1")
		id := p.publishAck(1, dict{}, topic, payload, dict{"b": bin})
		for _, f := range v2Formats {
			// Each subscriber gets the same values in its own format: in
			// JSON a byte string is "\u0000" + base64.
			subs[f].expectEvent(ids[f], id, dict{}, payload, dict{"b": bin})
		}
	}
	// The JSON convention, written out.
	js := subs[value.JSON]
	mp := joinV2(t, n.Addr(), value.MsgPack, "realm1")
	id := mp.publishAck(1, dict{}, topic, list{[]byte{0, 1, 2}}, nil)
	if got, want := string(js.next()), `[36,`+itoa(ids[value.JSON])+`,`+itoa(id)+`,{},["\u0000AAEC"]]`; got != want {
		t.Fatalf("JSON subscriber got %s, want %s", got, want)
	}
	subs[value.MsgPack].expectEvent(ids[value.MsgPack], id, dict{}, list{[]byte{0, 1, 2}}, nil)
	subs[value.CBOR].expectEvent(ids[value.CBOR], id, dict{}, list{[]byte{0, 1, 2}}, nil)

	// A MessagePack string starting with U+0000 has no JSON form: the
	// JSON subscriber is skipped (and it is counted), the others get it.
	id = mp.publishAck(2, dict{}, topic, list{"\x00not base64"}, nil)
	subs[value.MsgPack].expectEvent(ids[value.MsgPack], id, dict{}, list{"\x00not base64"}, nil)
	subs[value.CBOR].expectEvent(ids[value.CBOR], id, dict{}, list{"\x00not base64"}, nil)
	js.sync()
	if got := n.Stats().WAMP.V2Unconvertible; got != 1 {
		t.Fatalf("v2_events_unconvertible %d, want 1", got)
	}
}
