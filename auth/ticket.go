package auth

import "github.com/wampgate/wampgate/wamp"

// ticket is the CHALLENGE of WAMP v2 ticket authentication,
// [4, "ticket", {}]: the client answers with a JWT as the signature,
// which must be good for realm and name the authid HELLO gave, if any.
func (a *Authenticator) ticket(realm string, h *hello) *Challenge {
	key, authid := a.cfg.JWT, h.authid
	return &Challenge{Method: MethodTicket, check: func(signature string) (*wamp.Auth, *Error) {
		now := a.now()
		token, err := key.verify(signature, now)
		if err != nil {
			return nil, err
		}
		if err := token.check(realm, now); err != nil {
			return nil, err
		}
		if authid != "" && authid != token.AuthID {
			return nil, failed("HELLO.Details.authid is not the token's subject", "")
		}
		return token.Auth(MethodTicket), nil
	}}
}

// hookTicket is the ticket CHALLENGE of a node whose connect hook checks
// tickets (no JWT key is configured): any signature passes here, as an
// anonymous session of method ticket, and goes to the hook, which
// decides.
func hookTicket() *Challenge {
	return &Challenge{Method: MethodTicket, ForHook: true, check: func(string) (*wamp.Auth, *Error) {
		return &wamp.Auth{Role: wamp.Anonymous, Method: MethodTicket, Provider: ProviderStatic}, nil
	}}
}

// offersTicket reports whether HELLO.Details.authmethods names ticket.
func offersTicket(details map[string]any) bool {
	list, _ := details["authmethods"].([]any)
	for _, m := range list {
		if m == MethodTicket {
			return true
		}
	}
	return false
}
