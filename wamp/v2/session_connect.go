package v2

import (
	"github.com/gobwas/ws"

	"github.com/wampgate/wampgate/wamp"
)

// This file is the connect hook of a HELLO (the gateway's HTTP connect
// hook): once authentication has decided (after a CHALLENGE and its
// AUTHENTICATE, if any), the application is asked about the session,
// whose id is drawn first (the one WELCOME will carry), and answers
// later: WELCOME with the identity it gives, or ABORT with its error.

// Admission is what a connect hook learns of a session about to be
// welcomed.
type Admission struct {
	// Session is the core session, not joined yet, its id reserved
	// (wamp.Session.Reserve) and its identity what authentication gave.
	Session *wamp.Session
	// AuthMethods are HELLO.Details.authmethods (the strings among them).
	AuthMethods []string
	// Ticket, when HasTicket, is the AUTHENTICATE signature of a ticket
	// the hook decides (auth.Challenge.ForHook).
	Ticket    string
	HasTicket bool
}

// Verdict is a connect hook's decision.
type Verdict struct {
	// Error, when not nil, refuses the session: ABORT with its URI and
	// {"message": Message}.
	Error *wamp.HookError
	// AuthID and AuthRole, each when not empty, replace what
	// authentication gave; Extra, when not nil, is WELCOME's authextra.
	AuthID, AuthRole string
	Extra            map[string]any
}

// ConnectHook asks the application about a, then calls done once with
// its decision, later, on another goroutine but not concurrently with
// the session's HandleMessage and Closed (the gateway holds the
// connection's wamp.OpQueue meanwhile), and not at all once the
// connection is gone.
type ConnectHook func(a *Admission, done func(*Verdict))

// SetConnectHook makes every HELLO of the session go through h before
// WELCOME (nil: none). Call it before the first message.
func (s *Session) SetConnectHook(h ConnectHook) { s.connect = h }

// admit welcomes a session to realm as id (nil: anonymous), through the
// connect hook when there is one; details are HELLO's, ticket the
// signature the hook decides (nil: none).
func (s *Session) admit(realm *wamp.Realm, client ClientFeatures, id *wamp.Auth, details map[string]any, ticket *string) {
	if s.connect == nil {
		s.establish(realm, client, id, nil)
		return
	}
	core := realm.NewSession(s.conn, &s.proto.Protocol, id)
	core.Reserve()
	s.admitting = core
	s.state.Store(stateAdmitting)
	a := &Admission{Session: core, AuthMethods: stringList(details["authmethods"])}
	if ticket != nil {
		a.Ticket, a.HasTicket = *ticket, true
	}
	s.connect(a, func(v *Verdict) { s.admitted(core, client, v) })
}

// admitted acts on the connect hook's verdict v about core.
func (s *Session) admitted(core *wamp.Session, client ClientFeatures, v *Verdict) {
	if s.admitting != core || s.state.Load() != stateAdmitting {
		return // the session ended meanwhile (leave released core)
	}
	s.admitting = nil
	if e := v.Error; e != nil {
		core.Leave()
		s.router.Logger().Debug("wamp v2: session refused by the connect hook", "remote", s.conn.RemoteAddr(),
			"realm", core.Realm(), "error", e.URI, "message", e.Message)
		s.abort(e.URI, e.Message)
		s.conn.Close(uint16(ws.StatusNormalClosure), "refused by the application")
		return
	}
	core.Admit(v.AuthID, v.AuthRole)
	s.join(core, client, v.Extra)
}

// releaseAdmitting frees the session a connect hook was deciding, if
// any (its answer will be dropped).
func (s *Session) releaseAdmitting() {
	if core := s.admitting; core != nil {
		s.admitting = nil
		core.Leave()
	}
}

// stringList is the strings of v, a list (nil when v is not one).
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if str, ok := e.(string); ok {
			out = append(out, str)
		}
	}
	return out
}
