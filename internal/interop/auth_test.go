package interop

// Authentication with real clients: Autobahn|Python and Autobahn|JS
// authenticate with their own ticket, WAMP-CRA (plain and salted) and
// WAMP-cryptosign code and with a token in the URL, see their authid and
// authrole in WELCOME, and are refused with the router's ABORT for a
// wrong secret, an expired ticket or no credentials.

import (
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/gateway"
)

func TestAuthentication(t *testing.T) {
	secret := []byte("a test secret of at least thirty-two bytes")
	key, err := auth.NewHMACKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	derived, err := pbkdf2.Key(sha256.New, "bob's password", []byte("pepper"), 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	users, err := auth.NewUsers([]auth.User{
		{AuthID: "alice", Role: "admin", Secret: "alice-secret"},
		{AuthID: "bob", Role: "user", Secret: base64.StdEncoding.EncodeToString(derived), Salt: "pepper", Iterations: 1000, KeyLen: 32},
		{AuthID: "dev", Role: "device", PubKeys: []string{hex.EncodeToString(pub)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{JWT: key, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	n := startNodeWith(t, func(cfg *gateway.Config) { cfg.Auth = a })
	token := func(exp time.Duration) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "carol", "role": "editor", "exp": time.Now().Add(exp).Unix()}).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ticket := token(time.Hour)
	attempts := []obj{
		{"name": "ticket", "method": "ticket", "ticket": ticket},
		{"name": "wampcra", "method": "wampcra", "authid": "alice", "secret": "alice-secret"},
		{"name": "wampcra_salted", "method": "wampcra", "authid": "bob", "secret": "bob's password"},
		{"name": "cryptosign", "method": "cryptosign", "privkey": hex.EncodeToString(priv.Seed()), "pubkey": hex.EncodeToString(pub)},
		{"name": "url_token", "url": wsURL(n) + "?token=" + ticket},
		{"name": "wrong_secret", "method": "wampcra", "authid": "alice", "secret": "wrong"},
		{"name": "expired_ticket", "method": "ticket", "ticket": token(-time.Hour)},
		{"name": "anonymous"},
	}
	welcome := func(authid, role, method, provider string) obj {
		return obj{"welcome": obj{"authid": authid, "authrole": role, "authmethod": method, "authprovider": provider}}
	}
	aborted := func(reason, message string) obj { return obj{"aborted": obj{"reason": reason, "message": message}} }
	want := obj{
		"ticket":         welcome("carol", "editor", "ticket", "jwt"),
		"wampcra":        welcome("alice", "admin", "wampcra", "static"),
		"wampcra_salted": welcome("bob", "user", "wampcra", "static"),
		"cryptosign":     welcome("dev", "device", "cryptosign", "static"),
		"url_token":      welcome("carol", "editor", "jwt", "jwt"),
		"wrong_secret":   aborted("wamp.error.authentication_failed", "wrong authid or secret"),
		"expired_ticket": aborted("wamp.error.authentication_failed", "token expired"),
		"anonymous":      aborted("wamp.error.no_auth_method", "no acceptable authentication method: this node accepts ticket, wampcra, cryptosign"),
	}
	forEach(t, func(t *testing.T, lib *library, ser, _ string) func(*testing.T) {
		c := lib.run(t, wsURL(n), realm, ser, "authenticate", obj{"attempts": attempts})
		return func(t *testing.T) {
			var got obj
			c.in(t).result(&got)
			sameJSON(t, "what "+lib.title+" saw", got, want)
		}
	})
}
