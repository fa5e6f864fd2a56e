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
// time), so every operation runs through ops, the session's
// wamp.OpQueue: one at a time, and behind a publish or call hook in
// flight (whose answer continues the operation on the hook's
// goroutine). mu guards the session's replacement.
type realmSession struct {
	realm *wamp.Realm
	ops   *wamp.OpQueue

	mu      sync.Mutex
	sess    *wamp.Session
	request wamp.ID // the last call's request id (Call.Request)
	closed  bool
}

func newRealmSession(realm *wamp.Realm) *realmSession {
	return &realmSession{realm: realm, ops: wamp.NewOpQueue()}
}

// do runs op through ops: now, or behind the hooks in flight. It fails
// (a *wamp.CloseError) when wamp.MaxOpsWaiting operations wait already.
func (r *realmSession) do(op func()) error {
	queued, err := r.ops.Push(op)
	if err == nil && !queued {
		r.ops.Run(op)
	}
	return err
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
	r.ops.Run(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.sess == s {
			r.sess = nil
		}
		s.Leave()
	})
}

// close ends the session for good.
func (r *realmSession) close() {
	r.ops.Run(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.closed = true
		if r.sess != nil {
			r.sess.Leave()
			r.sess = nil
		}
	})
}

// publish publishes req through the session's publish path (permissions
// and the publish hook included); done gets the publication id or the
// refusal, at once or once the hook answered, exactly once.
func (r *realmSession) publish(req *PublishRequest, done func(wamp.ID, error)) {
	pub := &wamp.Publication{
		Topic: req.Topic, Args: req.Args, Kwargs: req.Kwargs,
		Exclude: req.Exclude, Eligible: req.Eligible, Retain: req.Retain,
	}
	if err := r.do(func() { r.publishNow(pub, done) }); err != nil {
		done(0, err)
	}
}

// publishNow is publish's operation, run through ops (so a hook's answer
// cannot run before it returned).
func (r *realmSession) publishNow(pub *wamp.Publication, done func(wamp.ID, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for retried := false; ; retried = true {
		s, err := r.session()
		if err != nil {
			done(0, err)
			return
		}
		answered, later := false, false
		var now error
		s.PublishThen(pub, func(err error) {
			if later { // the hook's answer, through ops, after publishNow returned
				done(pub.ID, err)
				return
			}
			answered, now = true, err
		})
		if !answered {
			later = true
			return
		}
		if errors.Is(now, wamp.ErrNotLive) && !retried {
			continue // killed between the check and the publication: once more, on a new session
		}
		done(pub.ID, now)
		return
	}
}

// call starts req's call through the session's call path; respond gets
// its answer (see apiCall). The call is canceled (killnowait) by cancel.
func (r *realmSession) call(req *CallRequest, respond func(*Response)) (cancel func()) {
	c := newAPICall(req, respond)
	call := wamp.NewCall(req.Procedure, req.Args, req.Kwargs, c)
	call.Timeout = req.Timeout
	var caller *wamp.Session // under mu
	err := r.do(func() {
		r.mu.Lock()
		s, err := r.session()
		if err != nil {
			r.mu.Unlock()
			c.ReplyError(wamp.ErrorCanceled, wamp.Payload{}, wamp.Payload{})
			c.served()
			return
		}
		r.request++
		call.Request = r.request
		caller = s
		s.Call(call)
		r.mu.Unlock()
		c.served()
	})
	if err != nil {
		c.ReplyError(wamp.ErrorTooManyCalls, wamp.Payload{}, wamp.Payload{})
		c.served()
		return func() {}
	}
	return func() {
		r.ops.Run(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if caller != nil && r.sess == caller {
				caller.Cancel(call.Request, wamp.CancelKillNoWait)
			}
		})
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

// Ops implements the core's optional interface: the session's operation
// hooks hold the realm session's queue.
func (c *sessionConn) Ops() *wamp.OpQueue { return c.r.ops }
