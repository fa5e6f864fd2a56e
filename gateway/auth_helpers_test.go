package gateway

// Test-only helpers for authentication over real sockets: generated keys
// of every JWT algorithm, signed tokens, a users table, a node with
// authentication, and a log capture to prove tokens are never logged.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wampgate/wampgate/auth"
)

// jwtSigner signs tokens for a verifier key of one algorithm.
type jwtSigner struct {
	alg    string
	method jwt.SigningMethod
	key    *auth.JWTKey // the node's
	sign   any          // the private key, or the HS256 secret
	pub    []byte       // the public key as PEM; nil for HS256
}

var (
	signersOnce sync.Once
	signers     []*jwtSigner // HS256, RS256, ES256, EdDSA
)

// testSigners generates (once per test binary) a key of every algorithm.
func testSigners(t testing.TB) []*jwtSigner {
	t.Helper()
	signersOnce.Do(func() {
		secret := []byte("a test secret of at least thirty-two bytes")
		hk, err := auth.NewHMACKey(secret)
		if err != nil {
			panic(err)
		}
		signers = append(signers, &jwtSigner{alg: "HS256", method: jwt.SigningMethodHS256, key: hk, sign: secret})
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		_, dk, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		for _, s := range []struct {
			alg    string
			method jwt.SigningMethod
			priv   crypto.Signer
		}{{"RS256", jwt.SigningMethodRS256, rk}, {"ES256", jwt.SigningMethodES256, ek}, {"EdDSA", jwt.SigningMethodEdDSA, dk}} {
			der, err := x509.MarshalPKIXPublicKey(s.priv.Public())
			if err != nil {
				panic(err)
			}
			p := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			k, err := auth.ParsePublicKey(p)
			if err != nil {
				panic(err)
			}
			signers = append(signers, &jwtSigner{alg: s.alg, method: s.method, key: k, sign: s.priv, pub: p})
		}
	})
	return signers
}

// hs256 is the HS256 signer.
func hs256(t testing.TB) *jwtSigner { return testSigners(t)[0] }

// token signs claims.
func (s *jwtSigner) token(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	return signWith(t, s.method, s.sign, claims)
}

func signWith(t testing.TB, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// claimsFor are good claims for authid with role, valid for an hour;
// edits change them.
func claimsFor(authid, role string, edits ...func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{"sub": authid, "role": role, "exp": time.Now().Add(time.Hour).Unix()}
	for _, e := range edits {
		e(c)
	}
	return c
}

// The users of the test table.
const (
	alicePassword = "alice-secret"
	bobPassword   = "bob's password"
	bobSalt       = "pepper"
)

// testUsers is alice (admin, realm1 only, WAMP-CRA), bob (user, salted
// WAMP-CRA) and dev (device, WAMP-cryptosign with devKey).
type testUsers struct {
	users   *auth.Users
	devPriv ed25519.PrivateKey
	devPub  string // hex
}

func newTestUsers(t testing.TB) *testUsers {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tu := &testUsers{devPriv: priv, devPub: hex.EncodeToString(pub)}
	tu.users, err = auth.NewUsers([]auth.User{
		{AuthID: "alice", Role: "admin", Realm: "realm1", Secret: alicePassword},
		{AuthID: "bob", Role: "user", Secret: deriveKey(t, bobPassword, bobSalt, 1000, 32), Salt: bobSalt, Iterations: 1000, KeyLen: 32},
		{AuthID: "dev", Role: "device", PubKeys: []string{tu.devPub}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tu
}

// deriveKey is Autobahn's derive_key: base64 of PBKDF2-SHA256.
func deriveKey(t testing.TB, secret, salt string, iterations, keylen int) string {
	t.Helper()
	k, err := pbkdf2.Key(sha256.New, secret, []byte(salt), iterations, keylen)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// craSignature is Autobahn's compute_wcs: base64 HMAC-SHA256.
func craSignature(key, challenge string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(challenge))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// newAuthenticator builds an Authenticator or fails the test.
func newAuthenticator(t testing.TB, cfg auth.Config) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// logCapture collects a node's debug logs.
type logCapture struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// capturedLogger logs everything, debug included, to a new logCapture.
func capturedLogger() (*slog.Logger, *logCapture) {
	l := &logCapture{}
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})), l
}

// requireNotLogged fails when a secret (a token, a signature) appears in
// the logs, whole or as its signature part.
func requireNotLogged(t testing.TB, logs *logCapture, secrets ...string) {
	t.Helper()
	text := logs.String()
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		if bytes.Contains([]byte(text), []byte(s)) {
			t.Errorf("the logs hold a secret %.20q…:\n%s", s, text)
		}
		if i := bytes.LastIndexByte([]byte(s), '.'); i >= 0 && len(s)-i > 8 && bytes.Contains([]byte(text), []byte(s[i+1:])) {
			t.Errorf("the logs hold a token's signature %.20q…", s[i+1:])
		}
	}
}
