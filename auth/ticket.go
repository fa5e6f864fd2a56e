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
