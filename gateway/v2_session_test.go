package gateway

import (
	"testing"

	"github.com/wampgate/wampgate/internal/wstest"
	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// WAMP v2 session lifecycle over real sockets: negotiation, HELLO and
// WELCOME, ABORT, GOODBYE both ways.

func TestV2WelcomeJSONExactly(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	c := dialV2(t, n.Addr(), value.JSON)
	c.send(1, "realm1", clientRoles)
	c.hello2Exact()
}

// hello2Exact reads the WELCOME answering a HELLO already sent and
// compares it with the JSON text written out.
func (c *v2Client) hello2Exact() {
	c.t.Helper()
	m := c.recv()
	id := uint64(m[1].(int64))
	want := `[2,` + itoa(id) + `,{"agent":"wampgate/` + Version + `","authid":"` + itoa(id) +
		`","authmethod":"anonymous","authprovider":"static","authrole":"anonymous","roles":{"broker":{"features":{` +
		`"event_retention":true,"pattern_based_subscription":true,"publisher_exclusion":true,` +
		`"publisher_identification":true,"session_meta_api":true,"subscriber_blackwhite_listing":true,` +
		`"subscription_meta_api":true}},` +
		`"dealer":{"features":{"call_canceling":true,"call_timeout":true,"caller_identification":true,` +
		`"pattern_based_registration":true,"progressive_call_results":true,"registration_meta_api":true,` +
		`"session_meta_api":true,"shared_registration":true}}}}]`
	if got := string(encodeV2(c.t, value.JSON, m...)); got != want {
		c.t.Fatalf("WELCOME %s\nwant    %s", got, want)
	}
}

func TestV2SubprotocolNegotiation(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	for _, tc := range []struct {
		offer []string
		want  string
	}{
		{[]string{"wamp.2.cbor", "wamp.2.json"}, "wamp.2.cbor"},
		{[]string{"wamp.2.json", "wamp.2.cbor"}, "wamp.2.json"},
		{[]string{"wamp.2.msgpack", "wamp"}, "wamp.2.msgpack"},
		{[]string{"wamp", "wamp.2.json"}, "wamp"},
		{[]string{"wamp.2.ubjson", "wamp.2.json"}, "wamp.2.json"},
	} {
		c, err := wstest.Connect(n.Addr(), wstest.UpgradeRequest(n.Addr(), tc.offer...))
		if err != nil {
			t.Fatalf("offer %v: %v", tc.offer, err)
		}
		if got := c.Response.Get("Sec-WebSocket-Protocol"); got != tc.want {
			t.Errorf("offer %v: chose %q, want %q", tc.offer, got, tc.want)
		}
		c.Close()
	}
	// A refusal names every subprotocol.
	c, err := wstest.Connect(n.Addr(), wstest.UpgradeRequest(n.Addr(), "wamp.2.ubjson"))
	if err == nil {
		t.Fatal("wamp.2.ubjson was accepted")
	}
	defer c.Close()
	if got := c.Response.Get("Sec-WebSocket-Protocol"); got != "wamp, wamp.2.json, wamp.2.msgpack, wamp.2.cbor" {
		t.Errorf("426 lists %q", got)
	}
}

func TestV2HelloWelcome(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.Realms = []string{"realm1", "com.example.admin"}
	n := startNode(t, cfg)
	forEachFormat(t, func(t *testing.T, f value.Format) {
		a := joinV2(t, n.Addr(), f, "realm1")
		b := joinV2(t, n.Addr(), f, "com.example.admin")
		if a.ID == b.ID {
			t.Fatalf("two sessions with id %d", a.ID)
		}
		// Realms are separate topic spaces.
		topic := "com.example.realms." + f.String()
		a.subscribe(1, dict{}, topic)
		sb := b.subscribe(1, dict{}, topic)
		c := joinV2(t, n.Addr(), f, "com.example.admin")
		pub := c.publishAck(1, dict{}, topic, list{"admin"}, nil)
		b.expectEvent(sb, pub, dict{}, list{"admin"}, nil)
		a.sync()
	})
}

func TestV2Aborts(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		for _, tc := range []struct {
			name        string
			established bool
			msg         []any // nil: raw below
			raw         []byte
			uri, why    string
			code        uint16
		}{
			{"no such realm", false, list{1, "nowhere", clientRoles}, nil, v2.ErrNoSuchRealm, `no realm "nowhere" on this node`, 1000},
			{"before HELLO", false, list{16, 1, dict{}, "com.example.t"}, nil, v2.ErrProtocolViolation, "PUBLISH before HELLO", 1002},
			{"second HELLO", true, list{1, "realm1", clientRoles}, nil, v2.ErrProtocolViolation, "second HELLO in an established session", 1002},
			{"unknown type", true, list{7, 1}, nil, v2.ErrProtocolViolation, "unknown message type 7", 1002},
			{"router-only", true, list{33, 1, 2}, nil, v2.ErrProtocolViolation, "SUBSCRIBED is a router-to-client message", 1002},
			{"wrong field type", true, list{34, 1, "x"}, nil, v2.ErrProtocolViolation,
				"UNSUBSCRIBE: SUBSCRIBED.Subscription must be an integer in [0, 2^53], got string", 1002},
			{"too few elements", false, list{1, "realm1"}, nil, v2.ErrProtocolViolation, "HELLO: has 2 elements, want 3", 1002},
			{"no roles", false, list{1, "realm1", dict{}}, nil, v2.ErrProtocolViolation, "HELLO.Details.roles is missing", 1002},
			{"not a list", true, nil, encodeValue(t, f, dict{"a": 1}), v2.ErrProtocolViolation,
				"message is not a valid " + f.String() + " list: " + notAListError(f), 1002},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := dialV2(t, n.Addr(), f)
				if tc.established {
					c.hello("realm1")
				}
				if tc.msg != nil {
					c.send(tc.msg...)
				} else {
					c.sendRaw(tc.raw)
				}
				c.expectAbort(tc.uri, tc.why, tc.code)
			})
		}
		t.Run("client ABORT", func(t *testing.T) {
			for _, established := range []bool{false, true} {
				c := dialV2(t, n.Addr(), f)
				if established {
					c.hello("realm1")
				}
				c.send(3, dict{"message": "bye"}, "wamp.close.system_shutdown")
				c.expectClose(1000)
			}
		})
	})
}

// notAListError is what wamp/value says of a dict where a list must be.
func notAListError(f value.Format) string {
	switch f {
	case value.JSON:
		return "json: not a list at offset 0"
	case value.MsgPack:
		return "msgpack: not a list at offset 0"
	}
	return "cbor: not a list at offset 0"
}

func TestV2GoodbyeAndNewSession(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		c := joinV2(t, n.Addr(), f, "realm1")
		first := c.ID
		topic := "com.example.goodbye." + f.String()
		c.subscribe(1, dict{}, topic)
		c.send(6, dict{"message": "done"}, "wamp.close.close_realm")
		c.expect(6, dict{}, "wamp.close.goodbye_and_out")
		// The old session is gone: its subscription with it.
		p := joinV2(t, n.Addr(), f, "realm1")
		p.publishAck(1, dict{}, topic, list{1}, nil)
		c.sync()
		// A new HELLO on the same connection is a new session.
		c.hello("realm1")
		if c.ID == first {
			t.Fatalf("the second session has the first one's id %d", first)
		}
		sub := c.subscribe(1, dict{}, topic)
		pub := p.publishAck(2, dict{}, topic, list{2}, nil)
		c.expectEvent(sub, pub, dict{}, list{2}, nil)
		// Between sessions only HELLO (or ABORT) may come.
		c.send(6, dict{}, "wamp.close.close_realm")
		c.expect(6, dict{}, "wamp.close.goodbye_and_out")
		c.send(32, 2, dict{}, topic)
		c.expectAbort(v2.ErrProtocolViolation, "SUBSCRIBE after GOODBYE, before a new HELLO", 1002)
	})
}
