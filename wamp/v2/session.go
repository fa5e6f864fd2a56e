package v2

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/gobwas/ws"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// Session is the WAMP v2 protocol session of one WebSocket connection, the
// wamp.ProtocolSession the gateway drives for wamp.2.json, wamp.2.msgpack
// and wamp.2.cbor. It waits for HELLO, runs one core session (a
// wamp.Session in the realm HELLO names) until GOODBYE, then waits for
// the next HELLO, which starts a new core session with a new id.
//
// The gateway calls Open once, HandleMessage for each message in order
// and Closed once, never concurrently; Shutdown, Greeted and Client may be
// called from any goroutine. The struct is small on purpose (no map,
// no goroutine): a node holds about 20,000 of them.
type Session struct {
	router *wamp.Router
	conn   wamp.Conn
	proto  *Protocol
	// core is the established core session, nil while there is none.
	// Written only by the gateway's goroutine for this connection; read
	// from other goroutines only through state (see Core).
	core   *wamp.Session
	client atomic.Uint32 // ClientFeatures of the established session
	state  atomic.Uint32
	// authc decides who HELLO makes the session (nil: anonymous);
	// pending is the HELLO awaiting AUTHENTICATE, nil when none (read by
	// the gateway's sweeper: see ChallengedAt). See session_auth.go.
	authc   *auth.Conn
	pending atomic.Pointer[pendingAuth]
	// connect is the connect hook (nil: none); admitting is the core
	// session it is deciding, nil when none (session_connect.go).
	connect   ConnectHook
	admitting *wamp.Session
}

// Session states. stateNew → (HELLO) stateEstablished → (GOODBYE from the
// client) stateIdle → (HELLO) stateEstablished …; a HELLO that is
// challenged goes through stateChallenging until AUTHENTICATE, one a
// connect hook decides through stateAdmitting until its verdict; any state
// → stateClosed after an ABORT or when the connection is gone;
// stateEstablished → stateShuttingDown when the node shuts down (GOODBYE
// from the router).
const (
	stateNew uint32 = iota
	stateEstablished
	stateIdle
	stateShuttingDown
	stateClosed
	stateChallenging
	stateAdmitting // awaiting the connect hook's verdict
)

var _ wamp.ProtocolSession = (*Session)(nil)

// NewSession makes a v2 session on connection c served by router r, for
// the serializer of p, whose sessions are all anonymous. It sends
// nothing until the client's HELLO.
func NewSession(r *wamp.Router, c wamp.Conn, p *Protocol) *Session {
	return &Session{router: r, conn: c, proto: p}
}

// NewAuthSession is NewSession with authentication: a decides each
// HELLO (WELCOME, CHALLENGE or ABORT; see session_auth.go).
func NewAuthSession(r *wamp.Router, c wamp.Conn, p *Protocol, a *auth.Conn) *Session {
	return &Session{router: r, conn: c, proto: p, authc: a}
}

// Open implements wamp.ProtocolSession: a v2 client speaks first (HELLO),
// so there is nothing to send with the 101 response.
func (s *Session) Open() []byte { return nil }

// Greeted reports whether the client has sent a HELLO the router welcomed
// or challenged on this connection (the gateway closes connections that
// do not within the handshake timeout). Safe from any goroutine.
func (s *Session) Greeted() bool { return s.state.Load() != stateNew }

// Core is the established core session, nil while none is (before HELLO,
// after GOODBYE, after ABORT). Call it from the session's own goroutine
// (HandleMessage and what it calls).
func (s *Session) Core() *wamp.Session { return s.core }

// Client is what the client of the established session announced in
// HELLO.Details.roles (roles and the features the router acts upon); 0
// when no session is established. Safe from any goroutine (the dealer
// asks it of a callee while serving a caller).
func (s *Session) Client() ClientFeatures { return ClientFeatures(s.client.Load()) }

// Protocol is the v2 protocol (serializer) the session speaks.
func (s *Session) Protocol() *Protocol { return s.proto }

// HandleMessage implements wamp.ProtocolSession: it decodes one message in
// the session's serializer (the frame kind, text or binary, is not
// checked) and acts on it. A protocol violation is answered with ABORT
// wamp.error.protocol_violation and a *wamp.CloseError 1002; a panic
// closes the connection with 1011.
func (s *Session) HandleMessage(msg []byte, _ bool) (err error) {
	switch s.state.Load() {
	case stateClosed, stateShuttingDown:
		return nil // the connection is closing; a GOODBYE answering ours needs no reply
	}
	defer func() {
		if v := recover(); v != nil {
			s.router.Logger().Error("wamp v2: panic while handling a message",
				"session", s.ID(), "panic", v, "stack", string(debug.Stack()))
			err = &wamp.CloseError{Code: wamp.CloseInternalError, Reason: "internal error"}
			if s.core != nil {
				s.core.ReportError(err)
			}
			s.leave()
			s.state.Store(stateClosed)
		}
	}()
	var m Message
	if err := s.proto.ser.DecodeInto(msg, &m); err != nil {
		return s.violation(err.Error())
	}
	if s.core == nil {
		return s.handleOpening(&m)
	}
	return s.dispatch(&m)
}

// Closed implements wamp.ProtocolSession: the core session, if any,
// leaves its realm.
func (s *Session) Closed() {
	s.leave()
	s.endChallenge()
	s.state.Store(stateClosed)
}

// ID is the id of the established session, 0 when there is none. Call
// it from the session's own goroutine.
func (s *Session) ID() wamp.ID {
	if c := s.core; c != nil {
		return c.ID()
	}
	return 0
}

// Shutdown says GOODBYE wamp.close.system_shutdown to an established
// session: the node is stopping, and the gateway closes the connection
// (1001) right after. It does nothing otherwise. Safe from any goroutine;
// the client's GOODBYE in reply gets no answer.
func (s *Session) Shutdown() {
	if s.state.CompareAndSwap(stateEstablished, stateShuttingDown) {
		s.send(&Message{Type: Goodbye, URI: CloseSystemShutdown,
			Dict: map[string]any{"message": "the node is shutting down"}})
	}
}

// handleOpening handles a message while no session is established:
// HELLO, or the client's ABORT (after a CHALLENGE: AUTHENTICATE or
// ABORT); anything else violates the protocol.
func (s *Session) handleOpening(m *Message) error {
	switch s.state.Load() {
	case stateChallenging:
		return s.handleChallenged(m)
	case stateAdmitting: // only a message that does not wait for the hook (CANCEL)
		return s.violation(fmt.Sprintf("%s before WELCOME", m.Type))
	}
	switch m.Type {
	case Hello:
		return s.handleHello(m)
	case Abort:
		return s.clientAbort()
	}
	if s.state.Load() == stateIdle {
		return s.violation(fmt.Sprintf("%s after GOODBYE, before a new HELLO", m.Type))
	}
	return s.violation(fmt.Sprintf("%s before HELLO", m.Type))
}

// dispatch handles a message of an established session.
func (s *Session) dispatch(m *Message) error {
	switch m.Type {
	case Subscribe:
		return s.handleSubscribe(m)
	case Unsubscribe:
		return s.handleUnsubscribe(m)
	case Publish:
		return s.handlePublish(m)
	case Register, Unregister, Call, Cancel, Yield:
		return s.handleRPC(m)
	case Error:
		if m.ReqType != Invocation {
			return s.violation(fmt.Sprintf("ERROR answering a %s: a client answers only INVOCATION", m.ReqType))
		}
		return s.handleRPC(m)
	case Goodbye:
		return s.handleGoodbye()
	case Abort:
		return s.clientAbort()
	case Hello:
		return s.violation("second HELLO in an established session")
	case Authenticate:
		return s.violation("AUTHENTICATE without a CHALLENGE")
	}
	return s.violation(fmt.Sprintf("%s is a router-to-client message", m.Type))
}

// handleHello answers a HELLO: ABORT wamp.error.no_such_realm (and
// close) when the node has no such realm, a protocol violation when the
// roles are malformed, else what authentication decides (WELCOME,
// CHALLENGE or ABORT).
func (s *Session) handleHello(m *Message) error {
	realm := s.router.Realm(m.URI)
	if realm == nil {
		s.abort(ErrNoSuchRealm, fmt.Sprintf("no realm %q on this node", m.URI))
		s.conn.Close(uint16(ws.StatusNormalClosure), "no such realm")
		return nil
	}
	client, err := parseRoles(m.Dict)
	if err != nil {
		return s.violation(err.Error())
	}
	return s.authenticate(realm, client, m.Dict)
}

// establish joins a core session to realm as id (nil: anonymous) and
// sends WELCOME, with authextra when extra is not nil.
func (s *Session) establish(realm *wamp.Realm, client ClientFeatures, id *wamp.Auth, extra map[string]any) {
	s.join(realm.NewSession(s.conn, &s.proto.Protocol, id), client, extra)
}

// join joins core and sends WELCOME.
func (s *Session) join(core *wamp.Session, client ClientFeatures, extra map[string]any) {
	core.Join()
	s.core = core
	s.client.Store(uint32(client))
	details := map[string]any{
		"roles":        routerRoles(),
		"agent":        s.router.Agent(),
		"authid":       core.AuthID(),
		"authrole":     core.AuthRole(),
		"authmethod":   core.AuthMethod(),
		"authprovider": core.AuthProvider(),
	}
	if extra != nil {
		details["authextra"] = extra
	}
	s.send(&Message{Type: Welcome, Request: uint64(core.ID()), Dict: details})
	s.state.Store(stateEstablished)
}

// handleGoodbye ends the established session at the client's request:
// the core session leaves, GOODBYE wamp.close.goodbye_and_out answers,
// and the connection waits for a new HELLO. A GOODBYE answering the
// router's own (the session was killed: wamp.Session.Kill) gets no
// answer.
func (s *Session) handleGoodbye() error {
	if !s.state.CompareAndSwap(stateEstablished, stateIdle) {
		return nil // the node is shutting down and has said GOODBYE itself
	}
	killed := !s.core.Live()
	s.leave()
	if !killed {
		s.send(&Message{Type: Goodbye, URI: CloseGoodbyeAndOut})
	}
	return nil
}

// clientAbort ends everything after the client's ABORT: no reply, the
// connection is closed normally.
func (s *Session) clientAbort() error {
	s.leave()
	s.endChallenge()
	s.state.Store(stateClosed)
	s.conn.Close(uint16(ws.StatusNormalClosure), "session aborted by the client")
	return nil
}

// violation answers a protocol violation: ABORT
// wamp.error.protocol_violation with what was wrong as Details.message,
// then close 1002 (the *wamp.CloseError returned).
func (s *Session) violation(why string) error {
	if s.core != nil {
		s.core.ReportError(fmt.Errorf("wamp v2 protocol violation: %s", why))
	}
	s.abort(ErrProtocolViolation, why)
	return &wamp.CloseError{Code: wamp.CloseProtocolError, Reason: "protocol violation"}
}

// abort sends ABORT with reason uri and Details {"message": why} and ends
// the session; the caller closes the connection.
func (s *Session) abort(uri, why string) {
	s.leave()
	s.endChallenge()
	s.state.Store(stateClosed)
	s.send(&Message{Type: Abort, URI: uri, Dict: map[string]any{"message": why}})
}

// leave ends the established core session, if any: the dealer's state
// first, then the core (subscriptions, registry, OnClose); and frees the
// session a connect hook is deciding, if any.
func (s *Session) leave() {
	s.releaseAdmitting()
	if s.core == nil {
		return
	}
	s.leaveRPC()
	s.core.Leave()
	s.core = nil
	s.client.Store(0)
}

// send encodes m and queues it as one frame of the session's kind (text
// for JSON, binary otherwise). A message that cannot be encoded (a bug)
// is logged and closes the connection with 1011.
func (s *Session) send(m *Message) {
	b, err := s.proto.ser.Append(nil, m)
	if err != nil {
		s.router.Logger().Error("wamp v2: cannot encode a message", "type", m.Type, "err", err)
		s.conn.Close(wamp.CloseInternalError, "internal error")
		return
	}
	if s.proto.op == ws.OpText {
		s.conn.SendText(b)
	} else {
		s.conn.SendBinary(b)
	}
}

// sendError answers the request req of type reqType with ERROR: the error
// uri and, as Arguments, [text] (a description for developers).
func (s *Session) sendError(reqType Type, req uint64, uri, text string) {
	args, err := value.Append(s.proto.ser.format, nil, []any{text})
	if err != nil {
		args = nil // text is not valid UTF-8: the URI alone says enough
	}
	s.send(&Message{Type: Error, ReqType: reqType, Request: req, URI: uri, Args: args})
}
