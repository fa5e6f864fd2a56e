package gateway

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/hooks"
	"github.com/wampgate/wampgate/wamp/value"
)

// answerByEvent answers publish hooks by the first argument's text.
func answerByEvent(_, body string) string {
	switch {
	case strings.Contains(body, `"args":["rewrite"]`):
		return `{"result":{"args":["rewritten",1],"kwargs":{"k":"v"}}}`
	case strings.Contains(body, `"args":["skip"]`):
		return `{"result":{"skip":true}}`
	case strings.Contains(body, `"args":["bid"]`):
		return `{"result":{"skip":true,"reply":{"args":[false]}}}`
	case strings.Contains(body, `"args":["echo"]`):
		return `{"result":{"reply":{"args":["echoed"]}}}`
	case strings.Contains(body, `"args":["refuse"]`):
		return `{"error":{"uri":"app.error.refused","message":"no way"}}`
	}
	return `{"result":{}}`
}

func TestHookPublishV1(t *testing.T) {
	hs := newHookServer(t, answerByEvent)
	n := startNode(t, hookConfig(hs.URL+"/", hooks.Config{Publish: []string{"price."}}))
	sub := dialWAMP(t, n.Addr())
	sub.subscribe("price.x")
	pub := dialWAMP(t, n.Addr())
	pub.subscribe("price.x")

	pub.publish("price.x", `"plain"`)
	hs.expect("/publish", fmt.Sprintf(`{"session":%s,"protocol":"wamp","realm":"realm1","authid":"%s","authrole":"anonymous","node":"%s","remote":"%s","topic":"price.x","args":["plain"],"kwargs":{},"exclude":[],"eligible":null}`,
		pub.ID, pub.ID, n.Addr(), pub.Conn().LocalAddr()))
	sub.expectEvent("price.x", `"plain"`)
	pub.expectEvent("price.x", `"plain"`)

	pub.publish("price.x", `"rewrite"`)
	hs.next()
	sub.expectEvent("price.x", `"rewritten"`)
	pub.expectEvent("price.x", `"rewritten"`)

	// Ratchet's $connection->event($topic, false): the bidder alone.
	pub.publish("price.x", `"bid"`)
	hs.next()
	pub.expectEvent("price.x", `false`)

	pub.publish("price.x", `"echo"`)
	hs.next()
	pub.expectEvent("price.x", `"echoed"`)
	sub.expectEvent("price.x", `"echo"`)
	pub.expectEvent("price.x", `"echo"`)

	for _, ev := range []string{`"skip"`, `"refuse"`} {
		pub.publish("price.x", ev)
		hs.next()
	}
	pub.publish("other", `"not hooked"`) // waits behind the hooks, needs none
	pub.publish("price.x", `"last"`)
	hs.next()
	sub.expectEvent("price.x", `"last"`)
	pub.expectEvent("price.x", `"last"`)
	sub.sync()
	pub.sync()
}

func TestHookPublishV2(t *testing.T) {
	forEachFormat(t, func(t *testing.T, f value.Format) {
		if f == value.CBOR {
			t.Skip("JSON and MessagePack cover the serializer paths")
		}
		hs := newHookServer(t, answerByEvent)
		n := startNode(t, hookConfig(hs.URL, hooks.Config{Publish: []string{"*"}}))
		sub := joinV2(t, n.Addr(), f, "realm1")
		subID := sub.subscribe(1, dict{}, "price.x")
		pub := joinV2(t, n.Addr(), f, "realm1")
		pubSub := pub.subscribe(1, dict{"match": "prefix"}, "price.")

		id := pub.publishAck(2, dict{}, "price.x", list{"plain", []byte{1, 2}}, nil)
		hs.expect("/publish", fmt.Sprintf(`{"session":%d,"protocol":"%s","realm":"realm1","authid":"%d","authrole":"anonymous","node":"%s","remote":"%s","topic":"price.x","args":["plain","\u0000AQI="],"kwargs":{},"exclude":[],"eligible":null}`,
			pub.ID, "wamp.2."+f.String(), pub.ID, n.Addr(), pub.Conn().LocalAddr()))
		sub.expectEvent(subID, id, dict{}, list{"plain", []byte{1, 2}}, nil)

		id = pub.publishAck(3, dict{}, "price.x", list{"rewrite"}, nil)
		hs.next()
		sub.expectEvent(subID, id, dict{}, list{"rewritten", 1}, dict{"k": "v"})

		pub.send(publishMsg(4, dict{"acknowledge": true}, "price.x", list{"bid"}, nil)...)
		hs.next()
		m := pub.recv()
		if len(m) != 5 || m[0] != int64(36) || m[1] != int64(pubSub) || fmt.Sprint(m[4]) != "[false]" {
			t.Fatalf("want the reply EVENT, got %v", m)
		}
		if m := pub.recv(); len(m) != 3 || m[0] != int64(17) || m[1] != int64(4) {
			t.Fatalf("want PUBLISHED 4, got %v", m)
		}

		pub.send(publishMsg(5, dict{"acknowledge": true}, "price.x", list{"refuse"}, nil)...)
		hs.next()
		pub.expect(8, 16, 5, dict{}, "app.error.refused", list{"no way"})
		sub.sync()
		pub.sync()
	})
}
