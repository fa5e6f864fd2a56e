package v2

import (
	"errors"
	"fmt"
	"time"

	"github.com/gobwas/ws"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/wamp"
)

// This file is the authentication of a HELLO: the session's auth.Conn
// decides; a challenge is sent and its AUTHENTICATE awaited (the only
// message besides ABORT the client may send meanwhile; the gateway
// closes the connection when none comes within the handshake timeout,
// see ChallengedAt); a refusal is an ABORT and a normal close.

// pendingAuth is a HELLO awaiting AUTHENTICATE, immutable.
type pendingAuth struct {
	realm     *wamp.Realm
	client    ClientFeatures
	details   map[string]any // HELLO.Details
	challenge *auth.Challenge
	at        int64 // when the CHALLENGE was sent, unix nanoseconds
}

// authenticate decides a HELLO to realm whose roles are client and whose
// Details are details.
func (s *Session) authenticate(realm *wamp.Realm, client ClientFeatures, details map[string]any) error {
	if s.authc == nil {
		s.admit(realm, client, nil, details, nil)
		return nil
	}
	id, ch, err := s.authc.Hello(realm.Name(), details)
	if err != nil {
		return s.refuse(realm.Name(), "", err)
	}
	if ch == nil {
		s.admit(realm, client, id, details, nil)
		return nil
	}
	s.pending.Store(&pendingAuth{realm: realm, client: client, details: details, challenge: ch, at: time.Now().UnixNano()})
	s.state.Store(stateChallenging)
	s.send(&Message{Type: Challenge, URI: ch.Method, Dict: ch.Extra})
	return nil
}

// handleChallenged handles a message after a CHALLENGE: AUTHENTICATE, or
// the client's ABORT; anything else violates the protocol.
func (s *Session) handleChallenged(m *Message) error {
	switch m.Type {
	case Authenticate:
		p := s.pending.Load()
		s.endChallenge()
		id, err := p.challenge.Authenticate(m.URI)
		if err != nil {
			return s.refuse(p.realm.Name(), p.challenge.Method, err)
		}
		var ticket *string
		if p.challenge.ForHook {
			ticket = &m.URI
		}
		s.admit(p.realm, p.client, id, p.details, ticket)
		return nil
	case Abort:
		return s.clientAbort()
	}
	return s.violation(fmt.Sprintf("%s after CHALLENGE: only AUTHENTICATE or ABORT may follow", m.Type))
}

// refuse answers a refused HELLO or AUTHENTICATE: a protocol violation
// for a malformed HELLO, else ABORT with the error's reason and message
// and a normal close. It logs why at debug level (never a token or a
// signature: auth's errors hold none).
func (s *Session) refuse(realm, method string, err error) error {
	var e *auth.Error
	if !errors.As(err, &e) {
		e = &auth.Error{URI: auth.ErrAuthenticationFailed, Message: "authentication failed", Reason: err.Error()}
	}
	if e.URI == auth.ErrProtocolViolation {
		return s.violation(e.Message)
	}
	s.router.Logger().Debug("wamp v2: authentication refused", "remote", s.conn.RemoteAddr(),
		"realm", realm, "method", method, "error", e.URI, "message", e.Message, "reason", e.Reason)
	s.abort(e.URI, e.Message)
	reason := "authentication failed"
	if e.URI == auth.ErrNoAuthMethod {
		reason = "no acceptable authentication method"
	}
	s.conn.Close(uint16(ws.StatusNormalClosure), reason)
	return nil
}

// endChallenge forgets the HELLO awaiting AUTHENTICATE, if any.
func (s *Session) endChallenge() { s.pending.Store(nil) }

// ChallengedAt is when the session sent the CHALLENGE it awaits
// AUTHENTICATE for, in unix nanoseconds; 0 when it awaits none. The
// gateway closes the connection when the answer takes longer than the
// handshake timeout. Safe from any goroutine.
func (s *Session) ChallengedAt() int64 {
	if p := s.pending.Load(); p != nil {
		return p.at
	}
	return 0
}
