package gateway

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
	"github.com/wampgate/wampgate/wamp/value"
)

// WAMP v2 beside v1 on one node over real sockets: one topic space, one
// id space, the HELLO timeout, the shutdown GOODBYE and the counters.

// v1ID is a v1 client's session id as a number.
func v1ID(t testing.TB, w *wampClient) uint64 {
	t.Helper()
	id, err := strconv.ParseUint(w.ID, 10, 64)
	if err != nil {
		t.Fatalf("v1 session id %q: %v", w.ID, err)
	}
	return id
}

func TestV1AndV2ShareTopics(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		topic := "com.example.mixed." + f.String()
		v1sub := dialWAMP(t, n.Addr())
		v1sub.subscribe(topic)
		v1pub := dialWAMP(t, n.Addr())
		v2sub := joinV2(t, n.Addr(), f, "realm1")
		sub := v2sub.subscribe(1, dict{}, topic)
		v2pub := joinV2(t, n.Addr(), f, "realm1")

		// v1 → v2: the event is the only argument.
		// (JSON subscribers get the event's bytes as sent, the others
		// a conversion with sorted keys: keys in order here.)
		v1pub.publish(topic, `{"lot":[1,"a"],"price":101.25}`)
		v1sub.expectEvent(topic, `{"lot":[1,"a"],"price":101.25}`)
		v2sub.recvEvent(sub, dict{}, list{dict{"price": 101.25, "lot": list{1, "a"}}}, nil)
		v1pub.publish(topic, `null`)
		v1sub.expectEvent(topic, `null`)
		v2sub.recvEvent(sub, dict{}, list{nil}, nil)

		// v2 → v1: the first argument; kwargs only: the kwargs; neither:
		// null. Binary values reach v1 in the JSON convention.
		for _, tc := range []struct {
			args   list
			kwargs dict
			v1     string
		}{
			{list{"first", 2, 3}, dict{"ignored": true}, `"first"`},
			{nil, dict{"only": "kwargs"}, `{"only":"kwargs"}`},
			{list{}, dict{"k": 1}, `{"k":1}`},
			{nil, nil, `null`},
			{list{}, nil, `null`},
			{list{[]byte{0, 1, 2}}, nil, `"\u0000AAEC"`},
		} {
			id := v2pub.publishAck(1, dict{}, topic, tc.args, tc.kwargs)
			v1sub.expectEvent(topic, tc.v1)
			v2sub.expectEvent(sub, id, dict{}, tc.args, tc.kwargs)
		}

		// One id space: a v2 publisher excludes a v1 session, or makes it
		// the only eligible one.
		id := v2pub.publishAck(2, dict{"exclude": list{v1ID(t, v1sub)}}, topic, list{"not v1"}, nil)
		v2sub.expectEvent(sub, id, dict{}, list{"not v1"}, nil)
		v2pub.publishAck(3, dict{"eligible": list{v1ID(t, v1sub)}}, topic, list{"v1 only"}, nil)
		v1sub.expectEvent(topic, `"v1 only"`)
		// A v1 publisher excludes a v2 session, by number or by decimal
		// string, or names it eligible.
		v1pub.send(`[7,"` + topic + `","not v2",[` + itoa(v2sub.ID) + `]]`)
		v1sub.expectEvent(topic, `"not v2"`)
		v1pub.send(`[7,"` + topic + `","v2 only",[],["` + itoa(v2sub.ID) + `"]]`)
		v2sub.recvEvent(sub, dict{}, list{"v2 only"}, nil)
		v1sub.sync()
		v2sub.sync()
	})
}

func TestV2HelloTimeout(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.HandshakeTimeout = 300 * time.Millisecond
	n := startNode(t, cfg)
	silent := dialV2(t, n.Addr(), value.JSON)
	greeted := joinV2(t, n.Addr(), value.MsgPack, "realm1")
	left := joinV2(t, n.Addr(), value.CBOR, "realm1")
	left.send(6, dict{}, "wamp.close.close_realm")
	left.expect(6, dict{}, "wamp.close.goodbye_and_out")
	v1 := dialWAMP(t, n.Addr())
	// The silent connection is closed with 1008 once the timeout has
	// passed; by then the others' deadline has passed too, and they stay.
	code, reason, err := silent.ExpectClose(waitLong)
	if err != nil || code != 1008 || reason != "no HELLO within the handshake timeout" {
		t.Fatalf("want close 1008, got %d %q %v", code, reason, err)
	}
	greeted.sync()
	left.sync()
	left.hello("realm1")
	v1.sync()
	if got := n.Stats().HelloTimeouts; got != 1 {
		t.Fatalf("hello_timeouts %d, want 1", got)
	}
}

func TestV2ShutdownSaysGoodbye(t *testing.T) {
	cfg := testConfig("epoll")
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	var established []*v2Client
	for _, f := range v2Formats {
		established = append(established, joinV2(t, n.Addr(), f, "realm1"))
	}
	waiting := dialV2(t, n.Addr(), value.JSON)
	v1 := dialWAMP(t, n.Addr())
	v1.sync()
	shut := make(chan error, 1)
	go func() { shut <- n.Shutdown(context.Background()) }()
	for _, c := range established {
		c.expect(6, dict{"message": "the node is shutting down"}, "wamp.close.system_shutdown")
		c.answerClose(1001)
	}
	waiting.answerClose(1001)
	code, _, err := v1.ReadClose(waitLong)
	if err != nil || code != 1001 {
		t.Fatalf("v1: want close 1001, got %d %v", code, err)
	}
	v1.SendClose(1001, "")
	if err := v1.ExpectEOF(waitLong); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(cfg.ShutdownTimeout + waitLong):
		t.Fatal("Shutdown did not return")
	}
}

// answerClose requires the next frame to be a close with code, answers
// it as a client does, and requires the node to close TCP.
func (c *v2Client) answerClose(code uint16) {
	c.t.Helper()
	got, reason, err := c.ReadClose(waitLong)
	if err != nil || got != code {
		c.t.Fatalf("want close %d, got %d %q %v", code, got, reason, err)
	}
	if err := c.SendClose(code, ""); err != nil && !wstest.IsClosed(err) {
		c.t.Fatal(err)
	}
	if err := c.ExpectEOF(waitLong); err != nil {
		c.t.Fatal(err)
	}
}

func TestV2SessionsByProtocol(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	v1 := dialWAMP(t, n.Addr())
	j := joinV2(t, n.Addr(), value.JSON, "realm1")
	joinV2(t, n.Addr(), value.JSON, "realm1")
	joinV2(t, n.Addr(), value.CBOR, "realm1")
	dialV2(t, n.Addr(), value.MsgPack) // no HELLO: no session
	j.send(6, dict{}, "wamp.close.close_realm")
	j.expect(6, dict{}, "wamp.close.goodbye_and_out")
	v1.sync()
	_, body := httpGet(t, n.Addr(), "/healthz")
	var health struct {
		WAMP struct {
			Sessions   int64            `json:"sessions"`
			ByProtocol map[string]int64 `json:"sessions_by_protocol"`
		} `json:"wamp"`
	}
	if err := json.Unmarshal(body, &health); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	want := map[string]int64{"wamp": 1, "wamp.2.json": 1, "wamp.2.msgpack": 0, "wamp.2.cbor": 1}
	if len(health.WAMP.ByProtocol) != len(want) || health.WAMP.Sessions != 3 {
		t.Fatalf("sessions %d, by protocol %v, want 3 and %v", health.WAMP.Sessions, health.WAMP.ByProtocol, want)
	}
	for k, v := range want {
		if health.WAMP.ByProtocol[k] != v {
			t.Fatalf("sessions by protocol %v, want %v", health.WAMP.ByProtocol, want)
		}
	}
}
