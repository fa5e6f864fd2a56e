package broadcast

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
)

// Roles bound into a proof, so the dialer's proof can never be replayed
// as the acceptor's (nor a proof of one protocol version in another).
const (
	roleDialer   = Protocol + " dialer"
	roleAcceptor = Protocol + " acceptor"
)

// newNonce returns a fresh random challenge.
func newNonce() []byte {
	n := make([]byte, nonceSize)
	if _, err := rand.Read(n); err != nil {
		panic("broadcast: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return n
}

// proof is HMAC-SHA256 under the cluster secret over the role, both
// nonces and both node addresses: it shows knowledge of the secret for
// this very handshake without revealing the secret.
func proof(secret, role string, acceptorNonce, dialerNonce []byte, dialer, acceptor string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	var b []byte
	b = appendString(b, role)
	b = appendBytes(b, acceptorNonce)
	b = appendBytes(b, dialerNonce)
	b = appendString(b, dialer)
	b = appendString(b, acceptor)
	m.Write(b)
	return m.Sum(nil)
}

// validProof compares a received proof in constant time.
func validProof(got, want []byte) bool { return hmac.Equal(got, want) }
