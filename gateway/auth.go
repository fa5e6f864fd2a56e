package gateway

import (
	"errors"
	"strings"

	"github.com/wampgate/wampgate/auth"
)

// authenticateHandshake decides a WAMP client's upgrade request (head)
// before the 101: a token it carries (handshakeToken) must verify, and a
// WAMP v1 client (version 1), whose identity is settled here, must bring
// one unless anonymous sessions are allowed. It returns the verified
// token (nil: none), or the 401 response that refuses the connection.
// A WAMP v2 client without a token authenticates at HELLO instead.
func (n *Node) authenticateHandshake(head []byte, version int, remote string) (*auth.Token, []byte) {
	a := n.gate.Authenticator()
	var token *auth.Token
	if a.AcceptsTokens() {
		if raw, found := handshakeToken(head, a.TokenCookie()); found {
			t, err := a.VerifyToken(raw)
			if err == nil && version == 1 {
				err = a.CheckToken(t, n.router.V1Realm().Name())
			}
			if err != nil {
				return nil, n.unauthorized(remote, err)
			}
			token = t
		}
	}
	if token == nil && version == 1 && !a.AllowsAnonymous() {
		n.gate.CountRefused()
		n.log.Debug("handshake refused: a WAMP v1 client without a token", "remote", remote)
		return nil, httpResponse(401, "Unauthorized", "text/plain; charset=utf-8",
			"WWW-Authenticate: Bearer realm=\"wampgate\"\r\n", []byte(tokenRequired(a)))
	}
	return token, nil
}

// tokenRequired is the body of the 401 for a WAMP v1 client that brought
// no token.
func tokenRequired(a *auth.Authenticator) string {
	if !a.AcceptsTokens() {
		return "wampgate: authentication required: WAMP v1 clients authenticate with a token, and this node verifies none\n"
	}
	ways := "?token=JWT in the URL or an Authorization: Bearer JWT header"
	if c := a.TokenCookie(); c != "" {
		ways = "?token=JWT in the URL, an Authorization: Bearer JWT header or the cookie " + c
	}
	return "wampgate: authentication required: send a token (" + ways + ")\n"
}

// unauthorized counts and logs a refused token and renders its 401 (RFC
// 6750's invalid_token), which says what is wrong with the token
// without quoting it.
func (n *Node) unauthorized(remote string, err error) []byte {
	var e *auth.Error
	if !errors.As(err, &e) {
		e = &auth.Error{Message: "invalid token", Reason: err.Error()}
	}
	n.gate.CountRefused()
	n.log.Debug("handshake refused: token", "remote", remote, "message", e.Message, "reason", e.Reason)
	msg := headerSafe(e.Message)
	return httpResponse(401, "Unauthorized", "text/plain; charset=utf-8",
		"WWW-Authenticate: Bearer realm=\"wampgate\", error=\"invalid_token\", error_description=\""+msg+"\"\r\n",
		[]byte("wampgate: authentication failed: "+msg+"\n"))
}

// headerSafe keeps the printable ASCII of s other than '"' and '\', for
// a quoted header parameter.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}
