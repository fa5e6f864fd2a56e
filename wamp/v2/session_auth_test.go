package v2

import (
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// testSecret is the HS256 secret of the sessions below.
var testSecret = []byte("thirty-two bytes of test secret!")

// authGate is a Gate with the HS256 key and one WAMP-CRA user, alice.
func authGate(t testing.TB) *auth.Gate {
	t.Helper()
	k, err := auth.NewHMACKey(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	us, err := auth.NewUsers([]auth.User{{AuthID: "alice", Role: "admin", Secret: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{JWT: k, Users: us})
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewGate(a)
}

func newAuthPeer(t testing.TB, r *wamp.Router, p *Protocol, g *auth.Gate) *peer {
	c := wamptest.NewConn("test")
	return &peer{t: t, s: NewAuthSession(r, c, p, g.Conn(nil)), c: c, f: p.Format()}
}

// TestChallengedAt: the session reports the CHALLENGE it awaits an
// answer to, and forgets it on AUTHENTICATE.
func TestChallengedAt(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	pe := newAuthPeer(t, r, NewProtocol(value.JSON, quiet), authGate(t))
	if pe.s.ChallengedAt() != 0 || pe.s.Greeted() {
		t.Fatal("challenged before HELLO")
	}
	pe.send(1, "realm1", map[string]any{"roles": roles["roles"], "authmethods": []any{"ticket"}})
	pe.expect([]any{4, "ticket", map[string]any{}})
	if pe.s.ChallengedAt() == 0 || !pe.s.Greeted() || pe.s.Core() != nil {
		t.Fatal("not awaiting AUTHENTICATE")
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "joe", "role": "r"}).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	pe.send(5, tok, map[string]any{})
	msgs := pe.take()
	if len(msgs) != 1 || msgs[0][0] != int64(2) || pe.s.ChallengedAt() != 0 {
		t.Fatalf("after AUTHENTICATE: %v, challenged at %d", msgs, pe.s.ChallengedAt())
	}
	if c := pe.s.Core(); c.AuthID() != "joe" || c.AuthRole() != "r" || c.AuthMethod() != "ticket" || c.AuthProvider() != "jwt" {
		t.Fatalf("core %s %s %s %s", c.AuthID(), c.AuthRole(), c.AuthMethod(), c.AuthProvider())
	}
}

// FuzzAuthSession feeds three arbitrary messages to a v2 session with
// authentication (ticket and WAMP-CRA): never a panic or 1011, only
// valid messages sent, and no session left joined once it closed.
func FuzzAuthSession(f *testing.F) {
	for fm := value.JSON; fm <= value.CBOR; fm++ {
		hello := func(d map[string]any) []byte {
			d["roles"] = roles["roles"]
			return raw(f, fm, []any{1, "realm1", d})
		}
		for _, m := range [][3][]byte{
			{hello(map[string]any{"authmethods": []any{"ticket"}}), raw(f, fm, []any{5, "a.b.c", map[string]any{}}), raw(f, fm, []any{6, map[string]any{}, "x"})},
			{hello(map[string]any{"authmethods": []any{"wampcra"}, "authid": "alice"}), raw(f, fm, []any{5, "c2ln", map[string]any{}}), hello(map[string]any{})},
			{hello(map[string]any{"authmethods": []any{"cryptosign", "wampcra"}, "authextra": map[string]any{"pubkey": 1}}), raw(f, fm, []any{32, 1, map[string]any{}, "t"}), nil},
			{hello(map[string]any{"authmethods": "ticket"}), nil, nil},
			{raw(f, fm, []any{5, "sig", map[string]any{}}), hello(map[string]any{"authid": []any{}}), nil},
		} {
			f.Add(uint8(fm), m[0], m[1], m[2])
		}
	}
	g := authGate(f)
	f.Fuzz(func(t *testing.T, format uint8, a, b, c []byte) {
		fm := value.Format(format%3 + 1)
		r, err := wamp.NewRouter(wamp.RouterConfig{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		pe := newAuthPeer(t, r, NewProtocol(fm, quiet), g)
		for _, msg := range [][]byte{a, b, c} {
			err := pe.s.HandleMessage(msg, fm != value.JSON)
			var ce *wamp.CloseError
			if errors.As(err, &ce) && ce.Code == wamp.CloseInternalError {
				t.Fatalf("message %q: %v", msg, err)
			}
		}
		pe.s.Closed()
		if pe.s.ChallengedAt() != 0 {
			t.Fatal("still challenged after Closed")
		}
		if errs := pe.c.FrameErrors(); len(errs) > 0 {
			t.Fatalf("malformed frames: %v", errs)
		}
		if code, reason, closed := pe.c.CloseCode(); closed && code == wamp.CloseInternalError {
			t.Fatalf("closed with %d %q", code, reason)
		}
		for _, m := range pe.c.TakeMessages() {
			var msg Message
			if err := SerializerFor(fm).DecodeInto([]byte(m.Data), &msg); err != nil {
				t.Fatalf("sent an invalid %s message %q: %v", fm, m.Data, err)
			}
		}
		if st := r.Stats(); st.Sessions != 0 {
			t.Fatalf("after the fuzzed session closed: %+v", st)
		}
	})
}
