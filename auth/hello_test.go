package auth

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
)

// craSign is the WAMP-CRA signature of challenge with key, as Autobahn's
// compute_wcs computes it.
func craSign(key, challenge string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(challenge))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// deriveKey is Autobahn's derive_key: base64 of PBKDF2-SHA256.
func deriveKey(t testing.TB, secret, salt string, iterations, keylen int) string {
	k, err := pbkdf2.Key(sha256.New, secret, []byte(salt), iterations, keylen)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// testAuth is an Authenticator with an HS256 key, three users and the
// given anonymous policy.
type testAuth struct {
	a          *Authenticator
	gate       *Gate
	hs         *signer
	devKey     string
	devPriv    ed25519.PrivateKey
	saltedPass string
}

func newTestAuth(t testing.TB, anonymous bool) *testAuth {
	t.Helper()
	ta := &testAuth{hs: testSigners(t)["HS256"], saltedPass: "bob's password"}
	ta.devKey, ta.devPriv = testPubKey(t)
	us, err := NewUsers([]User{
		{AuthID: "alice", Role: "admin", Realm: "realm1", Secret: "alice-secret"},
		{AuthID: "bob", Role: "user", Secret: deriveKey(t, ta.saltedPass, "pepper", 1000, 32), Salt: "pepper", Iterations: 1000, KeyLen: 32},
		{AuthID: "dev", Role: "device", PubKeys: []string{ta.devKey}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ta.a, err = New(Config{JWT: ta.hs.verify, Users: us, AllowAnonymous: anonymous})
	if err != nil {
		t.Fatal(err)
	}
	ta.gate = NewGate(ta.a)
	return ta
}

// hello runs Conn.Hello without a handshake token.
func (ta *testAuth) hello(realm string, details map[string]any) (*wamp.Auth, *Challenge, error) {
	return ta.gate.Conn(nil).Hello(realm, details)
}

// wantError requires an *Error with uri and a message containing msg.
func wantError(t testing.TB, err error, uri, msg string) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok || e.URI != uri || !strings.Contains(e.Message, msg) {
		t.Fatalf("error %#v, want %s %q", err, uri, msg)
	}
}

func wantAuth(t testing.TB, got *wamp.Auth, err error, want wamp.Auth) {
	t.Helper()
	if err != nil || got == nil || *got != want {
		t.Fatalf("auth %+v, %v; want %+v", got, err, want)
	}
}

func TestHelloTicket(t *testing.T) {
	ta := newTestAuth(t, false)
	_, ch, err := ta.hello("realm1", map[string]any{"authmethods": []any{"ticket"}})
	if err != nil || ch == nil || ch.Method != "ticket" || ch.Extra != nil {
		t.Fatalf("challenge %+v, %v", ch, err)
	}
	id, err := ch.Authenticate(ta.hs.token(t, validClaims()))
	wantAuth(t, id, err, wamp.Auth{ID: "alice", Role: "admin", Method: "ticket", Provider: "jwt"})

	// The token's realm and subject must fit the HELLO.
	c := validClaims()
	c["realm"] = "realm2"
	_, ch, _ = ta.hello("realm1", map[string]any{"authmethods": []any{"ticket"}})
	_, err = ch.Authenticate(ta.hs.token(t, c))
	wantError(t, err, ErrAuthenticationFailed, "token for another realm")
	_, ch, _ = ta.hello("realm1", map[string]any{"authmethods": []any{"ticket"}, "authid": "mallory"})
	_, err = ch.Authenticate(ta.hs.token(t, validClaims()))
	wantError(t, err, ErrAuthenticationFailed, "not the token's subject")
	_, ch, _ = ta.hello("realm1", map[string]any{"authmethods": []any{"ticket"}})
	_, err = ch.Authenticate("not a token")
	wantError(t, err, ErrAuthenticationFailed, "malformed token")
	if ta.gate.Refused() != 3 {
		t.Fatalf("Refused %d, want 3", ta.gate.Refused())
	}
}

func TestHelloWAMPCRA(t *testing.T) {
	ta := newTestAuth(t, false)
	_, ch, err := ta.hello("realm1", map[string]any{"authmethods": []any{"wampcra"}, "authid": "alice"})
	if err != nil || ch.Method != "wampcra" || len(ch.Extra) != 1 {
		t.Fatalf("challenge %+v, %v", ch, err)
	}
	text := ch.Extra["challenge"].(string)
	var fields map[string]any
	if err := json.Unmarshal([]byte(text), &fields); err != nil {
		t.Fatalf("challenge %q: %v", text, err)
	}
	if fields["authid"] != "alice" || fields["authmethod"] != "wampcra" || fields["authprovider"] != "static" ||
		fields["nonce"] == "" || len(fields) != 5 {
		t.Fatalf("challenge fields %v", fields)
	}
	if _, err := time.Parse(time.RFC3339, fields["timestamp"].(string)); err != nil {
		t.Fatalf("timestamp: %v", err)
	}
	id, err := ch.Authenticate(craSign("alice-secret", text))
	wantAuth(t, id, err, wamp.Auth{ID: "alice", Role: "admin", Method: "wampcra", Provider: "static"})

	_, ch, _ = ta.hello("realm1", map[string]any{"authmethods": []any{"wampcra"}, "authid": "alice"})
	_, err = ch.Authenticate(craSign("wrong", ch.Extra["challenge"].(string)))
	wantError(t, err, ErrAuthenticationFailed, "wrong authid or secret")

	// Salted: the challenge carries the parameters, the client derives
	// the key from its password.
	_, ch, _ = ta.hello("realm2", map[string]any{"authmethods": []any{"wampcra"}, "authid": "bob"})
	if ch.Extra["salt"] != "pepper" || ch.Extra["iterations"] != 1000 || ch.Extra["keylen"] != 32 {
		t.Fatalf("salted challenge %v", ch.Extra)
	}
	id, err = ch.Authenticate(craSign(deriveKey(t, ta.saltedPass, "pepper", 1000, 32), ch.Extra["challenge"].(string)))
	wantAuth(t, id, err, wamp.Auth{ID: "bob", Role: "user", Method: "wampcra", Provider: "static"})

	// An unknown user, or one outside its realm, is challenged like any
	// other and refused whatever it answers.
	for _, who := range []struct{ authid, realm string }{{"nobody", "realm1"}, {"alice", "realm2"}, {"dev", "realm1"}} {
		_, ch, err = ta.hello(who.realm, map[string]any{"authmethods": []any{"wampcra"}, "authid": who.authid})
		if err != nil || ch == nil || len(ch.Extra) != 1 {
			t.Fatalf("%v: challenge %+v %v", who, ch, err)
		}
		_, err = ch.Authenticate(craSign("alice-secret", ch.Extra["challenge"].(string)))
		wantError(t, err, ErrAuthenticationFailed, "wrong authid or secret")
	}
	// No authid: the method cannot serve the HELLO.
	_, _, err = ta.hello("realm1", map[string]any{"authmethods": []any{"wampcra"}})
	wantError(t, err, ErrNoAuthMethod, "wampcra needs HELLO.Details.authid")
}

// cryptosignAnswer is what Autobahn sends: hex(signature || challenge).
func cryptosignAnswer(t testing.TB, priv ed25519.PrivateKey, ch *Challenge) string {
	t.Helper()
	challenge, err := hex.DecodeString(ch.Extra["challenge"].(string))
	if err != nil || len(challenge) != 32 {
		t.Fatalf("challenge %v: %v", ch.Extra, err)
	}
	return hex.EncodeToString(append(ed25519.Sign(priv, challenge), challenge...))
}

func TestHelloCryptosign(t *testing.T) {
	ta := newTestAuth(t, false)
	devHello := func(authid string) map[string]any {
		d := map[string]any{"authmethods": []any{"cryptosign"}, "authextra": map[string]any{"pubkey": ta.devKey}}
		if authid != "" {
			d["authid"] = authid
		}
		return d
	}
	want := wamp.Auth{ID: "dev", Role: "device", Method: "cryptosign", Provider: "static"}
	for _, authid := range []string{"", "dev"} {
		_, ch, err := ta.hello("realm1", devHello(authid))
		if err != nil || ch.Method != "cryptosign" || len(ch.Extra) != 1 {
			t.Fatalf("challenge %+v %v", ch, err)
		}
		id, err := ch.Authenticate(cryptosignAnswer(t, ta.devPriv, ch))
		wantAuth(t, id, err, want)
	}
	// The signature alone (128 hex digits) is accepted too.
	_, ch, _ := ta.hello("realm1", devHello(""))
	id, err := ch.Authenticate(cryptosignAnswer(t, ta.devPriv, ch)[:128])
	wantAuth(t, id, err, want)

	_, otherPriv := testPubKey(t)
	for name, answer := range map[string]func(ch *Challenge) string{
		"other key": func(ch *Challenge) string { return cryptosignAnswer(t, otherPriv, ch) },
		"not hex":   func(*Challenge) string { return strings.Repeat("x", 192) },
		"short":     func(ch *Challenge) string { return cryptosignAnswer(t, ta.devPriv, ch)[:120] },
		"other challenge": func(ch *Challenge) string {
			return cryptosignAnswer(t, ta.devPriv, ch)[:128] + strings.Repeat("00", 32)
		},
		"empty": func(*Challenge) string { return "" },
	} {
		_, ch, _ := ta.hello("realm1", devHello(""))
		_, err := ch.Authenticate(answer(ch))
		if e, ok := err.(*Error); !ok || e.URI != ErrAuthenticationFailed || e.Message != "wrong authid, key or signature" {
			t.Errorf("%s: %#v", name, err)
		}
	}
	// A key nobody holds, or a key not of the named user: challenged, refused.
	stranger, strangerPriv := testPubKey(t)
	_, ch, err = ta.hello("realm1", map[string]any{"authmethods": []any{"cryptosign"}, "authextra": map[string]any{"pubkey": stranger}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.Authenticate(cryptosignAnswer(t, strangerPriv, ch))
	wantError(t, err, ErrAuthenticationFailed, "wrong authid, key or signature")
	_, ch, _ = ta.hello("realm1", devHello("alice"))
	_, err = ch.Authenticate(cryptosignAnswer(t, ta.devPriv, ch))
	wantError(t, err, ErrAuthenticationFailed, "wrong authid, key or signature")

	for name, extra := range map[string]any{
		"no pubkey":       map[string]any{},
		"pubkey not text": map[string]any{"pubkey": 5},
		"pubkey short":    map[string]any{"pubkey": "abcd"},
		"channel binding": map[string]any{"pubkey": ta.devKey, "channel_binding": "tls-unique"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ta.hello("realm1", map[string]any{"authmethods": []any{"cryptosign"}, "authextra": extra})
			wantError(t, err, ErrNoAuthMethod, "cryptosign")
		})
	}
}

func TestHelloMethodChoice(t *testing.T) {
	closed, open := newTestAuth(t, false), newTestAuth(t, true)
	for _, tc := range []struct {
		name    string
		ta      *testAuth
		details map[string]any
		want    string // challenge method, "anonymous", or the error URI
	}{
		{"no methods, anonymous refused", closed, nil, ErrNoAuthMethod},
		{"no methods, anonymous allowed", open, nil, "anonymous"},
		{"anonymous refused", closed, map[string]any{"authmethods": []any{"anonymous"}}, ErrNoAuthMethod},
		{"unknown method", open, map[string]any{"authmethods": []any{"scram"}}, ErrNoAuthMethod},
		{"client's order", open, map[string]any{"authmethods": []any{"scram", "wampcra", "ticket"}, "authid": "alice"}, "wampcra"},
		{"wampcra without authid falls through", open, map[string]any{"authmethods": []any{"wampcra", "anonymous"}}, "anonymous"},
		{"ticket first", open, map[string]any{"authmethods": []any{"ticket", "anonymous"}}, "ticket"},
		{"methods not a list", open, map[string]any{"authmethods": "ticket"}, ErrProtocolViolation},
		{"method not a string", open, map[string]any{"authmethods": []any{1}}, ErrProtocolViolation},
		{"authid not a string", open, map[string]any{"authid": 1}, ErrProtocolViolation},
		{"authextra not a dict", open, map[string]any{"authextra": []any{}}, ErrProtocolViolation},
	} {
		id, ch, err := tc.ta.hello("realm1", tc.details)
		got := "anonymous"
		switch {
		case err != nil:
			got = err.(*Error).URI
		case ch != nil:
			got = ch.Method
		case id != nil:
			got = id.Method
		}
		if got != tc.want {
			t.Errorf("%s: got %s (%v), want %s", tc.name, got, err, tc.want)
		}
	}
	_, _, err := closed.hello("realm1", map[string]any{"authmethods": []any{"anonymous"}})
	wantError(t, err, ErrNoAuthMethod, "no acceptable authentication method: this node accepts ticket, wampcra, cryptosign")
}

func TestHelloHandshakeToken(t *testing.T) {
	ta := newTestAuth(t, false)
	tok, err := ta.a.VerifyToken(ta.hs.token(t, validClaims()))
	if err != nil {
		t.Fatal(err)
	}
	c := ta.gate.Conn(tok)
	id, ch, err := c.Hello("realm1", map[string]any{"authmethods": []any{"wampcra"}, "authid": "alice"})
	if ch != nil {
		t.Fatal("challenged despite the handshake token")
	}
	wantAuth(t, id, err, wamp.Auth{ID: "alice", Role: "admin", Method: "jwt", Provider: "jwt"})
	_, _, err = c.Hello("realm1", map[string]any{"authid": "bob"})
	wantError(t, err, ErrAuthenticationFailed, "not the token's subject")

	// A later HELLO after the token expired.
	now := time.Now()
	clocked, err := New(Config{JWT: ta.hs.verify, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGate(clocked)
	short := validClaims()
	short["exp"] = now.Add(time.Minute).Unix()
	tok, err = clocked.VerifyToken(ta.hs.token(t, short))
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute + Leeway + time.Second)
	_, _, err = g.Conn(tok).Hello("realm1", nil)
	wantError(t, err, ErrAuthenticationFailed, "token expired")

	// Reloaded without a JWT key: the handshake's token no longer counts.
	us, _ := NewUsers([]User{{AuthID: "x", Role: "r", Secret: "s"}})
	noJWT, err := New(Config{Users: us})
	if err != nil {
		t.Fatal(err)
	}
	g.Set(noJWT)
	_, _, err = g.Conn(tok).Hello("realm1", nil)
	wantError(t, err, ErrAuthenticationFailed, "tokens are not accepted")
}

func TestOpenAuthenticator(t *testing.T) {
	g := NewGate(nil)
	id, ch, err := g.Conn(nil).Hello("realm1", map[string]any{"authmethods": []any{"ticket"}})
	if id != nil || ch != nil || err != nil {
		t.Fatalf("open node: %v %v %v", id, ch, err)
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "no client could connect") {
		t.Fatalf("nothing allowed: %v", err)
	}
	if _, err := New(Config{Cookie: "jwt", AllowAnonymous: true}); err == nil || !strings.Contains(err.Error(), "no JWT key") {
		t.Fatalf("cookie without key: %v", err)
	}
	hs := testSigners(t)["HS256"]
	if _, err := New(Config{JWT: hs.verify, Cookie: "a;b"}); err == nil || !strings.Contains(err.Error(), "cookie name") {
		t.Fatalf("bad cookie name: %v", err)
	}
}
