package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wampgate/wampgate/wamp"
)

// Leeway is the clock skew allowed when checking a token's exp and nbf
// claims: a token is accepted up to 30 s after it expired and 30 s
// before it becomes valid.
const Leeway = 30 * time.Second

// MaxTokenSize bounds a token in bytes; a longer one is refused unparsed.
const MaxTokenSize = 16 << 10

// MinHMACSecret is the shortest HS256 secret accepted, in bytes (256
// bits, the size of the hash).
const MinHMACSecret = 32

// DefaultRole is the authrole of a token without a role claim.
const DefaultRole = "user"

// JWTKey verifies JSON Web Tokens with one key and the one algorithm that
// key type takes: HS256 for a secret, RS256 for an RSA public key, ES256
// for an ECDSA P-256 public key, EdDSA for an Ed25519 public key. A
// token signed with any other algorithm ("none", HS256 with a public key
// as its secret, …) is refused. A JWTKey is immutable and safe for
// concurrent use.
type JWTKey struct {
	alg string
	key any
}

// NewHMACKey returns the HS256 key of secret (at least MinHMACSecret
// bytes).
func NewHMACKey(secret []byte) (*JWTKey, error) {
	if len(secret) < MinHMACSecret {
		return nil, fmt.Errorf("HS256 secret of %d bytes: at least %d are needed (e.g. openssl rand -hex 32)", len(secret), MinHMACSecret)
	}
	return &JWTKey{alg: jwt.SigningMethodHS256.Alg(), key: bytes.Clone(secret)}, nil
}

// ParsePublicKey returns the key of a PEM file holding one public key
// ("PUBLIC KEY", PKIX; "RSA PUBLIC KEY", PKCS #1) or a certificate: RSA
// (at least 2048 bits) → RS256, ECDSA P-256 → ES256, Ed25519 → EdDSA.
func ParsePublicKey(pemData []byte) (*JWTKey, error) {
	block, rest := pem.Decode(pemData)
	if block == nil {
		return nil, errors.New("no PEM block found (want -----BEGIN PUBLIC KEY-----)")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("more than one PEM block: give exactly one public key")
	}
	var (
		pub any
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = cert.PublicKey
		}
	default:
		if strings.Contains(block.Type, "PRIVATE KEY") {
			return nil, fmt.Errorf("the PEM block is a %s: give the public key (openssl pkey -pubout)", block.Type)
		}
		return nil, fmt.Errorf("PEM block %q: want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("PEM %s: %w", block.Type, err)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits: at least 2048 are needed", k.N.BitLen())
		}
		return &JWTKey{alg: jwt.SigningMethodRS256.Alg(), key: k}, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ECDSA key on %s: ES256 needs P-256", k.Curve.Params().Name)
		}
		return &JWTKey{alg: jwt.SigningMethodES256.Alg(), key: k}, nil
	case ed25519.PublicKey:
		return &JWTKey{alg: jwt.SigningMethodEdDSA.Alg(), key: k}, nil
	}
	return nil, fmt.Errorf("public key of type %T: want RSA, ECDSA P-256 or Ed25519", pub)
}

// Algorithm is the one JWT algorithm the key verifies: "HS256", "RS256",
// "ES256" or "EdDSA".
func (k *JWTKey) Algorithm() string { return k.alg }

// Token is a verified JSON Web Token.
type Token struct {
	AuthID  string    // the sub claim
	Role    string    // the role claim, DefaultRole when absent
	Realm   string    // the realm claim: the only realm it is good for; "" any
	Expires time.Time // the exp claim; zero when absent
}

// claims are the claims a token may carry; exp and nbf are checked by the
// parser.
type claims struct {
	jwt.RegisteredClaims
	Role  string `json:"role"`
	Realm string `json:"realm"`
}

// Verify checks token's signature and its exp and nbf claims at now
// (with Leeway) and returns what it says. Errors are *Error
// (authentication_failed) saying what is wrong without quoting the
// token.
func (k *JWTKey) Verify(token string, now time.Time) (*Token, error) {
	t, err := k.verify(token, now)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (k *JWTKey) verify(token string, now time.Time) (*Token, *Error) {
	if len(token) > MaxTokenSize {
		return nil, failed("malformed token", fmt.Sprintf("token of %d bytes, at most %d", len(token), MaxTokenSize))
	}
	var c claims
	p := jwt.NewParser(jwt.WithValidMethods([]string{k.alg}), jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }))
	parsed, err := p.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() != k.alg { // WithValidMethods said so already
			return nil, errors.New("unexpected algorithm")
		}
		return k.key, nil
	})
	if err != nil {
		return nil, k.tokenError(parsed, err)
	}
	if c.Subject == "" {
		return nil, failed("token without subject", "the token has no sub claim: it names no authid")
	}
	t := &Token{AuthID: c.Subject, Role: c.Role, Realm: c.Realm}
	if t.Role == "" {
		t.Role = DefaultRole
	}
	if c.ExpiresAt != nil {
		t.Expires = c.ExpiresAt.Time
	}
	return t, nil
}

// tokenError turns a parser error into an *Error. The parser's own text
// is not used: it may quote claim values.
func (k *JWTKey) tokenError(parsed *jwt.Token, err error) *Error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return failed("malformed token", "not a JWS compact token with a JSON header and the claims sub, role, realm, exp, nbf of the right types")
	case errors.Is(err, jwt.ErrTokenExpired):
		return failed("token expired", "")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return failed("token not valid yet", "")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		if parsed != nil && parsed.Method != nil && parsed.Method.Alg() != k.alg {
			return failed("invalid token signature", fmt.Sprintf("token signed with %.16q, the key takes %s", parsed.Method.Alg(), k.alg))
		}
		return failed("invalid token signature", "")
	}
	return failed("invalid token", "")
}

// Check refuses the token for a session of realm, or once it has expired
// (beyond Leeway) by now: a WAMP v2 connection may start a new session
// long after its handshake.
func (t *Token) Check(realm string, now time.Time) error {
	if err := t.check(realm, now); err != nil {
		return err
	}
	return nil
}

func (t *Token) check(realm string, now time.Time) *Error {
	if t.Realm != "" && t.Realm != realm {
		return failed("token for another realm", fmt.Sprintf("the token is for realm %.64q, the session joins %.64q", t.Realm, realm))
	}
	if !t.Expires.IsZero() && now.After(t.Expires.Add(Leeway)) {
		return failed("token expired", "")
	}
	return nil
}

// Auth is the identity the token gives a session authenticated with
// method (MethodTicket, MethodJWT), provider ProviderJWT.
func (t *Token) Auth(method string) *wamp.Auth {
	return &wamp.Auth{ID: t.AuthID, Role: t.Role, Method: method, Provider: ProviderJWT}
}
