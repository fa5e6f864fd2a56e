package gateway

// Authentication at the handshake, over real sockets: tokens in the
// query, the Authorization header and a cookie; every JWT algorithm and
// every way a token is refused (401 before the 101, or ABORT at a v2
// HELLO); anonymous sessions on and off; nothing logged holds a token.

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/internal/wstest"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// startAuthNode starts a node on epoll with authentication a, logging
// (debug included) to log.
func startAuthNode(t testing.TB, a *auth.Authenticator, edit func(*Config)) (*Node, *logCapture) {
	t.Helper()
	cfg := testConfig("epoll")
	logger, logs := capturedLogger()
	cfg.Logger = logger
	cfg.Auth = a
	if edit != nil {
		edit(&cfg)
	}
	return startNode(t, cfg), logs
}

// v1Request is a v1 upgrade request for target.
func v1Request(addr, target string) *wstest.Request {
	r := wstest.UpgradeRequest(addr, "wamp")
	r.Target = target
	return r
}

// dialV1As connects with req and requires the WELCOME of a v1 session
// whose identity is authid, role, method "jwt".
func dialV1As(t testing.TB, n *Node, req *wstest.Request, authid, role string) {
	t.Helper()
	c, err := wstest.Connect(n.Addr(), req)
	if c != nil {
		defer c.Close()
	}
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	msg, err := c.ReadText(waitLong)
	m := welcomeRE.FindStringSubmatch(msg)
	if err != nil || m == nil {
		t.Fatalf("no WELCOME: %q %v", msg, err)
	}
	id, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	s := n.Router().V1Realm().Session(wamp.ID(id))
	if s == nil {
		t.Fatalf("session %d not in the v1 realm", id)
	}
	if s.AuthID() != authid || s.AuthRole() != role || s.AuthMethod() != "jwt" || s.AuthProvider() != "jwt" {
		t.Fatalf("session %s/%s/%s/%s, want %s/%s/jwt/jwt", s.AuthID(), s.AuthRole(), s.AuthMethod(), s.AuthProvider(), authid, role)
	}
}

// want401 sends req and requires exactly the node's 401: for a refused
// token (description says why) or, description "", for a v1 client that
// brought none (body is then the whole body); then the node closes TCP.
func want401(t testing.TB, addr string, req *wstest.Request, description, body string) {
	t.Helper()
	c, err := wstest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Handshake(req.Bytes(), waitLong)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	got, err := c.ReadBody(resp, waitLong)
	if err != nil {
		t.Fatalf("401 body: %v", err)
	}
	www := `WWW-Authenticate: Bearer realm="wampgate"`
	if description != "" {
		www += `, error="invalid_token", error_description="` + description + `"`
		body = "wampgate: authentication failed: " + description + "\n"
	}
	want := "HTTP/1.1 401 Unauthorized\r\nServer: wampgate/" + Version + "\r\nConnection: close\r\n" + www +
		"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if string(resp.Raw)+string(got) != want {
		t.Fatalf("response\n%q\nwant\n%q", string(resp.Raw)+string(got), want)
	}
	if _, err := c.ReadAll(waitLong); err != nil {
		t.Fatalf("the node did not close after its 401: %v", err)
	}
}

// bearer is an upgrade request with subprotocol proto and the token in
// an Authorization header.
func bearer(addr, proto, token string) *wstest.Request {
	return wstest.UpgradeRequest(addr, proto).Set("Authorization", "Bearer "+token)
}

// otherKeySigner signs with a fresh key of alg's type, unknown to nodes.
func otherKeySigner(t testing.TB, alg string) (jwt.SigningMethod, any) {
	t.Helper()
	switch alg {
	case "HS256":
		return jwt.SigningMethodHS256, []byte("another secret, thirty-two bytes or more")
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return jwt.SigningMethodRS256, k
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return jwt.SigningMethodES256, k
	}
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jwt.SigningMethodEdDSA, k
}

// TestTokensEveryAlgorithm: for a node with a key of each algorithm, a
// good token lets a v1 client in (identity from sub and role) and a v2
// client in at the handshake (authmethod jwt) and as a ticket; a bad one
// is refused with the same description everywhere: 401 for v1 and at a
// v2 handshake (or, for a token of another realm, ABORT at HELLO), ABORT
// wamp.error.authentication_failed as a ticket. No log line holds a
// token.
func TestTokensEveryAlgorithm(t *testing.T) {
	signers := testSigners(t)
	for _, s := range signers {
		t.Run(s.alg, func(t *testing.T) {
			t.Parallel()
			n, logs := startAuthNode(t, newAuthenticator(t, auth.Config{JWT: s.key}), nil)
			addr := n.Addr()
			good := s.token(t, claimsFor("alice", "admin", func(c jwt.MapClaims) { c["realm"] = "realm1" }))
			dialV1As(t, n, v1Request(addr, "/?token="+good), "alice", "admin")
			c := dialV2Req(t, addr, value.JSON, bearer(addr, "wamp.2.json", good))
			c.send(1, "realm1", clientRoles)
			c.expectWelcome("alice", "admin", "jwt", "jwt")
			c = dialV2(t, addr, value.JSON)
			c.send(1, "realm1", dict{"roles": clientRoles["roles"], "authmethods": list{"ticket"}})
			c.expect(4, "ticket", dict{})
			c.send(5, good, dict{})
			c.expectWelcome("alice", "admin", "ticket", "jwt")

			otherMethod, otherKey := otherKeySigner(t, s.alg)
			noneToken := signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsFor("alice", "admin"))
			confusion := signWith(t, jwt.SigningMethodHS256, s.pub, claimsFor("alice", "admin"))
			if s.pub == nil { // HS256 node: HS256 with a public key's PEM is just a wrong secret
				confusion = signWith(t, jwt.SigningMethodHS256, signers[1].pub, claimsFor("alice", "admin"))
			}
			foreign := signers[(indexOf(signers, s)+1)%len(signers)]
			tokens := []string{good}
			for _, tc := range []struct {
				name, token, description string
				atHello                  bool // a v2 handshake passes; the HELLO is refused
			}{
				{"expired", s.token(t, claimsFor("alice", "admin", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })), "token expired", false},
				{"not yet valid", s.token(t, claimsFor("alice", "admin", func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })), "token not valid yet", false},
				{"other realm", s.token(t, claimsFor("alice", "admin", func(c jwt.MapClaims) { c["realm"] = "realm2" })), "token for another realm", true},
				{"other key", signWith(t, otherMethod, otherKey, claimsFor("alice", "admin")), "invalid token signature", false},
				{"other algorithm", foreign.token(t, claimsFor("alice", "admin")), "invalid token signature", false},
				{"alg none", noneToken, "invalid token signature", false},
				{"HS256 with the public key as secret", confusion, "invalid token signature", false},
				{"no subject", s.token(t, jwt.MapClaims{"role": "admin"}), "token without subject", false},
				{"garbage", "garbage", "malformed token", false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					tokens = append(tokens, tc.token)
					want401(t, addr, v1Request(addr, "/?token="+url.QueryEscape(tc.token)), tc.description, "")
					if tc.atHello {
						c := dialV2Req(t, addr, value.JSON, bearer(addr, "wamp.2.json", tc.token))
						c.send(1, "realm1", clientRoles)
						c.expectAbort("wamp.error.authentication_failed", tc.description, 1000)
					} else {
						want401(t, addr, bearer(addr, "wamp.2.json", tc.token), tc.description, "")
					}
					c := dialV2(t, addr, value.JSON)
					c.send(1, "realm1", dict{"roles": clientRoles["roles"], "authmethods": list{"ticket"}})
					c.expect(4, "ticket", dict{})
					c.send(5, tc.token, dict{})
					c.expectAbort("wamp.error.authentication_failed", tc.description, 1000)
				})
			}
			if st := n.Stats(); st.AuthRefused != 9*3 {
				t.Errorf("auth_refused %d, want %d", st.AuthRefused, 9*3)
			}
			for _, want := range []string{"handshake refused: token", "wamp v2: authentication refused"} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("no %q in the logs: the capture saw nothing to check", want)
				}
			}
			requireNotLogged(t, logs, tokens...)
		})
	}
}

func indexOf(ss []*jwtSigner, s *jwtSigner) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// TestTokenSources: a v1 client's token in the query (percent-encoded or
// not), an Authorization: Bearer header (any case of the scheme) or the
// cookie --jwt-cookie names (quoted or not); Authorization wins over the
// query, which wins over the cookie; without one, a 401 that says how to
// send one.
func TestTokenSources(t *testing.T) {
	s := hs256(t)
	n, _ := startAuthNode(t, newAuthenticator(t, auth.Config{JWT: s.key, Cookie: "jwt"}), nil)
	addr := n.Addr()
	alice := s.token(t, claimsFor("alice", "admin"))
	bob := s.token(t, claimsFor("bob", "user"))
	expired := s.token(t, claimsFor("carol", "user", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }))
	for _, tc := range []struct {
		name string
		req  *wstest.Request
		who  string // authid, or the 401's description ("" for the missing-token 401)
		ok   bool
	}{
		{"query", v1Request(addr, "/?token="+alice), "alice", true},
		{"query among others", v1Request(addr, "/ws?x=1&token="+url.QueryEscape(bob)+"&token="+alice), "bob", true},
		{"bearer", v1Request(addr, "/").Set("Authorization", "Bearer "+alice), "alice", true},
		{"bearer lower case", v1Request(addr, "/").Set("authorization", "bearer  "+bob), "bob", true},
		{"cookie", v1Request(addr, "/").Set("Cookie", "session=x; jwt="+alice+"; other=y"), "alice", true},
		{"quoted cookie", v1Request(addr, "/").Set("Cookie", `jwt="`+bob+`"`), "bob", true},
		{"second Cookie header", v1Request(addr, "/").Set("Cookie", "a=b").Add("Cookie", "jwt="+alice), "alice", true},
		{"bearer before query", v1Request(addr, "/?token="+expired).Set("Authorization", "Bearer "+alice), "alice", true},
		{"query before cookie", v1Request(addr, "/?token="+expired).Set("Cookie", "jwt="+alice), "token expired", false},
		{"bearer before cookie", v1Request(addr, "/").Set("Authorization", "Bearer "+expired).Set("Cookie", "jwt="+alice), "token expired", false},
		{"basic is not a token", v1Request(addr, "/").Set("Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"), "", false},
		{"other cookie", v1Request(addr, "/").Set("Cookie", "jwtx="+alice), "", false},
		{"empty query token", v1Request(addr, "/?token="), "malformed token", false},
		{"bad percent-encoding", v1Request(addr, "/?token=%zz"), "malformed token", false},
		{"none", v1Request(addr, "/"), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.ok:
				dialV1As(t, n, tc.req, tc.who, map[string]string{"alice": "admin", "bob": "user"}[tc.who])
			case tc.who == "":
				want401(t, addr, tc.req, "", "wampgate: authentication required: send a token (?token=JWT in the URL, an Authorization: Bearer JWT header or the cookie jwt)\n")
			default:
				want401(t, addr, tc.req, tc.who, "")
			}
		})
	}
}

// TestAnonymous: without authentication every session is anonymous as
// before (a token is not even looked at); with it, anonymous sessions
// only with AllowAnonymous (v1 without a token: 401; v2 without
// credentials: ABORT wamp.error.no_auth_method); a bad token is refused
// even when anonymous sessions are allowed.
func TestAnonymous(t *testing.T) {
	s := hs256(t)
	t.Run("no authentication", func(t *testing.T) {
		n := startNode(t, testConfig("epoll"))
		c, err := wstest.Connect(n.Addr(), v1Request(n.Addr(), "/?token=garbage").Set("Authorization", "Bearer garbage"))
		if c != nil {
			defer c.Close()
		}
		if err != nil {
			t.Fatalf("a token without authentication configured: %v", err)
		}
		joinV2(t, n.Addr(), value.JSON, "realm1")
		v := dialV2(t, n.Addr(), value.JSON)
		v.send(1, "realm1", dict{"roles": clientRoles["roles"], "authmethods": list{"ticket"}, "authid": "x"})
		v.expectAnonymousWelcome()
	})
	t.Run("allowed", func(t *testing.T) {
		n, _ := startAuthNode(t, newAuthenticator(t, auth.Config{JWT: s.key, AllowAnonymous: true}), nil)
		dialWAMP(t, n.Addr())
		joinV2(t, n.Addr(), value.MsgPack, "realm1")
		want401(t, n.Addr(), v1Request(n.Addr(), "/?token=garbage"), "malformed token", "")
		want401(t, n.Addr(), bearer(n.Addr(), "wamp.2.cbor", "garbage"), "malformed token", "")
		v := dialV2(t, n.Addr(), value.CBOR)
		v.send(1, "realm1", dict{"roles": clientRoles["roles"], "authmethods": list{"anonymous"}})
		v.expectAnonymousWelcome()
	})
	t.Run("refused", func(t *testing.T) {
		n, _ := startAuthNode(t, newAuthenticator(t, auth.Config{JWT: s.key}), nil)
		want401(t, n.Addr(), v1Request(n.Addr(), "/"), "", "wampgate: authentication required: send a token (?token=JWT in the URL or an Authorization: Bearer JWT header)\n")
		forEachFormat(t, func(t *testing.T, f value.Format) {
			for _, details := range []dict{clientRoles, {"roles": clientRoles["roles"], "authmethods": list{"anonymous", "wampcra"}}} {
				v := dialV2(t, n.Addr(), f)
				v.send(1, "realm1", details)
				v.expectAbort("wamp.error.no_auth_method", "no acceptable authentication method: this node accepts ticket", 1000)
			}
		})
	})
	t.Run("users only", func(t *testing.T) {
		n, _ := startAuthNode(t, newAuthenticator(t, auth.Config{Users: newTestUsers(t).users}), nil)
		want401(t, n.Addr(), v1Request(n.Addr(), "/?token=x"), "", "wampgate: authentication required: WAMP v1 clients authenticate with a token, and this node verifies none\n")
	})
}

// FuzzHandshakeToken: any request head yields no panic, and a token
// found is never longer than the head (nothing is made up).
func FuzzHandshakeToken(f *testing.F) {
	for _, seed := range []string{
		"GET /?token=a.b.c HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /?a=1&token=%41%zz HTTP/1.1\r\nAuthorization: Bearer  t.o.k \r\n\r\n",
		"GET / HTTP/1.1\r\nCookie: a=b; jwt=\"x.y.z\"; jwt=2\r\nCookie: jwt=3\r\n\r\n",
		"GET /?token HTTP/1.1\r\nauthorization:bearer\r\n\r\n",
		"\r\n:\r\n",
	} {
		f.Add([]byte(seed), "jwt")
	}
	f.Fuzz(func(t *testing.T, head []byte, cookie string) {
		token, found := handshakeToken(head, cookie)
		if len(token) > len(head) || (!found && token != "") {
			t.Fatalf("token %q (found %v) from %q", token, found, head)
		}
	})
}
