package auth

import (
	"sync/atomic"

	"github.com/wampgate/wampgate/wamp"
)

// Gate holds a node's Authenticator in force, which Set replaces
// atomically (a reload: sessions that are established keep their
// identity, new handshakes and HELLOs use the new one), and counts the
// refusals. Its methods are safe for concurrent use.
type Gate struct {
	cur     atomic.Pointer[Authenticator]
	refused atomic.Uint64
	open    Conn // the Conn of connections without a handshake token
	// hookTickets: a connect hook decides tickets when no JWT key
	// verifies them (SetHookTickets).
	hookTickets atomic.Bool
}

// SetHookTickets makes a WAMP v2 client that offers ticket while no JWT
// key is configured get a ticket CHALLENGE whose AUTHENTICATE signature
// is not checked here but handed to the connect hook (Challenge.ForHook):
// the node's connect hook decides such sessions.
func (g *Gate) SetHookTickets(on bool) { g.hookTickets.Store(on) }

// NewGate returns a Gate holding a (nil: Open()).
func NewGate(a *Authenticator) *Gate {
	g := &Gate{}
	g.open.gate = g
	g.Set(a)
	return g
}

// Set replaces the Authenticator in force (nil: Open()).
func (g *Gate) Set(a *Authenticator) {
	if a == nil {
		a = Open()
	}
	g.cur.Store(a)
}

// Authenticator is the Authenticator in force.
func (g *Gate) Authenticator() *Authenticator { return g.cur.Load() }

// Refused is how many sessions were refused: ABORTs after HELLO or
// AUTHENTICATE, and handshakes the gateway counted with CountRefused.
func (g *Gate) Refused() uint64 { return g.refused.Load() }

// CountRefused counts a refused handshake (a 401).
func (g *Gate) CountRefused() { g.refused.Add(1) }

// Conn returns the authentication of a WAMP v2 connection whose
// handshake carried token (nil: none, and no allocation).
func (g *Gate) Conn(token *Token) *Conn {
	if token == nil {
		return &g.open
	}
	return &Conn{gate: g, token: token}
}

// Conn is the authentication of one WAMP v2 connection: the node's Gate
// and the token its handshake carried, which then decides the identity
// of every session of the connection.
type Conn struct {
	gate  *Gate
	token *Token
}

// Hello decides a HELLO to realm with details (HELLO.Details): the
// identity to WELCOME (nil: anonymous), or a Challenge to send and await,
// or an *Error to ABORT with (URI ErrProtocolViolation for a malformed
// authmethods, authid or authextra).
func (c *Conn) Hello(realm string, details map[string]any) (*wamp.Auth, *Challenge, error) {
	id, ch, err := c.gate.Authenticator().hello(realm, details, c.token, c.gate.hookTickets.Load())
	if err != nil {
		if err.URI != ErrProtocolViolation {
			c.gate.refused.Add(1)
		}
		return nil, nil, err
	}
	if ch != nil {
		ch.gate = c.gate
	}
	return id, ch, nil
}

// Challenge is a CHALLENGE sent to a client, awaiting its AUTHENTICATE.
type Challenge struct {
	Method string         // CHALLENGE.AuthMethod
	Extra  map[string]any // CHALLENGE.Extra; nil: {}
	// ForHook: the signature is the connect hook's to check (a ticket
	// while no JWT key is configured, Gate.SetHookTickets); Authenticate
	// accepts any and gives an anonymous identity of method ticket.
	ForHook bool
	gate    *Gate
	check   func(signature string) (*wamp.Auth, *Error)
}

// Authenticate checks AUTHENTICATE.Signature: the identity to WELCOME,
// or an *Error to ABORT with. Call it once.
func (ch *Challenge) Authenticate(signature string) (*wamp.Auth, error) {
	id, err := ch.check(signature)
	if err != nil {
		ch.gate.refused.Add(1)
		return nil, err
	}
	return id, nil
}
