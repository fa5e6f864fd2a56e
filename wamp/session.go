package wamp

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
)

// Peer is what hooks see of a session.
type Peer interface {
	// ID is the session id, unique across the cluster.
	ID() ID
	// Realm is the name of the realm the session joined.
	Realm() string
	// RemoteAddr is the client's address.
	RemoteAddr() string
	// Protocol is the session's WebSocket subprotocol, e.g. "wamp".
	Protocol() string
	// Close closes the session's connection with a WebSocket close code
	// and reason. It is safe to call from any goroutine.
	Close(code uint16, reason string)
}

// Auth is who a session authenticated as; package auth makes it (a
// token's subject and role, a user of the users table), nil is
// anonymous.
type Auth struct {
	ID       string // authid
	Role     string // authrole
	Method   string // authmethod
	Provider string // authprovider
}

// Anonymous is the authrole and authmethod of unauthenticated sessions.
const Anonymous = "anonymous"

// StaticProvider is the authprovider of unauthenticated sessions, as in
// Crossbar.io and nexus.
const StaticProvider = "static"

// anonymous is the Auth of sessions that join without one.
var anonymous = &Auth{Role: Anonymous, Method: Anonymous, Provider: StaticProvider}

// Session is the protocol-neutral part of one WAMP session: its id, realm,
// connection, protocol, subscriptions and registrations. A protocol
// package (wamp/v1, wamp/v2) gets one from Realm.NewSession, calls Join
// once (WELCOME), then Subscribe, Unsubscribe, Publish, Register,
// Unregister, Call, Cancel, Yield and InvocationError as messages arrive,
// and Leave once at the end. A v2 connection may run several sessions in a row
// (HELLO after GOODBYE): each is a new Session with a new id. Those calls
// come from the protocol session's goroutine and never overlap; ID,
// Realm, RemoteAddr, Protocol, Close, Conn and the Auth accessors are
// safe from any goroutine.
//
// A Session is small on purpose (no map, no goroutine): a node holds
// about 20,000 of them.
type Session struct {
	id    ID
	realm *Realm
	conn  Conn
	proto *Protocol
	auth  *Auth
	state atomic.Uint32 // sessionNew → sessionJoined (→ sessionKilled) → sessionLeft

	// mu guards subs against readers on other goroutines (the eligible
	// fan-out path). Only the session's own goroutine modifies subs, so
	// it may read them without the lock.
	mu   sync.Mutex
	subs []*member

	// calls is the session's dealer state (session_calls.go), nil until
	// it registers or calls a callee session.
	calls *sessionCalls

	// ops orders the session's operations while operation hooks are in
	// flight (ophooks.go); nil when the router has none.
	ops *OpQueue
}

const (
	sessionNew uint32 = iota
	sessionJoined
	sessionKilled // Kill ended it; Leave has not run yet
	sessionLeft
)

// ID is the session id, 0 before Join.
func (s *Session) ID() ID { return s.id }

// Realm is the name of the session's realm.
func (s *Session) Realm() string { return s.realm.name }

// Router is the router of the session's realm.
func (s *Session) Router() *Router { return s.realm.router }

// RemoteAddr is the client's address.
func (s *Session) RemoteAddr() string { return s.conn.RemoteAddr() }

// Protocol is the session's WebSocket subprotocol.
func (s *Session) Protocol() string { return s.proto.Name }

// Close closes the connection with code and reason.
func (s *Session) Close(code uint16, reason string) { s.conn.Close(code, reason) }

// Conn is the session's connection, for the protocol package to send
// replies on.
func (s *Session) Conn() Conn { return s.conn }

// AuthID is the session's authid; for an anonymous session without one,
// its session id in decimal.
func (s *Session) AuthID() string {
	if s.auth.ID == "" {
		return s.id.String()
	}
	return s.auth.ID
}

// AuthRole is the session's authrole ("anonymous" by default).
func (s *Session) AuthRole() string { return s.auth.Role }

// AuthMethod is the session's authmethod ("anonymous" by default).
func (s *Session) AuthMethod() string { return s.auth.Method }

// AuthProvider is the session's authprovider ("static" by default).
func (s *Session) AuthProvider() string { return s.auth.Provider }

// Live reports whether the session has joined and not yet left.
func (s *Session) Live() bool { return s.state.Load() == sessionJoined }

// Join gives the session its id, unique across the cluster, registers it
// with its realm (so eligible lists, Router.Session and Realm.Session
// find it), calls Handler.OnOpen and publishes the meta event
// wamp.session.on_join. The protocol session sends WELCOME after it.
// Calls after the first, and after Leave, do nothing.
func (s *Session) Join() {
	if s.state.Load() != sessionNew {
		return
	}
	s.realm.join(s)
	s.state.Store(sessionJoined)
	s.hook("OnOpen", func() error { s.realm.router.handler.OnOpen(s); return nil })
	s.realm.sessionJoined(s)
}

// Leave ends the session's calls and invocations in flight (see
// leaveCalls), removes it from every registration, every subscription and
// the registry (with their meta events), publishes wamp.session.on_leave,
// then calls Handler.OnClose. Calls after the first do nothing; Leave on
// a session that never joined only marks it left. The protocol session
// calls it, also after Kill.
func (s *Session) Leave() {
	prev := s.state.Swap(sessionLeft)
	if prev != sessionJoined && prev != sessionKilled {
		return
	}
	s.leaveCalls()
	s.realm.leave(s, prev == sessionJoined)
	s.realm.sessionLeft(s)
	s.hook("OnClose", func() error { s.realm.router.handler.OnClose(s); return nil })
}

// Kill ends a live session from outside, from any goroutine (the meta
// procedure wamp.session.kill, or an embedding program): the session
// stops being live at once (it leaves the realm's session count and
// lists, and its messages are refused), its client gets the protocol's
// goodbye (v2: GOODBYE with reason and, when not empty, Details.message;
// see Protocol.Goodbye), and its connection is closed with 1000
// "session killed". Its subscriptions, registrations and calls end when
// the connection is gone (Leave, which the protocol session calls then).
// It reports false when the session was not live.
func (s *Session) Kill(reason, message string) bool {
	if !s.state.CompareAndSwap(sessionJoined, sessionKilled) {
		return false
	}
	s.realm.sessions.Add(-1)
	s.realm.router.sessions.Add(-1)
	if bye := s.proto.Goodbye; bye != nil {
		bye(s, reason, message)
	}
	s.conn.Close(CloseNormal, "session killed")
	return true
}

// ReportError hands err, the reason the session is being closed, to the
// log and to Handler.OnError.
func (s *Session) ReportError(err error) {
	s.realm.router.log.Debug("wamp session error", "session", s.id, "realm", s.realm.name,
		"remote", s.RemoteAddr(), "err", err)
	s.hook("OnError", func() error { s.realm.router.handler.OnError(s, err); return nil })
}

// Publish publishes pub on behalf of the session: it sets pub.Realm,
// pub.Publisher, pub.PublisherID and pub.ID (when zero), runs
// Handler.OnPublish and, unless the hook vetoed it (its error is
// returned), hands pub to Realm.Publish. After it returned, pub.ID is the
// publication id (for v2's PUBLISHED). A topic under the reserved prefix
// "wamp." is refused with ErrReservedTopic before the hook: only the
// router publishes there (the meta events); then the authorizer's
// refusal (a *URIError wamp.error.not_authorized). With pub.DiscloseMe,
// the session's authid and authrole go with the publication
// (pub.Auth's PublisherAuthID, PublisherAuthRole).
func (s *Session) Publish(pub *Publication) error {
	if err := s.prePublish(pub); err != nil {
		return err
	}
	return s.finishPublish(pub)
}

// prePublish checks pub before any hook (the session is live, the topic
// is not reserved, the role may publish) and sets pub.Realm,
// pub.Publisher, pub.PublisherID and pub.ID.
func (s *Session) prePublish(pub *Publication) error {
	if !s.Live() {
		return fmt.Errorf("publish to %q: session %d: %w", pub.Topic, s.id, ErrNotLive)
	}
	if strings.HasPrefix(pub.Topic, reservedPrefix) {
		return fmt.Errorf("publish to %q: %w", pub.Topic, ErrReservedTopic)
	}
	if ue := s.realm.authorize(s, s.auth.Role, ActionPublish, pub.Topic, MatchExact); ue != nil {
		return ue
	}
	pub.Realm, pub.Publisher, pub.PublisherID = s.realm.name, s, s.id
	if pub.ID == 0 {
		pub.ID = randomID()
	}
	return nil
}

// finishPublish runs Handler.OnPublish and hands pub to Realm.Publish.
func (s *Session) finishPublish(pub *Publication) error {
	if err := s.hook("OnPublish", func() error { return s.realm.router.handler.OnPublish(s, pub) }); err != nil {
		return fmt.Errorf("wamp: publish to %q vetoed: %w", pub.Topic, err)
	}
	if pub.DiscloseMe {
		a := pub.authPart()
		a.PublisherAuthID, a.PublisherAuthRole = s.AuthID(), s.AuthRole()
	}
	s.realm.Publish(pub)
	return nil
}

// PanicError is the error a hook's panic is turned into.
type PanicError struct {
	Hook  string // name of the hook, e.g. "OnPublish"
	Value any    // the value passed to panic
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("wamp: handler %s panicked: %v", e.Hook, e.Value)
}

// hook runs fn, one handler hook. A panic is logged with its stack,
// reported to OnError (unless OnError itself panicked), closes the session
// with 1011 and is returned as a *PanicError.
func (s *Session) hook(name string, fn func() error) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		perr := &PanicError{Hook: name, Value: v}
		s.realm.router.log.Error("wamp handler panicked", "hook", name, "session", s.id, "panic", v, "stack", string(debug.Stack()))
		if name != "OnError" {
			func() {
				defer func() { _ = recover() }()
				s.realm.router.handler.OnError(s, perr)
			}()
		}
		s.conn.Close(CloseInternalError, "internal error")
		err = perr
	}()
	return fn()
}
