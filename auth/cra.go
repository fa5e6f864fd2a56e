package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"

	"github.com/wampgate/wampgate/wamp"
)

// craChallenge is the JSON text a WAMP-CRA client signs. Its fields
// follow Crossbar.io's (authrole and session are left out: the client
// treats the text as opaque, and an unknown authid must get a challenge
// that looks like a known one's).
type craChallenge struct {
	AuthID       string `json:"authid"`
	AuthMethod   string `json:"authmethod"`
	AuthProvider string `json:"authprovider"`
	Nonce        string `json:"nonce"`
	Timestamp    string `json:"timestamp"`
}

// wampcra is the CHALLENGE of WAMP-CRA for HELLO's authid:
// [4, "wampcra", {"challenge": TEXT}] plus salt, iterations and keylen
// when the user's secret is salted. The client answers with
// base64(HMAC-SHA256(key, TEXT)), key being the secret (salted: the
// derived key in base64). An authid that is unknown, or not allowed in
// realm, gets a challenge no answer satisfies. note says why the method
// cannot serve this HELLO (no authid).
func (a *Authenticator) wampcra(realm string, h *hello) (ch *Challenge, note string) {
	if h.authid == "" {
		return nil, "wampcra needs HELLO.Details.authid"
	}
	u, why := a.cfg.Users.lookup(h.authid, realm)
	if u != nil && u.secret == nil {
		u, why = nil, "user "+u.authid+" has no WAMP-CRA secret"
	}
	text, err := json.Marshal(craChallenge{
		AuthID: h.authid, AuthMethod: MethodWAMPCRA, AuthProvider: ProviderStatic,
		Nonce: rand.Text(), Timestamp: a.now().UTC().Format("2006-01-02T15:04:05.000Z"),
	})
	if err != nil { // a struct of strings always encodes
		panic("auth: WAMP-CRA challenge: " + err.Error())
	}
	extra := map[string]any{"challenge": string(text)}
	key := make([]byte, 32) // an unknown user's: random, never matched
	rand.Read(key)
	if u != nil {
		key = u.secret
		if u.salt != "" {
			extra["salt"], extra["iterations"], extra["keylen"] = u.salt, u.iterations, u.keylen
		}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(text)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return &Challenge{Method: MethodWAMPCRA, Extra: extra, check: func(signature string) (*wamp.Auth, *Error) {
		ok := subtle.ConstantTimeCompare([]byte(signature), []byte(want)) == 1
		if u == nil {
			return nil, failed("wrong authid or secret", why)
		}
		if !ok {
			return nil, failed("wrong authid or secret", "wrong WAMP-CRA signature for user "+u.authid)
		}
		return &wamp.Auth{ID: u.authid, Role: u.role, Method: MethodWAMPCRA, Provider: ProviderStatic}, nil
	}}, ""
}
