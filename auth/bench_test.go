package auth

import (
	"testing"
	"time"
)

// BenchmarkVerify: one token verified, per algorithm (what a handshake
// with a token, or a ticket, costs the node).
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		s := testSigners(b)[alg]
		tok := s.token(b, validClaims())
		b.Run(alg, func(b *testing.B) {
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.verify.Verify(tok, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
