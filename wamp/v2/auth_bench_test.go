package v2

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// BenchmarkHello: a v2 session from HELLO to WELCOME and its end, without
// authentication (NewSession), with a Gate that has none configured (the
// path every HELLO of a node without authentication takes), and with a
// ticket (HS256) or WAMP-CRA round.
func BenchmarkHello(b *testing.B) {
	r := newRouter(b, wamp.RouterConfig{})
	p := NewProtocol(value.JSON, quiet)
	hello := func(d map[string]any) []byte {
		d["roles"] = roles["roles"]
		return raw(b, value.JSON, []any{1, "realm1", d})
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "joe", "role": "r"}).SignedString(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	open, closed := auth.NewGate(nil), authGate(b)
	for _, bc := range []struct {
		name   string
		gate   *auth.Gate
		hello  []byte
		answer func(challenge []any) []byte
	}{
		{"anonymous", nil, hello(map[string]any{}), nil},
		{"open_gate", open, hello(map[string]any{}), nil},
		{"ticket", closed, hello(map[string]any{"authmethods": []any{"ticket"}}), func([]any) []byte {
			return raw(b, value.JSON, []any{5, tok, map[string]any{}})
		}},
		{"wampcra", closed, hello(map[string]any{"authmethods": []any{"wampcra"}, "authid": "alice"}), func(ch []any) []byte {
			mac := hmac.New(sha256.New, []byte("s"))
			mac.Write([]byte(ch[2].(map[string]any)["challenge"].(string)))
			return raw(b, value.JSON, []any{5, base64.StdEncoding.EncodeToString(mac.Sum(nil)), map[string]any{}})
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var pe *peer
				if bc.gate == nil {
					pe = newPeer(b, r, p)
				} else {
					pe = newAuthPeer(b, r, p, bc.gate)
				}
				if err := pe.s.HandleMessage(bc.hello, false); err != nil {
					b.Fatal(err)
				}
				if bc.answer != nil {
					if err := pe.s.HandleMessage(bc.answer(pe.take()[0]), false); err != nil {
						b.Fatal(err)
					}
				}
				if pe.s.Core() == nil {
					b.Fatalf("no session: %v", pe.take())
				}
				pe.s.Closed()
			}
		})
	}
}
