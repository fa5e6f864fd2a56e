package gateway

// Test-only helpers for WAMP v2 over real sockets: a raw v2 client of
// each serializer on internal/wstest, which encodes messages given as
// neutral values with wamp/value (the serializers' own encoding) and
// compares what arrives byte for byte.

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/wampgate/wampgate/internal/wstest"
	"github.com/wampgate/wampgate/wamp"
	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// v2Formats are the serializers every v2 socket test runs with.
var v2Formats = []value.Format{value.JSON, value.MsgPack, value.CBOR}

// forEachFormat runs f as a parallel subtest per serializer.
func forEachFormat(t *testing.T, f func(t *testing.T, fm value.Format)) {
	t.Helper()
	for _, fm := range v2Formats {
		t.Run(fm.String(), func(t *testing.T) {
			t.Parallel()
			f(t, fm)
		})
	}
}

// dict is a WAMP dict in a message written as neutral values.
type dict = map[string]any

// list is a WAMP list in a message written as neutral values.
type list = []any

// v2Client is a WAMP v2 client on a raw test connection, speaking one
// serializer.
type v2Client struct {
	*wstest.Client
	t  testing.TB
	f  value.Format
	ID uint64 // the session id of the last WELCOME
}

// dialV2 connects with the subprotocol of serializer f and checks that
// the node chose it; it sends nothing.
func dialV2(t testing.TB, addr string, f value.Format) *v2Client {
	t.Helper()
	proto := v2.Subprotocol(f)
	c, err := wstest.Connect(addr, wstest.UpgradeRequest(addr, proto))
	if err != nil {
		if c != nil {
			c.Close()
		}
		t.Fatalf("connect %s with %s: %v", addr, proto, err)
	}
	t.Cleanup(func() { c.Close() })
	if got := c.Response.Get("Sec-WebSocket-Protocol"); got != proto {
		t.Fatalf("subprotocol %q, want %q", got, proto)
	}
	return &v2Client{Client: c, t: t, f: f}
}

// joinV2 connects and establishes a session in realm.
func joinV2(t testing.TB, addr string, f value.Format, realm string) *v2Client {
	t.Helper()
	c := dialV2(t, addr, f)
	c.hello(realm)
	return c
}

// encode encodes a message given as its elements.
func (c *v2Client) encode(elems ...any) []byte {
	c.t.Helper()
	return encodeV2(c.t, c.f, elems...)
}

func encodeV2(t testing.TB, f value.Format, elems ...any) []byte {
	t.Helper()
	b, err := value.Append(f, nil, list(elems))
	if err != nil {
		t.Fatalf("encode %v: %v", elems, err)
	}
	return b
}

// encodeValue encodes one neutral value in format f.
func encodeValue(t testing.TB, f value.Format, v any) []byte {
	t.Helper()
	b, err := value.Append(f, nil, v)
	if err != nil {
		t.Fatalf("encode %v: %v", v, err)
	}
	return b
}

// sendRaw sends b in a frame of the serializer's kind.
func (c *v2Client) sendRaw(b []byte) {
	c.t.Helper()
	var err error
	if c.f == value.JSON {
		err = c.SendText(string(b))
	} else {
		err = c.SendBinary(b)
	}
	if err != nil {
		c.t.Fatalf("send %q: %v", wstest.Abbrev(string(b), 80), err)
	}
}

// send sends a message given as its elements.
func (c *v2Client) send(elems ...any) {
	c.t.Helper()
	c.sendRaw(c.encode(elems...))
}

// next reads the next frame, which must be a message in a frame of the
// serializer's kind, and returns its payload.
func (c *v2Client) next() []byte {
	c.t.Helper()
	f, err := c.ReadFrame(waitLong)
	if err != nil {
		c.t.Fatalf("%s: want a message: %v", c.f, err)
	}
	want := wstest.OpBinary
	if c.f == value.JSON {
		want = wstest.OpText
	}
	if f.Op != want || !f.Fin {
		c.t.Fatalf("%s: want a %s frame, got %s", c.f, want, f)
	}
	return f.Payload
}

// recv reads the next message and decodes it.
func (c *v2Client) recv() list {
	c.t.Helper()
	b := c.next()
	v, err := value.Decode(c.f, b)
	if err != nil {
		c.t.Fatalf("%s: undecodable message %q: %v", c.f, b, err)
	}
	l, ok := v.(list)
	if !ok {
		c.t.Fatalf("%s: message %v is not a list", c.f, v)
	}
	return l
}

// expect reads the next message and requires it to be, byte for byte,
// the message given as its elements.
func (c *v2Client) expect(elems ...any) {
	c.t.Helper()
	got, want := c.next(), c.encode(elems...)
	if string(got) != string(want) {
		c.t.Fatalf("%s: got %s\nwant %s", c.f, c.show(got), c.show(want))
	}
}

// show renders a message for failure output: JSON as is, the binary
// formats decoded.
func (c *v2Client) show(b []byte) string {
	if c.f == value.JSON {
		return string(b)
	}
	v, err := value.Decode(c.f, b)
	return fmt.Sprintf("%v (%v, %x)", v, err, b)
}

// clientRoles is HELLO.Details of the test clients.
var clientRoles = dict{"roles": dict{"publisher": dict{}, "subscriber": dict{}}}

// hello sends HELLO for realm and requires the exact WELCOME of an
// anonymous session; it records the session id.
func (c *v2Client) hello(realm string) {
	c.t.Helper()
	c.send(1, realm, clientRoles)
	m := c.recv()
	if len(m) != 3 || m[0] != int64(2) {
		c.t.Fatalf("want WELCOME, got %v", m)
	}
	id, ok := m[1].(int64)
	if !ok || id < 1 || id > int64(wamp.MaxID) {
		c.t.Fatalf("WELCOME session id %v", m[1])
	}
	c.ID = uint64(id)
	if got, want := encodeV2(c.t, c.f, m...), c.encode(2, c.ID, welcomeV2(c.ID)); string(got) != string(want) {
		c.t.Fatalf("WELCOME %s\nwant %s", c.show(got), c.show(want))
	}
}

// welcomeV2 is WELCOME.Details of anonymous session id on a test node.
func welcomeV2(id uint64) dict {
	return dict{
		"agent": "wampgate/" + Version, "authid": strconv.FormatUint(id, 10),
		"authmethod": "anonymous", "authprovider": "static", "authrole": "anonymous",
		"roles": dict{"broker": dict{"features": dict{
			"event_retention": true, "pattern_based_subscription": true, "publisher_exclusion": true,
			"publisher_identification": true, "subscriber_blackwhite_listing": true,
			"session_meta_api": true, "subscription_meta_api": true,
		}}, "dealer": dict{"features": dict{
			"call_canceling": true, "call_timeout": true, "caller_identification": true,
			"pattern_based_registration": true, "progressive_call_results": true, "shared_registration": true,
			"session_meta_api": true, "registration_meta_api": true,
		}}},
	}
}

// subscribe subscribes with request id req and returns the
// subscription id of the SUBSCRIBED.
func (c *v2Client) subscribe(req uint64, opts dict, topic string) uint64 {
	c.t.Helper()
	c.send(32, req, opts, topic)
	m := c.recv()
	if len(m) != 3 || m[0] != int64(33) || m[1] != int64(req) {
		c.t.Fatalf("want SUBSCRIBED %d, got %v", req, m)
	}
	return uint64(m[2].(int64))
}

// publishAck publishes with acknowledge and returns the publication id
// of the PUBLISHED; args and kwargs nil are left out.
func (c *v2Client) publishAck(req uint64, opts dict, topic string, args list, kwargs dict) uint64 {
	c.t.Helper()
	o := dict{"acknowledge": true}
	for k, v := range opts {
		o[k] = v
	}
	c.send(publishMsg(req, o, topic, args, kwargs)...)
	m := c.recv()
	if len(m) != 3 || m[0] != int64(17) || m[1] != int64(req) {
		c.t.Fatalf("want PUBLISHED %d, got %v", req, m)
	}
	return uint64(m[2].(int64))
}

// publishMsg is a PUBLISH's elements.
func publishMsg(req uint64, opts dict, topic string, args list, kwargs dict) list {
	m := list{16, req, opts, topic}
	if args != nil || kwargs != nil {
		if args == nil {
			args = list{}
		}
		m = append(m, args)
	}
	if kwargs != nil {
		m = append(m, kwargs)
	}
	return m
}

// eventMsg is an EVENT's elements.
func eventMsg(sub, pub uint64, details dict, args list, kwargs dict) list {
	m := list{36, sub, pub, details}
	if args != nil || kwargs != nil {
		if args == nil {
			args = list{}
		}
		m = append(m, args)
	}
	if kwargs != nil {
		m = append(m, kwargs)
	}
	return m
}

// expectEvent reads the next message and requires the exact EVENT.
func (c *v2Client) expectEvent(sub, pub uint64, details dict, args list, kwargs dict) {
	c.t.Helper()
	c.expect(eventMsg(sub, pub, details, args, kwargs)...)
}

// recvEvent reads the next message, requires an EVENT of subscription
// sub with details, args and kwargs, and returns its publication id.
func (c *v2Client) recvEvent(sub uint64, details dict, args list, kwargs dict) uint64 {
	c.t.Helper()
	b := c.next()
	v, err := value.Decode(c.f, b)
	m, _ := v.(list)
	if err != nil || len(m) < 4 || m[0] != int64(36) {
		c.t.Fatalf("want EVENT, got %s", c.show(b))
	}
	pub, _ := m[2].(int64)
	if want := c.encode(eventMsg(sub, uint64(pub), details, args, kwargs)...); string(b) != string(want) {
		c.t.Fatalf("%s: got %s\nwant %s", c.f, c.show(b), c.show(want))
	}
	return uint64(pub)
}

// sync waits until the node has processed everything this client sent
// and fails if anything but the pong arrived.
func (c *v2Client) sync() {
	c.t.Helper()
	frames, err := c.Sync(waitLong)
	if err != nil {
		c.t.Fatalf("sync: %v (frames before: %v)", err, frames)
	}
	if len(frames) > 0 {
		c.t.Fatalf("unexpected frames: %v", frames)
	}
}

// expectAbort requires ABORT with reason uri and Details.message, then
// the close frame code and the node closing TCP.
func (c *v2Client) expectAbort(uri, message string, code uint16) {
	c.t.Helper()
	c.expect(3, dict{"message": message}, uri)
	c.expectClose(code)
}

// expectClose requires a close frame with code, then the node closing
// TCP.
func (c *v2Client) expectClose(code uint16) {
	c.t.Helper()
	got, reason, err := c.ExpectClose(waitLong)
	if err != nil {
		c.t.Fatalf("want close %d: %v", code, err)
	}
	if got != code {
		c.t.Fatalf("close code %d (%q), want %d", got, reason, code)
	}
}

// itoa is u in decimal.
func itoa(u uint64) string { return strconv.FormatUint(u, 10) }
