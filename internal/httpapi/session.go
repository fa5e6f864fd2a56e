package httpapi

import (
	"errors"
	"sync"

	"github.com/wampgate/wampgate/wamp"
)

// Who the API's sessions are: permissions name the role AuthRole.
const (
	AuthID       = "api"
	AuthRole     = "api"
	AuthMethod   = "apikey"
	AuthProvider = "wampgate"
)

// Protocol is the subprotocol name the API's sessions show to hooks and
// the meta API (wamp.session.get: transport.protocol).
const Protocol = "http-api"

// protocol describes the API's sessions to the core. They never
// subscribe, so no EVENT is ever encoded for them.
var protocol = &wamp.Protocol{
	Name:       Protocol,
	EventFrame: func(*wamp.Publication, *wamp.Subscription) []byte { return nil },
}

// realmSession is the API's session in one realm, made on first use and
// again when it was killed (wamp.session.kill). The core's session
// methods must not overlap (a client's messages are handled one at a
// time), so mu serializes them: the API's publications and call starts
// in a realm run one at a time, each as short as a client's.
type realmSession struct {
	realm *wamp.Realm

	mu      sync.Mutex
	sess    *wamp.Session
	request wamp.ID // the last call's request id (Call.Request)
	closed  bool
}

// session returns the live session, joining a new one when needed. The
// caller holds mu.
func (r *realmSession) session() (*wamp.Session, error) {
	if r.closed {
		return nil, errors.New("the node is shutting down")
	}
	if r.sess != nil && r.sess.Live() {
		return r.sess, nil
	}
	if r.sess != nil {
		r.sess.Leave() // killed: its connection's Close may not have run yet
	}
	auth := &wamp.Auth{ID: AuthID, Role: AuthRole, Method: AuthMethod, Provider: AuthProvider}
	conn := &sessionConn{r: r}
	conn.s = r.realm.NewSession(conn, protocol, auth)
	r.sess = conn.s
	r.sess.Join()
	return r.sess, nil
}

// left forgets s once its connection was closed (sessionConn.Close): it
// leaves its realm, ending its calls in flight; the next request joins a
// new session.
func (r *realmSession) left(s *wamp.Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sess == s {
		r.sess = nil
	}
	s.Leave()
}

// close ends the session for good.
func (r *realmSession) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.sess != nil {
		r.sess.Leave()
		r.sess = nil
	}
}

// publish publishes req through the session's publish path (hooks and
// permissions included) and returns the publication id.
func (r *realmSession) publish(req *PublishRequest) (wamp.ID, error) {
	pub := &wamp.Publication{
		Topic: req.Topic, Args: req.Args, Kwargs: req.Kwargs,
		Exclude: req.Exclude, Eligible: req.Eligible, Retain: req.Retain,
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.session()
	if err != nil {
		return 0, err
	}
	if err := s.Publish(pub); err != nil {
		if !errors.Is(err, wamp.ErrNotLive) {
			return 0, err
		}
		// Killed between the check and the publication: once more, on a
		// new session.
		if s, err = r.session(); err != nil {
			return 0, err
		}
		if err := s.Publish(pub); err != nil {
			return 0, err
		}
	}
	return pub.ID, nil
}

// call starts req's call through the session's call path; respond gets
// its answer (see apiCall). The call is canceled (killnowait) by cancel.
func (r *realmSession) call(req *CallRequest, respond func(*Response)) (cancel func()) {
	c := newAPICall(req, respond)
	call := wamp.NewCall(req.Procedure, req.Args, req.Kwargs, c)
	call.Timeout = req.Timeout
	r.mu.Lock()
	s, err := r.session()
	if err != nil {
		r.mu.Unlock()
		c.ReplyError(wamp.ErrorCanceled, wamp.Payload{}, wamp.Payload{})
		c.served()
		return func() {}
	}
	r.request++
	call.Request = r.request
	s.Call(call)
	r.mu.Unlock()
	c.served()
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.sess == s {
			s.Cancel(call.Request, wamp.CancelKillNoWait)
		}
	}
}

// sessionConn is the API session's connection: nothing is ever sent on
// it; it is closed only to end the session (wamp.session.kill, or a hook
// closing its peer).
type sessionConn struct {
	r *realmSession
	s *wamp.Session
}

// SendText implements wamp.Conn: nothing is sent.
func (*sessionConn) SendText([]byte) {}

// SendBinary implements wamp.Conn: nothing is sent.
func (*sessionConn) SendBinary([]byte) {}

// SendFrame implements wamp.Conn: nothing is sent.
func (*sessionConn) SendFrame([]byte) {}

// RemoteAddr implements wamp.Conn.
func (*sessionConn) RemoteAddr() string { return "api" }

// Close ends the session. A Conn must not call back into the core, and
// its caller may hold the realm session's lock, so the session leaves on
// another goroutine.
func (c *sessionConn) Close(uint16, string) { go c.r.left(c.s) }
