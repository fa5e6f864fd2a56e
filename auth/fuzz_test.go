package auth

import (
	"testing"

	"github.com/wampgate/wampgate/wamp/value"
)

// FuzzHello decodes HELLO.Details from JSON (as the v2 session hands
// them over: wamp/value's neutral values) and answers every challenge
// with signature: never a panic, and every outcome is one of the three
// (identity, challenge, *Error with a known URI).
func FuzzHello(f *testing.F) {
	ta := newTestAuth(f, true)
	for _, seed := range []struct{ details, signature string }{
		{`{"authmethods":["ticket"]}`, "a.b.c"},
		{`{"authmethods":["wampcra"],"authid":"alice"}`, "c2lnbmF0dXJl"},
		{`{"authmethods":["wampcra"],"authid":"bob"}`, ""},
		{`{"authmethods":["cryptosign"],"authextra":{"pubkey":"` + ta.devKey + `"}}`, "00ff"},
		{`{"authmethods":["cryptosign"],"authid":"dev","authextra":{"pubkey":"` + ta.devKey + `","channel_binding":null}}`, "zz"},
		{`{"authmethods":["scram","anonymous"],"authid":7}`, ""},
		{`{"authmethods":[],"authextra":[]}`, ""},
	} {
		f.Add([]byte(seed.details), seed.signature)
	}
	f.Fuzz(func(t *testing.T, details []byte, signature string) {
		v, err := value.Decode(value.JSON, details)
		d, ok := v.(map[string]any)
		if err != nil || !ok {
			return
		}
		id, ch, err := ta.hello("realm1", d)
		switch {
		case err != nil:
			e, ok := err.(*Error)
			if !ok || (e.URI != ErrProtocolViolation && e.URI != ErrNoAuthMethod && e.URI != ErrAuthenticationFailed) || id != nil || ch != nil {
				t.Fatalf("error %#v with %v %v", err, id, ch)
			}
		case ch != nil:
			if id != nil {
				t.Fatalf("both an identity and a challenge")
			}
			if _, err := value.Append(value.MsgPack, nil, ch.Extra); err != nil {
				t.Fatalf("CHALLENGE.Extra %v does not encode: %v", ch.Extra, err)
			}
			id, err := ch.Authenticate(signature)
			if (id == nil) == (err == nil) {
				t.Fatalf("Authenticate: %v %v", id, err)
			}
			if e, ok := err.(*Error); err != nil && (!ok || e.URI != ErrAuthenticationFailed) {
				t.Fatalf("Authenticate error %#v", err)
			}
		}
	})
}
