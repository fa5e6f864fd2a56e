package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"

	"github.com/wampgate/wampgate/wamp"
)

// challengeSize is the size of a WAMP-cryptosign challenge in bytes.
const challengeSize = 32

// cryptosign is the CHALLENGE of WAMP-cryptosign for the Ed25519 public
// key in HELLO.Details.authextra.pubkey (64 hex digits), of the user
// HELLO's authid names or, without one, of the user holding that key:
// [4, "cryptosign", {"challenge": 64 hex digits}]. The client answers
// with hex(signature || challenge), or hex(signature) alone. A key or
// authid no user holds, or a user not allowed in realm, gets a challenge
// no answer satisfies. TLS channel binding is not offered (the node
// does not terminate TLS). note says why the method cannot serve this
// HELLO.
func (a *Authenticator) cryptosign(realm string, h *hello) (ch *Challenge, note string) {
	raw, ok := h.extra["pubkey"]
	if !ok {
		return nil, "cryptosign needs HELLO.Details.authextra.pubkey"
	}
	s, ok := raw.(string)
	if !ok {
		return nil, "HELLO.Details.authextra.pubkey must be a string"
	}
	pub, err := parsePubKey(s)
	if err != nil {
		return nil, "HELLO.Details.authextra.pubkey: " + err.Error()
	}
	if cb, ok := h.extra["channel_binding"]; ok && cb != nil {
		return nil, "cryptosign channel binding is not supported"
	}
	users := a.cfg.Users
	var (
		u   *user
		why string
	)
	if h.authid != "" {
		if u, why = users.lookup(h.authid, realm); u != nil && !u.hasKey(pub) {
			u, why = nil, "the key is not one of user "+u.authid+"'s"
		}
	} else if u = users.byKey[string(pub)]; u == nil {
		why = "no user holds this key"
	} else if u.realm != "" && u.realm != realm {
		u, why = nil, "user "+u.authid+" may join realm "+u.realm+" only"
	}
	challenge := make([]byte, challengeSize)
	rand.Read(challenge)
	extra := map[string]any{"challenge": hex.EncodeToString(challenge)}
	return &Challenge{Method: MethodCryptosign, Extra: extra, check: func(signature string) (*wamp.Auth, *Error) {
		sig, err := hex.DecodeString(signature)
		switch {
		case err != nil || (len(sig) != ed25519.SignatureSize && len(sig) != ed25519.SignatureSize+challengeSize):
			return nil, failed("wrong authid, key or signature", "the signature is not hex(signature || challenge)")
		case len(sig) > ed25519.SignatureSize && !bytes.Equal(sig[ed25519.SignatureSize:], challenge):
			return nil, failed("wrong authid, key or signature", "the signature carries another challenge")
		case u == nil:
			return nil, failed("wrong authid, key or signature", why)
		case !ed25519.Verify(pub, challenge, sig[:ed25519.SignatureSize]):
			return nil, failed("wrong authid, key or signature", "wrong signature for user "+u.authid)
		}
		return &wamp.Auth{ID: u.authid, Role: u.role, Method: MethodCryptosign, Provider: ProviderStatic}, nil
	}}, ""
}
