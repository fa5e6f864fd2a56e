package v2

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newRouter makes a quiet router with cfg or fails the test.
func newRouter(t testing.TB, cfg wamp.RouterConfig) *wamp.Router {
	t.Helper()
	cfg.Logger = quiet
	r, err := wamp.NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// peer is a v2 session driven directly, on a recording connection.
type peer struct {
	t testing.TB
	s *Session
	c *wamptest.Conn
	f value.Format
}

func newPeer(t testing.TB, r *wamp.Router, p *Protocol) *peer {
	c := wamptest.NewConn("test")
	return &peer{t: t, s: NewSession(r, c, p), c: c, f: p.Format()}
}

// handle sends one message, given as its elements, and returns what
// HandleMessage returned.
func (pe *peer) handle(elems ...any) error {
	pe.t.Helper()
	return pe.s.HandleMessage(raw(pe.t, pe.f, elems), pe.f != value.JSON)
}

// send sends one message and fails on an error.
func (pe *peer) send(elems ...any) {
	pe.t.Helper()
	if err := pe.handle(elems...); err != nil {
		pe.t.Fatalf("%v: %v", elems, err)
	}
}

// take decodes the messages sent since the last take; each must be in a
// frame of the serializer's kind.
func (pe *peer) take() [][]any {
	pe.t.Helper()
	var out [][]any
	for _, m := range pe.c.TakeMessages() {
		if m.Binary != (pe.f != value.JSON) {
			pe.t.Fatalf("%s message in a binary=%v frame", pe.f, m.Binary)
		}
		v, err := value.Decode(pe.f, []byte(m.Data))
		if err != nil {
			pe.t.Fatalf("undecodable %q: %v", m.Data, err)
		}
		out = append(out, v.([]any))
	}
	return out
}

// expect requires exactly the messages want (each a list of elements)
// since the last take, byte for byte.
func (pe *peer) expect(want ...[]any) {
	pe.t.Helper()
	got := pe.c.Take()
	if len(got) != len(want) {
		pe.t.Fatalf("got %d messages %q, want %d: %v", len(got), got, len(want), want)
	}
	for i, w := range want {
		if b := raw(pe.t, pe.f, w); got[i] != string(b) {
			pe.t.Fatalf("message %d: got %q, want %q", i, got[i], b)
		}
	}
}

// roles is what a typical client announces.
var roles = map[string]any{"roles": map[string]any{
	"publisher": map[string]any{}, "subscriber": map[string]any{},
	"caller": map[string]any{}, "callee": map[string]any{"features": map[string]any{"call_canceling": true}},
}}

// hello establishes a session in realm1 and returns its id.
func (pe *peer) hello() uint64 {
	pe.t.Helper()
	pe.send(1, "realm1", roles)
	msgs := pe.take()
	if len(msgs) != 1 || len(msgs[0]) != 3 || msgs[0][0] != int64(2) {
		pe.t.Fatalf("want WELCOME, got %v", msgs)
	}
	return uint64(msgs[0][1].(int64))
}

// welcomeDetails is WELCOME.Details for anonymous session id.
func welcomeDetails(id uint64) map[string]any {
	return map[string]any{
		"agent": wamp.DefaultAgent, "authid": fmt.Sprint(id), "authmethod": "anonymous", "authprovider": "static", "authrole": "anonymous",
		"roles": map[string]any{"broker": map[string]any{"features": map[string]any{
			"event_retention": true, "pattern_based_subscription": true, "publisher_exclusion": true,
			"publisher_identification": true, "subscriber_blackwhite_listing": true,
			"session_meta_api": true, "subscription_meta_api": true,
		}}, "dealer": map[string]any{"features": map[string]any{
			"call_canceling": true, "call_timeout": true, "caller_identification": true,
			"pattern_based_registration": true, "progressive_call_results": true, "shared_registration": true,
			"session_meta_api": true, "registration_meta_api": true,
		}}},
	}
}

func forEachFormat(t *testing.T, f func(t *testing.T, p *Protocol)) {
	for _, fm := range []value.Format{value.JSON, value.MsgPack, value.CBOR} {
		t.Run(fm.String(), func(t *testing.T) { f(t, NewProtocol(fm, quiet)) })
	}
}

func TestSessionLifecycle(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{})
		pe := newPeer(t, r, p)
		if pe.s.Open() != nil || pe.s.Greeted() {
			t.Fatal("a v2 session sends nothing before HELLO and is not greeted")
		}
		pe.send(1, "realm1", roles)
		id := pe.s.ID()
		pe.expect([]any{2, uint64(id), welcomeDetails(uint64(id))})
		if !id.Valid() || !pe.s.Greeted() || r.Stats().Sessions != 1 {
			t.Fatalf("id %d greeted %v sessions %d", id, pe.s.Greeted(), r.Stats().Sessions)
		}
		if c := pe.s.Client(); !c.Has(RolePublisher|RoleSubscriber|RoleCaller|RoleCallee|CalleeCallCanceling) || c.Has(CalleeProgressiveCallResults) {
			t.Fatalf("client features %b", c)
		}
		pe.send(32, 1, map[string]any{}, "com.example.t")
		pe.take()
		pe.send(6, map[string]any{}, "wamp.close.close_realm")
		pe.expect([]any{6, map[string]any{}, "wamp.close.goodbye_and_out"})
		if pe.s.Core() != nil || r.Stats().Sessions != 0 || r.Stats().Subscriptions != 0 {
			t.Fatalf("after GOODBYE: core %v, %+v", pe.s.Core(), r.Stats())
		}
		second := pe.hello()
		if second == uint64(id) {
			t.Fatalf("the second session reuses id %d", id)
		}
		pe.s.Closed()
		if r.Stats().Sessions != 0 || pe.s.Core() != nil {
			t.Fatalf("after Closed: %+v", r.Stats())
		}
		if err := pe.handle(32, 2, map[string]any{}, "t"); err != nil || len(pe.take()) != 0 {
			t.Fatalf("a message after Closed: %v", err)
		}
	})
}

func TestSessionRecordsClientFeatures(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	pe := newPeer(t, r, NewProtocol(value.JSON, quiet))
	pe.send(1, "realm1", map[string]any{"roles": map[string]any{
		"caller": map[string]any{"features": map[string]any{"progressive_call_results": true, "call_canceling": false}},
		"callee": map[string]any{"features": map[string]any{"progressive_call_results": true, "call_timeout": true,
			"caller_identification": true, "shared_registration": true}},
		"dealer": "a role the client cannot have: ignored",
	}})
	want := RoleCaller | RoleCallee | CallerProgressiveCallResults | CalleeProgressiveCallResults | CalleeCallTimeout | CalleeCallerIdentification
	if got := pe.s.Client(); got != want {
		t.Fatalf("client features %b, want %b", got, want)
	}
}

func TestShutdownSaysGoodbye(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{})
		pe := newPeer(t, r, p)
		pe.s.Shutdown() // before HELLO: nothing to say
		pe.expect()
		pe.hello()
		pe.s.Shutdown()
		pe.s.Shutdown()
		pe.expect([]any{6, map[string]any{"message": "the node is shutting down"}, "wamp.close.system_shutdown"})
		// The client's GOODBYE answering the router's gets no answer.
		pe.send(6, map[string]any{}, "wamp.close.goodbye_and_out")
		pe.expect()
	})
}

// violations are messages that end a session with ABORT
// wamp.error.protocol_violation, with the Details.message expected, in
// a session already established or not.
var violations = []struct {
	name        string
	established bool
	msg         []any
	why         string
}{
	{"before HELLO", false, []any{32, 1, map[string]any{}, "t"}, "SUBSCRIBE before HELLO"},
	{"GOODBYE before HELLO", false, []any{6, map[string]any{}, "wamp.close.close_realm"}, "GOODBYE before HELLO"},
	{"second HELLO", true, []any{1, "realm1", roles}, "second HELLO in an established session"},
	{"unknown type", true, []any{99, 1}, "unknown message type 99"},
	{"router message", true, []any{36, 1, 2, map[string]any{}}, "EVENT is a router-to-client message"},
	{"WELCOME", true, []any{2, 1, map[string]any{}}, "WELCOME is a router-to-client message"},
	{"AUTHENTICATE", true, []any{5, "sig", map[string]any{}}, "AUTHENTICATE without a CHALLENGE"},
	{"ERROR of a SUBSCRIBE", true, []any{8, 32, 1, map[string]any{}, "x.y"}, "ERROR answering a SUBSCRIBE: a client answers only INVOCATION"},
	{"wrong type", true, []any{32, 1, map[string]any{}, 5}, "SUBSCRIBE: Topic must be a string, got integer 5"},
	{"no roles", false, []any{1, "realm1", map[string]any{}}, "HELLO.Details.roles is missing"},
	{"roles not a dict", false, []any{1, "realm1", map[string]any{"roles": []any{}}}, "HELLO.Details.roles must be a dict"},
	{"no known role", false, []any{1, "realm1", map[string]any{"roles": map[string]any{"x": map[string]any{}}}},
		"HELLO.Details.roles announces none of publisher, subscriber, caller, callee"},
	{"feature not a bool", false, []any{1, "realm1", map[string]any{"roles": map[string]any{"callee": map[string]any{"features": map[string]any{"call_canceling": 1}}}}},
		"HELLO.Details.roles.callee.features.call_canceling must be a boolean"},
}

func TestProtocolViolationsAbort(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		for _, v := range violations {
			t.Run(v.name, func(t *testing.T) {
				r := newRouter(t, wamp.RouterConfig{})
				pe := newPeer(t, r, p)
				if v.established {
					pe.hello()
				}
				err := pe.handle(v.msg...)
				var ce *wamp.CloseError
				if !errors.As(err, &ce) || ce.Code != wamp.CloseProtocolError {
					t.Fatalf("HandleMessage: %v, want close 1002", err)
				}
				pe.expect([]any{3, map[string]any{"message": v.why}, "wamp.error.protocol_violation"})
				if r.Stats().Sessions != 0 {
					t.Fatalf("the session did not leave: %+v", r.Stats())
				}
				if err := pe.handle(1, "realm1", roles); err != nil || len(pe.take()) != 0 {
					t.Fatalf("a HELLO after ABORT: %v", err)
				}
			})
		}
	})
}

func TestHelloUnknownRealmAborts(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{Realms: []string{"a", "b"}})
	pe := newPeer(t, r, NewProtocol(value.CBOR, quiet))
	pe.send(1, "c", roles)
	pe.expect([]any{3, map[string]any{"message": `no realm "c" on this node`}, "wamp.error.no_such_realm"})
	if code, _, closed := pe.c.CloseCode(); !closed || code != 1000 {
		t.Fatalf("close %d %v, want 1000", code, closed)
	}
	pe = newPeer(t, r, NewProtocol(value.CBOR, quiet))
	pe.hello2("b")
	if got := pe.s.Core().Realm(); got != "b" {
		t.Fatalf("realm %q", got)
	}
}

// hello2 establishes a session in realm.
func (pe *peer) hello2(realm string) {
	pe.t.Helper()
	pe.send(1, realm, roles)
	if msgs := pe.take(); len(msgs) != 1 || msgs[0][0] != int64(2) {
		pe.t.Fatalf("want WELCOME, got %v", msgs)
	}
}

func TestClientAbortCloses(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	for _, established := range []bool{false, true} {
		pe := newPeer(t, r, NewProtocol(value.JSON, quiet))
		if established {
			pe.hello()
		}
		pe.send(3, map[string]any{}, "wamp.error.no_such_realm")
		pe.expect()
		if code, _, closed := pe.c.CloseCode(); !closed || code != 1000 || r.Stats().Sessions != 0 {
			t.Fatalf("established %v: close %d %v, %+v", established, code, closed, r.Stats())
		}
	}
}

// refuser refuses subscriptions to "no.*" topics (with a URI for
// "no.uri") and vetoes publications to "no.pub".
type refuser struct{ wamp.BaseHandler }

func (refuser) OnSubscribe(_ wamp.Peer, topic string, _ wamp.Match) error {
	switch topic {
	case "no.uri":
		return &wamp.URIError{URI: "com.example.forbidden", Message: "not for you"}
	case "no.plain":
		return errors.New("secret reason")
	}
	return nil
}

func (refuser) OnPublish(_ wamp.Peer, pub *wamp.Publication) error {
	if pub.Topic == "no.pub" {
		return errors.New("vetoed")
	}
	return nil
}

func TestBrokerErrors(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{Handler: refuser{}, MaxSubscriptions: 2})
		pe := newPeer(t, r, p)
		pe.hello()
		ack := map[string]any{"acknowledge": true}
		for _, tc := range []struct {
			msg  []any
			want []any
		}{
			{[]any{32, 1, map[string]any{}, "no.uri"}, []any{8, 32, 1, map[string]any{}, "com.example.forbidden", []any{"not for you"}}},
			{[]any{32, 2, map[string]any{}, "no.plain"}, []any{8, 32, 2, map[string]any{}, "wamp.error.not_authorized", []any{"refused by the router"}}},
			{[]any{32, 3, map[string]any{"match": "fuzzy"}, "a"}, []any{8, 32, 3, map[string]any{}, "wamp.error.invalid_argument", []any{`option "match" must be "exact", "prefix" or "wildcard"`}}},
			{[]any{32, 4, map[string]any{"match": ""}, "a"}, []any{8, 32, 4, map[string]any{}, "wamp.error.invalid_argument", []any{`option "match" must be "exact", "prefix" or "wildcard"`}}},
			{[]any{32, 5, map[string]any{"get_retained": 1}, "a"}, []any{8, 32, 5, map[string]any{}, "wamp.error.invalid_argument", []any{`option "get_retained" must be a boolean`}}},
			{[]any{32, 6, map[string]any{}, "a..b"}, []any{8, 32, 6, map[string]any{}, "wamp.error.invalid_uri", []any{`"a..b" is not a valid exact topic URI`}}},
			{[]any{32, 7, map[string]any{"match": "prefix"}, "a b"}, []any{8, 32, 7, map[string]any{}, "wamp.error.invalid_uri", []any{`"a b" is not a valid prefix topic URI`}}},
			{[]any{32, 8, map[string]any{}, "a"}, []any{33, 8, 1}},
			{[]any{32, 9, map[string]any{"match": "wildcard"}, "a..c"}, []any{33, 9, 2}},
			{[]any{32, 10, map[string]any{}, "a"}, []any{33, 10, 1}},
			{[]any{32, 11, map[string]any{}, "b"}, []any{8, 32, 11, map[string]any{}, ErrTooManySubscriptions,
				[]any{`subscribe "b": wamp: too many subscriptions (limit 2)`}}},
			{[]any{34, 12, 77}, []any{8, 34, 12, map[string]any{}, "wamp.error.no_such_subscription", []any{"no subscription with this id"}}},
			{[]any{34, 13, 1}, []any{35, 13}},
			{[]any{34, 14, 1}, []any{8, 34, 14, map[string]any{}, "wamp.error.no_such_subscription", []any{"no subscription with this id"}}},
			{[]any{16, 15, ack, "no.pub"}, []any{8, 16, 15, map[string]any{}, "wamp.error.not_authorized", []any{"refused by the router"}}},
			{[]any{16, 16, ack, "a#b"}, []any{8, 16, 16, map[string]any{}, "wamp.error.invalid_uri", []any{`"a#b" is not a valid topic URI`}}},
			{[]any{16, 17, map[string]any{"acknowledge": true, "exclude": 5}, "a"}, []any{8, 16, 17, map[string]any{}, "wamp.error.invalid_argument",
				[]any{`option "exclude" must be a list of session ids (integers in [0, 2^53])`}}},
			{[]any{16, 18, map[string]any{"acknowledge": true, "eligible": []any{1, "2"}}, "a"}, []any{8, 16, 18, map[string]any{}, "wamp.error.invalid_argument",
				[]any{`option "eligible" must be a list of session ids (integers in [0, 2^53])`}}},
			{[]any{16, 19, map[string]any{"acknowledge": true, "exclude": []any{-1}}, "a"}, []any{8, 16, 19, map[string]any{}, "wamp.error.invalid_argument",
				[]any{`option "exclude" must be a list of session ids (integers in [0, 2^53])`}}},
			{[]any{16, 20, map[string]any{"acknowledge": true, "exclude": []any{1.5}}, "a"}, []any{8, 16, 20, map[string]any{}, "wamp.error.invalid_argument",
				[]any{`option "exclude" must be a list of session ids (integers in [0, 2^53])`}}},
			{[]any{16, 21, map[string]any{"acknowledge": true, "retain": "yes"}, "a"}, []any{8, 16, 21, map[string]any{}, "wamp.error.invalid_argument",
				[]any{`option "retain" must be a boolean`}}},
			// Without acknowledge, a refused publication is dropped silently.
			{[]any{16, 22, map[string]any{}, "no.pub"}, nil},
			{[]any{16, 23, map[string]any{"exclude": "x"}, "a"}, nil},
			{[]any{16, 24, map[string]any{"acknowledge": "yes"}, "a"}, nil},
			// RPC (session_rpc_test.go has the rest).
			{[]any{48, 25, map[string]any{}, "com.example.f"}, []any{8, 48, 25, map[string]any{}, "wamp.error.no_such_procedure",
				[]any{"no procedure com.example.f is registered on this node"}}},
			{[]any{64, 26, map[string]any{}, "com.example.f"}, []any{65, 26, 1}},
			{[]any{70, 27, map[string]any{}}, nil},
			{[]any{8, 68, 28, map[string]any{}, "com.example.err"}, nil},
			{[]any{49, 29, map[string]any{}}, nil},
		} {
			pe.send(tc.msg...)
			if tc.want == nil {
				pe.expect()
			} else {
				pe.expect(tc.want)
			}
		}
		if r.Stats().Publications != 0 {
			t.Fatalf("%d publications went through", r.Stats().Publications)
		}
	})
}
