package auth

import (
	"errors"
	"fmt"
	"time"
)

// The authentication methods (WELCOME.Details.authmethod) and providers
// (authprovider) of WAMP sessions.
const (
	MethodAnonymous  = "anonymous"
	MethodTicket     = "ticket"     // WAMP v2 ticket: a JWT in AUTHENTICATE
	MethodWAMPCRA    = "wampcra"    // WAMP-CRA against the users table
	MethodCryptosign = "cryptosign" // WAMP-cryptosign (Ed25519) against the users table
	MethodJWT        = "jwt"        // a JWT given at the WebSocket handshake
	ProviderStatic   = "static"     // the users table, and anonymous sessions
	ProviderJWT      = "jwt"        // a JWT verified with the node's key
)

// Config is what an Authenticator is made of.
type Config struct {
	// JWT verifies tokens: at the handshake (?token=, Authorization:
	// Bearer, Cookie) and as WAMP v2 tickets; nil accepts none.
	JWT *JWTKey
	// Cookie names the cookie that may carry a token at the handshake
	// ("": none). It needs JWT.
	Cookie string
	// Users is the users table of WAMP-CRA and WAMP-cryptosign; nil or
	// empty: none.
	Users *Users
	// AllowAnonymous lets clients without credentials in as role
	// "anonymous". When nothing else is configured it must be true.
	AllowAnonymous bool
	// Clock tells the time tokens are checked at (nil: time.Now); for
	// tests.
	Clock func() time.Time
}

// Authenticator is one authentication configuration, immutable and safe
// for concurrent use; a reload makes a new one (Gate.Set).
type Authenticator struct {
	cfg Config
}

// New checks cfg and returns its Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Users.Len() == 0 {
		cfg.Users = nil
	}
	if cfg.Cookie != "" {
		if cfg.JWT == nil {
			return nil, errors.New("a token cookie is named but no JWT key is configured to verify its tokens")
		}
		if err := checkCookieName(cfg.Cookie); err != nil {
			return nil, err
		}
	}
	a := &Authenticator{cfg: cfg}
	if !a.Configured() && !cfg.AllowAnonymous {
		return nil, errors.New("no JWT key and no users are configured, and anonymous sessions are refused: no client could connect")
	}
	return a, nil
}

// checkCookieName accepts an RFC 6265 cookie name: visible ASCII
// without separators.
func checkCookieName(name string) error {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || isSeparator(c) {
			return fmt.Errorf("cookie name %q: only visible ASCII characters other than ()<>@,;:\\\"/[]?={} are allowed", name)
		}
	}
	return nil
}

func isSeparator(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return true
	}
	return false
}

// Configured reports whether any authentication method is configured (a
// JWT key or users). Without one every session is anonymous.
func (a *Authenticator) Configured() bool { return a.cfg.JWT != nil || a.cfg.Users != nil }

// AllowsAnonymous reports whether clients without credentials get in (as
// role "anonymous").
func (a *Authenticator) AllowsAnonymous() bool { return a.cfg.AllowAnonymous }

// AcceptsTokens reports whether a JWT key is configured: the handshake's
// token is verified (and otherwise ignored).
func (a *Authenticator) AcceptsTokens() bool { return a.cfg.JWT != nil }

// TokenCookie is the name of the cookie that may carry a token, "" when
// none.
func (a *Authenticator) TokenCookie() string { return a.cfg.Cookie }

// Users is the users table, nil when there is none.
func (a *Authenticator) Users() *Users { return a.cfg.Users }

// Methods lists the methods a WAMP v2 HELLO may offer, in the order the
// README gives them: ticket, wampcra, cryptosign, anonymous.
func (a *Authenticator) Methods() []string {
	var m []string
	if a.cfg.JWT != nil {
		m = append(m, MethodTicket)
	}
	m = append(m, a.cfg.Users.methods()...)
	if a.cfg.AllowAnonymous {
		m = append(m, MethodAnonymous)
	}
	return m
}

// VerifyToken verifies a token given at the handshake. Errors are
// *Error.
func (a *Authenticator) VerifyToken(token string) (*Token, error) {
	if a.cfg.JWT == nil {
		return nil, failed("tokens are not accepted", "no JWT key is configured")
	}
	return a.cfg.JWT.Verify(token, a.now())
}

// CheckToken refuses a token verified at the handshake for a session of
// realm, or once it has expired (Token.Check at the Authenticator's
// clock).
func (a *Authenticator) CheckToken(t *Token, realm string) error {
	return t.Check(realm, a.now())
}

func (a *Authenticator) now() time.Time {
	if a.cfg.Clock != nil {
		return a.cfg.Clock()
	}
	return time.Now()
}
