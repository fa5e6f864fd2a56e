package v1

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/wampgate/wampgate/wamp"
)

// Session is one WAMP v1 session, the wamp.ProtocolSession the gateway
// drives for a connection that negotiated the "wamp" subprotocol.
//
// The gateway calls Open once, HandleMessage for each message in order,
// and Closed once, never concurrently. Answers to calls may be sent later
// from other goroutines (Conn is goroutine-safe).
type Session struct {
	core     *wamp.Session
	prefixes prefixes
}

var _ wamp.ProtocolSession = (*Session)(nil)

// NewSession makes an anonymous v1 session on connection c in the
// router's v1 realm. It joins the realm, and gets its session id, in
// Open.
func NewSession(r *wamp.Router, c wamp.Conn) *Session { return NewAuthSession(r, c, nil) }

// NewAuthSession is NewSession for a client the handshake authenticated
// as id (nil: anonymous).
func NewAuthSession(r *wamp.Router, c wamp.Conn, id *wamp.Auth) *Session {
	return &Session{core: r.V1Realm().NewSession(c, Protocol, id)}
}

// ID is the session id sent in WELCOME (0 before Open).
func (s *Session) ID() wamp.ID { return s.core.ID() }

// Open joins the v1 realm (which runs the OnOpen hook) and returns the
// WELCOME message [0,"<session id>",1,"<server ident>"], the session id
// in decimal.
func (s *Session) Open() []byte {
	s.core.Join()
	return AppendWelcome(nil, s.core.ID(), ServerIdent(s.router().Agent()))
}

// Closed removes the session from its realm and runs the OnClose hook.
func (s *Session) Closed() { s.core.Leave() }

// router is the session's router.
func (s *Session) router() *wamp.Router { return s.core.Router() }

// ServerIdent is the v1 WELCOME's server ident for agent: a ']' becomes
// ')' because the Gos PHP client cuts the WELCOME at the first ']'.
func ServerIdent(agent string) string {
	return strings.ReplaceAll(agent, "]", ")")
}

// HandleMessage processes one message. Binary frames are decoded like
// text frames, as Ratchet does. It returns a *wamp.CloseError when the
// connection must be closed: 1007 for a malformed message, 1008 when a
// session limit is exceeded, 1011 after an internal failure. Messages
// arriving after Closed are ignored.
func (s *Session) HandleMessage(msg []byte, binary bool) (err error) {
	if !s.core.Live() {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			s.router().Logger().Error("wamp v1: panic while handling a message",
				"session", s.core.ID(), "panic", v, "stack", string(debug.Stack()))
			err = &wamp.CloseError{Code: wamp.CloseInternalError, Reason: "internal error"}
		}
		if err != nil {
			s.core.ReportError(err)
		}
	}()
	m, err := Decode(msg)
	if err != nil {
		return err
	}
	switch m.Type {
	case MsgPrefix:
		return s.handlePrefix(&m)
	case MsgCall:
		s.handleCall(&m)
	case MsgSubscribe:
		return s.handleSubscribe(&m)
	case MsgUnsubscribe:
		s.core.UnsubscribeTopic(s.prefixes.resolve(m.Topic))
	case MsgPublish:
		s.handlePublish(&m)
	}
	return nil
}

func (s *Session) handlePrefix(m *Message) error {
	if !m.URISet {
		s.prefixes.unset(m.Prefix)
		return nil
	}
	if err := s.prefixes.set(m.Prefix, m.URI); err != nil {
		return &wamp.CloseError{Code: wamp.ClosePolicyViolation,
			Reason: fmt.Sprintf("%v (limit %d)", err, maxPrefixes)}
	}
	return nil
}

func (s *Session) handleSubscribe(m *Message) error {
	topic := s.prefixes.resolve(m.Topic)
	if s.core.Hooked() {
		s.core.SubscribeThen(topic, wamp.MatchExact, func(_ *wamp.Subscription, _ bool, err error) {
			if err := s.subscribed(err); err != nil {
				s.closeWith(err)
			}
		})
		return nil
	}
	_, _, err := s.core.Subscribe(topic, wamp.MatchExact)
	return s.subscribed(err)
}

// subscribed handles the outcome of a SUBSCRIBE: the subscription
// limit closes the connection, a refusal is logged.
func (s *Session) subscribed(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, wamp.ErrTooManySubscriptions):
		return &wamp.CloseError{Code: wamp.ClosePolicyViolation, Reason: err.Error()}
	default: // refused by the OnSubscribe hook: v1 has no way to say so
		s.router().Logger().Debug("wamp v1: subscription refused", "session", s.core.ID(), "err", err)
		return nil
	}
}

func (s *Session) handlePublish(m *Message) {
	pub := &wamp.Publication{
		Topic:     s.prefixes.resolve(m.Topic),
		ExcludeMe: m.ExcludeMe,
		Exclude:   m.Exclude,
		Eligible:  m.Eligible,
	}
	pub.SetEvent(m.Event)
	if s.core.Hooked() {
		s.core.PublishThen(pub, s.published)
		return
	}
	s.published(s.core.Publish(pub))
}

// published logs a publication that was refused.
func (s *Session) published(err error) {
	if err != nil {
		s.router().Logger().Debug("wamp v1: publication dropped", "session", s.core.ID(), "err", err)
	}
}

// closeWith closes the connection as HandleMessage's error err asks,
// for an operation that ended after an operation hook answered.
func (s *Session) closeWith(err error) {
	s.core.ReportError(err)
	var ce *wamp.CloseError
	if errors.As(err, &ce) {
		s.core.Close(ce.Code, ce.Reason)
	}
}
