package wamp

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Peer is what hooks see of a session.
type Peer interface {
	// ID is the session id, unique across the cluster.
	ID() string
	// RemoteAddr is the client's address.
	RemoteAddr() string
	// Protocol is the session's WebSocket subprotocol, e.g. "wamp".
	Protocol() string
	// Close closes the session's connection with a WebSocket close code
	// and reason. It is safe to call from any goroutine.
	Close(code uint16, reason string)
}

// ErrTooManySubscriptions is returned by Session.Subscribe when the
// session already has RouterConfig.MaxSubscriptions topics.
var ErrTooManySubscriptions = errors.New("wamp: too many subscriptions")

// Session is the protocol-neutral part of one WAMP session: its id,
// connection and subscriptions. A protocol package (wamp/v1, later v2)
// wraps one per connection, calls Join once, then Subscribe, Unsubscribe,
// Publish and Call as messages arrive, and Leave once at the end. Those
// calls come from the session's own goroutine and never overlap; ID,
// RemoteAddr, Protocol, Close and Conn are safe from any goroutine.
//
// A Session is small on purpose (no map, no goroutine): a node holds
// about 20,000 of them.
type Session struct {
	id     string
	conn   Conn
	router *Router
	proto  *Protocol
	state  atomic.Uint32 // sessionNew → sessionJoined → sessionLeft

	// mu guards subs against readers on other goroutines (the eligible
	// fan-out path). Only the session's own goroutine modifies subs, so
	// it may read them without the lock.
	mu   sync.Mutex
	subs []*subscription
}

const (
	sessionNew uint32 = iota
	sessionJoined
	sessionLeft
)

// NewSession makes a session of protocol proto on connection c and gives
// it a fresh id. It is not registered until Join.
func NewSession(r *Router, c Conn, proto *Protocol) *Session {
	return &Session{id: r.ids.next(), conn: c, router: r, proto: proto}
}

// ID is the session id.
func (s *Session) ID() string { return s.id }

// RemoteAddr is the client's address.
func (s *Session) RemoteAddr() string { return s.conn.RemoteAddr() }

// Protocol is the session's WebSocket subprotocol.
func (s *Session) Protocol() string { return s.proto.Name }

// Close closes the connection with code and reason.
func (s *Session) Close(code uint16, reason string) { s.conn.Close(code, reason) }

// Conn is the session's connection, for the protocol package to send
// replies on.
func (s *Session) Conn() Conn { return s.conn }

// Router is the router the session belongs to.
func (s *Session) Router() *Router { return s.router }

// Live reports whether the session has joined and not yet left.
func (s *Session) Live() bool { return s.state.Load() == sessionJoined }

// Join registers the session with its router (so eligible lists and
// Router.Session find it) and calls Handler.OnOpen. Calls after the first
// do nothing.
func (s *Session) Join() {
	if !s.state.CompareAndSwap(sessionNew, sessionJoined) {
		return
	}
	s.router.registry.add(s)
	s.router.sessions.Add(1)
	s.hook("OnOpen", func() error { s.router.handler.OnOpen(s); return nil })
}

// Leave removes the session from every topic and from the registry, then
// calls Handler.OnClose. Calls after the first do nothing; Leave on a
// session that never joined only marks it left.
func (s *Session) Leave() {
	if s.state.Swap(sessionLeft) != sessionJoined {
		return
	}
	s.mu.Lock()
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for _, sub := range subs {
		s.router.broker.unsubscribe(sub)
	}
	s.router.registry.remove(s)
	s.router.sessions.Add(-1)
	s.hook("OnClose", func() error { s.router.handler.OnClose(s); return nil })
}

// ReportError hands err, the reason the session is being closed, to the
// log and to Handler.OnError.
func (s *Session) ReportError(err error) {
	s.router.log.Debug("wamp session error", "session", s.id, "remote", s.RemoteAddr(), "err", err)
	s.hook("OnError", func() error { s.router.handler.OnError(s, err); return nil })
}

// Subscribed reports whether the session is subscribed to topic.
func (s *Session) Subscribed(topic string) bool {
	return s.subscription(topic) >= 0
}

// subscription returns the index in s.subs of topic, or -1. Own goroutine
// only.
func (s *Session) subscription(topic string) int {
	for i, sub := range s.subs {
		if sub.topic.name == topic {
			return i
		}
	}
	return -1
}

// subscribedTo reports whether the session is subscribed to t. Safe from
// any goroutine.
func (s *Session) subscribedTo(t *topic) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs {
		if sub.topic == t {
			return true
		}
	}
	return false
}

// Subscribe subscribes the session to topic after Handler.OnSubscribe
// agreed. Subscribing again to a topic is a no-op without a hook call.
// It returns the hook's refusal, ErrTooManySubscriptions, or an error
// when the session is not live.
func (s *Session) Subscribe(topic string) error {
	if !s.Live() {
		return fmt.Errorf("wamp: subscribe %q: session %s is not open", topic, s.id)
	}
	if s.subscription(topic) >= 0 {
		return nil
	}
	if len(s.subs) >= s.router.maxSubs {
		return fmt.Errorf("subscribe %q: %w (limit %d)", topic, ErrTooManySubscriptions, s.router.maxSubs)
	}
	if err := s.hook("OnSubscribe", func() error { return s.router.handler.OnSubscribe(s, topic) }); err != nil {
		return fmt.Errorf("wamp: subscribe %q refused: %w", topic, err)
	}
	sub := s.router.broker.subscribe(s, topic)
	s.mu.Lock()
	s.subs = append(s.subs, sub)
	s.mu.Unlock()
	return nil
}

// Unsubscribe removes the session from topic and calls
// Handler.OnUnsubscribe. It reports false, without a hook call, when the
// session was not subscribed.
func (s *Session) Unsubscribe(topic string) bool {
	i := s.subscription(topic)
	if i < 0 {
		return false
	}
	sub := s.subs[i]
	s.mu.Lock()
	last := len(s.subs) - 1
	s.subs[i] = s.subs[last]
	s.subs[last] = nil
	s.subs = s.subs[:last]
	s.mu.Unlock()
	s.router.broker.unsubscribe(sub)
	s.hook("OnUnsubscribe", func() error { s.router.handler.OnUnsubscribe(s, topic); return nil })
	return true
}

// Publish publishes pub on behalf of the session: it sets pub.Publisher,
// runs Handler.OnPublish and, unless the hook vetoed it (its error is
// returned), hands pub to Router.Publish.
func (s *Session) Publish(pub *Publication) error {
	if !s.Live() {
		return fmt.Errorf("wamp: publish to %q: session %s is not open", pub.Topic, s.id)
	}
	pub.Publisher = s
	if err := s.hook("OnPublish", func() error { return s.router.handler.OnPublish(s, pub) }); err != nil {
		return fmt.Errorf("wamp: publish to %q vetoed: %w", pub.Topic, err)
	}
	s.router.Publish(pub)
	return nil
}

// Call hands a call to Handler.OnCall.
func (s *Session) Call(call *Call) {
	s.hook("OnCall", func() error { s.router.handler.OnCall(s, call); return nil })
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
		s.router.log.Error("wamp handler panicked", "hook", name, "session", s.id, "panic", v, "stack", string(debug.Stack()))
		if name != "OnError" {
			func() {
				defer func() { _ = recover() }()
				s.router.handler.OnError(s, perr)
			}()
		}
		s.conn.Close(CloseInternalError, "internal error")
		err = perr
	}()
	return fn()
}
