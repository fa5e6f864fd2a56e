package gateway

// WAMP v2 authentication over real sockets, every serializer, exact
// frames: ticket (a JWT), WAMP-CRA (plain and salted secrets),
// WAMP-cryptosign, a token given at the handshake, their failures, the
// state machine after CHALLENGE, the AUTHENTICATE timeout and a reload.

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/internal/wstest"
	"github.com/wampgate/wampgate/wamp/value"
)

// dialV2Req is dialV2 with a request of the caller's (a token in it).
func dialV2Req(t testing.TB, addr string, f value.Format, req *wstest.Request) *v2Client {
	t.Helper()
	c, err := wstest.Connect(addr, req)
	if err != nil {
		if c != nil {
			c.Close()
		}
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &v2Client{Client: c, t: t, f: f}
}

// expectWelcome reads the next message and requires the exact WELCOME
// of a session with that identity; it records and returns the session
// id.
func (c *v2Client) expectWelcome(authid, role, method, provider string) uint64 {
	c.t.Helper()
	m := c.recv()
	if len(m) != 3 || m[0] != int64(2) {
		c.t.Fatalf("want WELCOME, got %v", m)
	}
	id, _ := m[1].(int64)
	c.ID = uint64(id)
	d := welcomeV2(c.ID)
	d["authid"], d["authrole"], d["authmethod"], d["authprovider"] = authid, role, method, provider
	if got, want := encodeV2(c.t, c.f, m...), c.encode(2, c.ID, d); string(got) != string(want) {
		c.t.Fatalf("WELCOME %s\nwant %s", c.show(got), c.show(want))
	}
	return c.ID
}

// expectAnonymousWelcome requires the WELCOME of an anonymous session.
func (c *v2Client) expectAnonymousWelcome() {
	c.t.Helper()
	m := c.recv()
	if len(m) != 3 || m[0] != int64(2) {
		c.t.Fatalf("want WELCOME, got %v", m)
	}
	id, _ := m[1].(int64)
	c.expectWelcomeIs(m, welcomeV2(uint64(id)))
}

func (c *v2Client) expectWelcomeIs(m list, d dict) {
	c.t.Helper()
	if got, want := encodeV2(c.t, c.f, m...), c.encode(2, m[1], d); string(got) != string(want) {
		c.t.Fatalf("WELCOME %s\nwant %s", c.show(got), c.show(want))
	}
}

// helloWith sends HELLO to realm1 with the test roles and the given
// authentication details.
func (c *v2Client) helloWith(details dict) {
	c.t.Helper()
	d := dict{"roles": clientRoles["roles"]}
	for k, v := range details {
		d[k] = v
	}
	c.send(1, "realm1", d)
}

// recvChallenge requires a CHALLENGE of method and returns its Extra.
func (c *v2Client) recvChallenge(method string) dict {
	c.t.Helper()
	m := c.recv()
	if len(m) != 3 || m[0] != int64(4) || m[1] != method {
		c.t.Fatalf("want CHALLENGE %s, got %v", method, m)
	}
	extra, ok := m[2].(dict)
	if !ok && m[2] != nil {
		c.t.Fatalf("CHALLENGE.Extra %v", m[2])
	}
	return extra
}

// authNode starts a node of realm1 and realm2 with the HS256 key, the
// test users, and anonymous sessions refused.
func authNode(t testing.TB, edit func(*Config)) (*Node, *testUsers, *logCapture) {
	t.Helper()
	tu := newTestUsers(t)
	n, logs := startAuthNode(t, newAuthenticator(t, auth.Config{JWT: hs256(t).key, Users: tu.users}), func(cfg *Config) {
		cfg.Realms = []string{"realm1", "realm2"}
		if edit != nil {
			edit(cfg)
		}
	})
	return n, tu, logs
}

func TestV2Ticket(t *testing.T) {
	n, _, logs := authNode(t, nil)
	s := hs256(t)
	forEachFormat(t, func(t *testing.T, f value.Format) {
		good := s.token(t, claimsFor("alice", "admin"))
		c := dialV2(t, n.Addr(), f)
		c.helloWith(dict{"authmethods": list{"ticket"}, "authid": "alice"})
		c.expect(4, "ticket", dict{})
		c.send(5, good, dict{})
		c.expectWelcome("alice", "admin", "ticket", "jwt")
		// The session works, and a new HELLO after GOODBYE authenticates anew.
		c.subscribe(1, dict{}, "com.example.t")
		c.send(6, dict{}, "wamp.close.close_realm")
		c.expect(6, dict{}, "wamp.close.goodbye_and_out")
		c.helloWith(dict{"authmethods": list{"ticket"}})
		c.expect(4, "ticket", dict{})
		c.send(5, s.token(t, claimsFor("bob", "")), dict{})
		c.expectWelcome("bob", auth.DefaultRole, "ticket", "jwt")

		expired := s.token(t, claimsFor("alice", "admin", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }))
		for _, tc := range []struct{ authid, token, message string }{
			{"", expired, "token expired"},
			{"mallory", good, "HELLO.Details.authid is not the token's subject"},
			{"", "not-a-token", "malformed token"},
		} {
			c := dialV2(t, n.Addr(), f)
			d := dict{"authmethods": list{"ticket"}}
			if tc.authid != "" {
				d["authid"] = tc.authid
			}
			c.helloWith(d)
			c.expect(4, "ticket", dict{})
			c.send(5, tc.token, dict{})
			c.expectAbort("wamp.error.authentication_failed", tc.message, 1000)
		}
		requireNotLogged(t, logs, good, expired)
	})
}

func TestV2WAMPCRA(t *testing.T) {
	n, _, logs := authNode(t, nil)
	forEachFormat(t, func(t *testing.T, f value.Format) {
		var signatures []string
		for _, tc := range []struct {
			authid, role, key string
			salted            bool
		}{
			{"alice", "admin", alicePassword, false},
			{"bob", "user", deriveKey(t, bobPassword, bobSalt, 1000, 32), true},
		} {
			c := dialV2(t, n.Addr(), f)
			c.helloWith(dict{"authmethods": list{"wampcra"}, "authid": tc.authid})
			extra := c.recvChallenge("wampcra")
			text, _ := extra["challenge"].(string)
			var fields map[string]any
			if err := json.Unmarshal([]byte(text), &fields); err != nil || fields["authid"] != tc.authid ||
				fields["authmethod"] != "wampcra" || fields["authprovider"] != "static" {
				t.Fatalf("challenge %q (%v)", text, err)
			}
			wantExtra := dict{"challenge": text}
			if tc.salted {
				wantExtra["salt"], wantExtra["iterations"], wantExtra["keylen"] = bobSalt, int64(1000), int64(32)
			}
			if got, want := encodeValue(t, f, extra), encodeValue(t, f, wantExtra); string(got) != string(want) {
				t.Fatalf("CHALLENGE.Extra %v, want %v", extra, wantExtra)
			}
			sig := craSignature(tc.key, text)
			signatures = append(signatures, sig)
			c.send(5, sig, dict{})
			c.expectWelcome(tc.authid, tc.role, "wampcra", "static")
		}
		// A wrong secret, an unknown user, a user outside its realm:
		// challenged alike, refused alike.
		for _, tc := range []struct{ authid, realm string }{{"alice", "realm1"}, {"nobody", "realm1"}, {"alice", "realm2"}} {
			c := dialV2(t, n.Addr(), f)
			c.send(1, tc.realm, dict{"roles": clientRoles["roles"], "authmethods": list{"wampcra"}, "authid": tc.authid})
			extra := c.recvChallenge("wampcra")
			if len(extra) != 1 {
				t.Fatalf("challenge for %s: %v", tc.authid, extra)
			}
			c.send(5, craSignature("wrong", extra["challenge"].(string)), dict{})
			c.expectAbort("wamp.error.authentication_failed", "wrong authid or secret", 1000)
		}
		// Without an authid, wampcra cannot serve the HELLO.
		c := dialV2(t, n.Addr(), f)
		c.helloWith(dict{"authmethods": list{"wampcra"}})
		c.expectAbort("wamp.error.no_auth_method",
			"no acceptable authentication method: this node accepts ticket, wampcra, cryptosign (wampcra needs HELLO.Details.authid)", 1000)
		requireNotLogged(t, logs, signatures...)
	})
}

// cryptosignSign is Autobahn's answer: hex(signature || challenge).
func cryptosignSign(t testing.TB, priv ed25519.PrivateKey, extra dict) string {
	t.Helper()
	challenge, err := hex.DecodeString(extra["challenge"].(string))
	if err != nil || len(challenge) != 32 {
		t.Fatalf("challenge %v: %v", extra, err)
	}
	return hex.EncodeToString(append(ed25519.Sign(priv, challenge), challenge...))
}

func TestV2Cryptosign(t *testing.T) {
	n, tu, _ := authNode(t, nil)
	_, stranger, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	forEachFormat(t, func(t *testing.T, f value.Format) {
		for _, authid := range []string{"", "dev"} {
			c := dialV2(t, n.Addr(), f)
			d := dict{"authmethods": list{"cryptosign"}, "authextra": dict{"pubkey": tu.devPub}}
			if authid != "" {
				d["authid"] = authid
			}
			c.helloWith(d)
			extra := c.recvChallenge("cryptosign")
			if len(extra) != 1 || len(extra["challenge"].(string)) != 64 {
				t.Fatalf("CHALLENGE.Extra %v", extra)
			}
			c.send(5, cryptosignSign(t, tu.devPriv, extra), dict{})
			c.expectWelcome("dev", "device", "cryptosign", "static")
		}
		for _, tc := range []struct {
			authid string // "": none
			priv   ed25519.PrivateKey
		}{{"", stranger}, {"alice", tu.devPriv}} { // a wrong private key; the key of another user
			c := dialV2(t, n.Addr(), f)
			d := dict{"authmethods": list{"cryptosign"}, "authextra": dict{"pubkey": tu.devPub}}
			if tc.authid != "" {
				d["authid"] = tc.authid
			}
			c.helloWith(d)
			extra := c.recvChallenge("cryptosign")
			c.send(5, cryptosignSign(t, tc.priv, extra), dict{})
			c.expectAbort("wamp.error.authentication_failed", "wrong authid, key or signature", 1000)
		}
		c := dialV2(t, n.Addr(), f)
		c.helloWith(dict{"authmethods": list{"cryptosign"}})
		c.expectAbort("wamp.error.no_auth_method",
			"no acceptable authentication method: this node accepts ticket, wampcra, cryptosign (cryptosign needs HELLO.Details.authextra.pubkey)", 1000)
	})
}

// TestV2HandshakeToken: a token at the handshake decides the identity of
// every session of the connection (authmethod jwt), whatever HELLO
// offers; a HELLO naming another authid is refused.
func TestV2HandshakeToken(t *testing.T) {
	n, _, _ := authNode(t, nil)
	s := hs256(t)
	forEachFormat(t, func(t *testing.T, f value.Format) {
		proto := map[value.Format]string{value.JSON: "wamp.2.json", value.MsgPack: "wamp.2.msgpack", value.CBOR: "wamp.2.cbor"}[f]
		c := dialV2Req(t, n.Addr(), f, bearer(n.Addr(), proto, s.token(t, claimsFor("alice", "admin"))))
		c.helloWith(dict{"authmethods": list{"wampcra"}, "authid": "alice"})
		c.expectWelcome("alice", "admin", "jwt", "jwt")
		c.send(6, dict{}, "wamp.close.close_realm")
		c.expect(6, dict{}, "wamp.close.goodbye_and_out")
		c.helloWith(dict{"authid": "bob"})
		c.expectAbort("wamp.error.authentication_failed", "HELLO.Details.authid is not the token's subject", 1000)
	})
}

// TestV2AfterChallenge: after CHALLENGE only AUTHENTICATE or ABORT may
// come; anything else is a protocol violation, the client's ABORT closes
// the connection, and a malformed authmethods is a protocol violation.
func TestV2AfterChallenge(t *testing.T) {
	n, _, _ := authNode(t, nil)
	forEachFormat(t, func(t *testing.T, f value.Format) {
		for _, tc := range []struct {
			msg  list
			want string
		}{
			{list{32, 1, dict{}, "com.example.t"}, "SUBSCRIBE after CHALLENGE: only AUTHENTICATE or ABORT may follow"},
			{list{1, "realm1", clientRoles}, "HELLO after CHALLENGE: only AUTHENTICATE or ABORT may follow"},
			{list{5, 1, dict{}}, "AUTHENTICATE: Signature must be a string, got integer 1"},
		} {
			c := dialV2(t, n.Addr(), f)
			c.helloWith(dict{"authmethods": list{"ticket"}})
			c.expect(4, "ticket", dict{})
			c.send(tc.msg...)
			c.expectAbort("wamp.error.protocol_violation", tc.want, 1002)
		}
		c := dialV2(t, n.Addr(), f)
		c.helloWith(dict{"authmethods": list{"ticket"}})
		c.expect(4, "ticket", dict{})
		c.send(3, dict{}, "wamp.close.normal")
		c.expectClose(1000)

		c = dialV2(t, n.Addr(), f)
		c.helloWith(dict{"authmethods": "ticket"})
		c.expectAbort("wamp.error.protocol_violation", "HELLO.Details.authmethods must be a list of strings", 1002)
	})
}

// TestV2AuthenticateTimeout: a client that does not answer its
// CHALLENGE within the handshake timeout is closed with 1008.
func TestV2AuthenticateTimeout(t *testing.T) {
	n, _, _ := authNode(t, func(cfg *Config) { cfg.HandshakeTimeout = 300 * time.Millisecond })
	c := dialV2(t, n.Addr(), value.JSON)
	c.helloWith(dict{"authmethods": list{"ticket"}})
	c.expect(4, "ticket", dict{})
	code, reason, err := c.ExpectClose(waitLong)
	if err != nil || code != 1008 || reason != "no AUTHENTICATE within the handshake timeout" {
		t.Fatalf("close %d %q %v", code, reason, err)
	}
	if st := n.Stats(); st.AuthenticateTimeouts != 1 || st.HelloTimeouts != 0 {
		t.Fatalf("authenticate_timeouts %d, hello_timeouts %d", st.AuthenticateTimeouts, st.HelloTimeouts)
	}
}

// TestSetAuth: a reload replaces the users and the key atomically;
// established sessions keep going, new HELLOs and handshakes see the new
// table.
func TestSetAuth(t *testing.T) {
	n, _, _ := authNode(t, nil)
	s := hs256(t)
	alice := dialV2(t, n.Addr(), value.JSON)
	alice.helloWith(dict{"authmethods": list{"wampcra"}, "authid": "alice"})
	extra := alice.recvChallenge("wampcra")
	alice.send(5, craSignature(alicePassword, extra["challenge"].(string)), dict{})
	alice.expectWelcome("alice", "admin", "wampcra", "static")

	carol, err := auth.NewUsers([]auth.User{{AuthID: "carol", Role: "ops", Secret: "carol-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	rs := testSigners(t)[1]
	n.SetAuth(newAuthenticator(t, auth.Config{JWT: rs.key, Users: carol, AllowAnonymous: true}))

	c := dialV2(t, n.Addr(), value.JSON)
	c.helloWith(dict{"authmethods": list{"wampcra"}, "authid": "alice"})
	extra = c.recvChallenge("wampcra")
	c.send(5, craSignature(alicePassword, extra["challenge"].(string)), dict{})
	c.expectAbort("wamp.error.authentication_failed", "wrong authid or secret", 1000)
	c = dialV2(t, n.Addr(), value.JSON)
	c.helloWith(dict{"authmethods": list{"wampcra"}, "authid": "carol"})
	extra = c.recvChallenge("wampcra")
	c.send(5, craSignature("carol-secret", extra["challenge"].(string)), dict{})
	c.expectWelcome("carol", "ops", "wampcra", "static")
	want401(t, n.Addr(), v1Request(n.Addr(), "/?token="+s.token(t, claimsFor("alice", "admin"))), "invalid token signature", "")
	dialV1As(t, n, v1Request(n.Addr(), "/?token="+rs.token(t, claimsFor("alice", "admin"))), "alice", "admin")
	dialWAMP(t, n.Addr()) // anonymous now allowed

	// alice's session, established before, still works.
	alice.subscribe(1, dict{}, "com.example.reload")
}
