package auth

// Test keys and tokens: every key type the JWT verifier takes, generated
// per test run, and tokens signed with them.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signer is a generated key pair of one algorithm: the verifier's key
// and what signs tokens.
type signer struct {
	alg    jwt.SigningMethod
	verify *JWTKey
	sign   any    // the private key (HS256: the secret)
	pem    []byte // the public key as PEM (nil for HS256)
}

var (
	signersOnce sync.Once
	signers     map[string]*signer
)

// testSigners returns a signer per algorithm: HS256, RS256, ES256, EdDSA.
func testSigners(t testing.TB) map[string]*signer {
	t.Helper()
	signersOnce.Do(func() {
		signers = map[string]*signer{}
		secret := []byte("0123456789abcdef0123456789abcdef-test-secret")
		hk, err := NewHMACKey(secret)
		if err != nil {
			panic(err)
		}
		signers["HS256"] = &signer{alg: jwt.SigningMethodHS256, verify: hk, sign: secret}
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		for alg, pair := range map[string]struct {
			m    jwt.SigningMethod
			priv crypto.Signer
		}{"RS256": {jwt.SigningMethodRS256, rsaKey}, "ES256": {jwt.SigningMethodES256, ecKey}, "EdDSA": {jwt.SigningMethodEdDSA, edKey}} {
			p := PublicPEM(pair.priv.Public())
			k, err := ParsePublicKey(p)
			if err != nil {
				panic(err)
			}
			signers[alg] = &signer{alg: pair.m, verify: k, sign: pair.priv, pem: p}
		}
	})
	return signers
}

// PublicPEM is pub as a PKIX PEM block.
func PublicPEM(pub any) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// token signs claims with s.
func (s *signer) token(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(s.alg, claims).SignedString(s.sign)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// validClaims are good claims for alice, role admin, valid for an hour.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "alice", "role": "admin", "exp": time.Now().Add(time.Hour).Unix()}
}
