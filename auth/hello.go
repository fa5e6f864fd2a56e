package auth

import (
	"strings"

	"github.com/wampgate/wampgate/wamp"
)

// hello is what a HELLO says about authentication.
type hello struct {
	methods []string       // HELLO.Details.authmethods, in the client's order
	authid  string         // HELLO.Details.authid, "" when absent
	extra   map[string]any // HELLO.Details.authextra, nil when absent
}

// parseHello reads authmethods (a list of strings), authid (a string)
// and authextra (a dict) from HELLO.Details; each may be absent.
// HELLO.Details.authrole is not read: the role comes from the token or
// the users table.
func parseHello(d map[string]any) (*hello, *Error) {
	h := &hello{}
	if raw, ok := d["authmethods"]; ok {
		list, ok := raw.([]any)
		if !ok {
			return nil, violation("HELLO.Details.authmethods must be a list of strings")
		}
		h.methods = make([]string, len(list))
		for i, e := range list {
			if h.methods[i], ok = e.(string); !ok {
				return nil, violation("HELLO.Details.authmethods must be a list of strings")
			}
		}
	}
	if raw, ok := d["authid"]; ok {
		if h.authid, ok = raw.(string); !ok {
			return nil, violation("HELLO.Details.authid must be a string")
		}
	}
	if raw, ok := d["authextra"]; ok {
		if h.extra, ok = raw.(map[string]any); !ok {
			return nil, violation("HELLO.Details.authextra must be a dict")
		}
	}
	return h, nil
}

// hello decides a HELLO to realm: a handshake token decides alone;
// without authentication configured every session is anonymous;
// otherwise the first method in the client's order (anonymous when it
// names none) that the node serves and the HELLO gives what it needs
// for. With hookTickets, ticket is served by the connect hook while no
// JWT key is configured.
func (a *Authenticator) hello(realm string, details map[string]any, token *Token, hookTickets bool) (*wamp.Auth, *Challenge, *Error) {
	if token == nil && !a.Configured() && !(hookTickets && offersTicket(details)) {
		return nil, nil, nil // as before authentication existed: HELLO.Details are not read
	}
	h, err := parseHello(details)
	if err != nil {
		return nil, nil, err
	}
	if token != nil {
		id, err := a.tokenIdentity(token, realm, h)
		return id, nil, err
	}
	methods := h.methods
	if len(methods) == 0 {
		methods = defaultMethods
	}
	var notes []string
	for _, m := range methods {
		var (
			ch   *Challenge
			note string
		)
		switch {
		case m == MethodTicket && a.cfg.JWT != nil:
			ch = a.ticket(realm, h)
		case m == MethodTicket && hookTickets:
			ch = hookTicket()
		case m == MethodWAMPCRA && a.cfg.Users != nil && a.cfg.Users.cra:
			ch, note = a.wampcra(realm, h)
		case m == MethodCryptosign && a.cfg.Users != nil && a.cfg.Users.keys:
			ch, note = a.cryptosign(realm, h)
		case m == MethodAnonymous && a.cfg.AllowAnonymous:
			return nil, nil, nil
		}
		if ch != nil {
			return nil, ch, nil
		}
		if note != "" {
			notes = append(notes, note)
		}
	}
	msg := "no acceptable authentication method: this node accepts " + strings.Join(a.Methods(), ", ")
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	return nil, nil, &Error{URI: ErrNoAuthMethod, Message: msg}
}

// tokenIdentity is the identity of a session on a connection whose
// handshake carried token: the token must still be good, for realm, and
// name the authid HELLO gives, if any.
func (a *Authenticator) tokenIdentity(token *Token, realm string, h *hello) (*wamp.Auth, *Error) {
	if a.cfg.JWT == nil {
		return nil, failed("tokens are not accepted", "the handshake's token was verified, but the JWT key has been removed since")
	}
	if err := token.check(realm, a.now()); err != nil {
		return nil, err
	}
	if h.authid != "" && h.authid != token.AuthID {
		return nil, failed("HELLO.Details.authid is not the token's subject", "")
	}
	return token.Auth(MethodJWT), nil
}
