package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWTEveryAlgorithm(t *testing.T) {
	for alg, s := range testSigners(t) {
		t.Run(alg, func(t *testing.T) {
			if s.verify.Algorithm() != alg {
				t.Fatalf("Algorithm() = %q", s.verify.Algorithm())
			}
			claims := validClaims()
			claims["realm"] = "realm1"
			tok, err := s.verify.Verify(s.token(t, claims), time.Now())
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			exp := time.Unix(claims["exp"].(int64), 0)
			if tok.AuthID != "alice" || tok.Role != "admin" || tok.Realm != "realm1" || !tok.Expires.Equal(exp) {
				t.Fatalf("token %+v", tok)
			}
			if a := tok.Auth(MethodTicket); a.ID != "alice" || a.Role != "admin" || a.Method != "ticket" || a.Provider != "jwt" {
				t.Fatalf("Auth %+v", a)
			}
		})
	}
}

func TestJWTRefused(t *testing.T) {
	ss := testSigners(t)
	now := time.Now()
	hs, rs := ss["HS256"], ss["RS256"]
	noneToken, err := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// HS/RS confusion: HS256 with the RSA public key's PEM as the secret.
	confused, err := jwt.NewWithClaims(jwt.SigningMethodHS256, validClaims()).SignedString(rs.pem)
	if err != nil {
		t.Fatal(err)
	}
	otherSecret := &signer{alg: jwt.SigningMethodHS256, sign: []byte("another secret, also 32 bytes long at least")}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims()
		edit(c)
		return c
	}
	for _, tc := range []struct {
		name  string
		key   *JWTKey
		token string
		want  string
	}{
		{"expired", hs.verify, hs.token(t, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), "token expired"},
		{"not yet valid", hs.verify, hs.token(t, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), "token not valid yet"},
		{"wrong secret", hs.verify, otherSecret.token(t, validClaims()), "invalid token signature"},
		{"wrong key type", rs.verify, ss["ES256"].token(t, validClaims()), "invalid token signature"},
		{"other RSA key", rs.verify, otherRSA(t).token(t, validClaims()), "invalid token signature"},
		{"alg none", hs.verify, noneToken, "invalid token signature"},
		{"alg none, public key", rs.verify, noneToken, "invalid token signature"},
		{"HS256 with the RSA public key as secret", rs.verify, confused, "invalid token signature"},
		{"no sub", hs.verify, hs.token(t, claims(func(c jwt.MapClaims) { delete(c, "sub") })), "token without subject"},
		{"role not a string", hs.verify, hs.token(t, claims(func(c jwt.MapClaims) { c["role"] = 7 })), "malformed token"},
		{"exp not a number", hs.verify, hs.token(t, claims(func(c jwt.MapClaims) { c["exp"] = "soon" })), "malformed token"},
		{"garbage", hs.verify, "garbage", "malformed token"},
		{"empty", hs.verify, "", "malformed token"},
		{"three garbage parts", hs.verify, "a.b.c", "malformed token"},
		{"too long", hs.verify, strings.Repeat("a", MaxTokenSize+1), "malformed token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tc.key.Verify(tc.token, now)
			if err == nil {
				t.Fatalf("accepted: %+v", tok)
			}
			e, ok := err.(*Error)
			if !ok || e.URI != ErrAuthenticationFailed || e.Message != tc.want {
				t.Fatalf("error %#v, want authentication_failed %q", err, tc.want)
			}
			if tc.token != "" && strings.Contains(e.Error(), tc.token) {
				t.Fatalf("the error quotes the token: %v", e)
			}
		})
	}
}

func TestJWTLeeway(t *testing.T) {
	hs := testSigners(t)["HS256"]
	now := time.Now()
	c := validClaims()
	c["exp"] = now.Add(-Leeway / 2).Unix()
	c["nbf"] = now.Add(Leeway / 2).Unix()
	tok, err := hs.verify.Verify(hs.token(t, c), now)
	if err != nil {
		t.Fatalf("within the leeway: %v", err)
	}
	if tok.Role != "admin" {
		t.Fatalf("%+v", tok)
	}
	c = validClaims()
	delete(c, "role")
	delete(c, "exp")
	if tok, err = hs.verify.Verify(hs.token(t, c), now); err != nil || tok.Role != DefaultRole || !tok.Expires.IsZero() {
		t.Fatalf("no role, no exp: %+v %v", tok, err)
	}
}

func TestTokenCheck(t *testing.T) {
	now := time.Now()
	tok := &Token{AuthID: "a", Role: "r", Realm: "realm1", Expires: now}
	if err := tok.Check("realm1", now.Add(Leeway)); err != nil {
		t.Fatalf("within the leeway: %v", err)
	}
	if err := tok.Check("realm2", now); err == nil || err.(*Error).Message != "token for another realm" {
		t.Fatalf("other realm: %v", err)
	}
	if err := tok.Check("realm1", now.Add(Leeway+time.Second)); err == nil || err.(*Error).Message != "token expired" {
		t.Fatalf("expired: %v", err)
	}
	if err := (&Token{AuthID: "a"}).Check("any", now.Add(1000*time.Hour)); err != nil {
		t.Fatalf("no realm, no exp: %v", err)
	}
}

// otherRSA is an RSA signer whose key the verifiers do not know.
func otherRSA(t testing.TB) *signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{alg: jwt.SigningMethodRS256, sign: k}
}

func TestParsePublicKey(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rs := testSigners(t)["RS256"]
	privDER, err := x509.MarshalPKCS8PrivateKey(rs.sign)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rs.sign.(*rsa.PrivateKey).Public().(*rsa.PublicKey))})
	if k, err := ParsePublicKey(pkcs1); err != nil || k.Algorithm() != "RS256" {
		t.Fatalf("PKCS #1: %v %v", k, err)
	}
	for _, tc := range []struct {
		name string
		pem  []byte
		want string
	}{
		{"empty", nil, "no PEM block"},
		{"private key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), "give the public key"},
		{"two keys", append(append([]byte{}, rs.pem...), rs.pem...), "more than one PEM block"},
		{"small RSA", PublicPEM(small.Public()), "at least 2048"},
		{"P-384", PublicPEM(p384.Public()), "ES256 needs P-256"},
		{"junk", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("junk")}), "PEM PUBLIC KEY"},
	} {
		if _, err := ParsePublicKey(tc.pem); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := NewHMACKey([]byte("short")); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("short secret: %v", err)
	}
}
