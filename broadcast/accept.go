package broadcast

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/wampgate/wampgate/wamp"
)

// Accept starts the accepting side of a peer link on a WebSocket
// connection that negotiated Protocol; the gateway calls it from its
// subprotocol table, with the connection's messages bounded by
// MaxLinkMessage and its outbound queue by LinkWriteQueueLimit. Until the
// peer has proved the cluster secret, the only message it may send is the
// handshake: anything else closes the connection and nothing reaches the
// broker.
func (m *Mesh) Accept(c wamp.Conn) wamp.ProtocolSession {
	return &accepted{m: m, conn: c, nonce: newNonce()}
}

// RefuseOld answers a peer that negotiated one of OldProtocols: its first
// message is refused with 1008, counted and logged as a version mismatch.
func (m *Mesh) RefuseOld(c wamp.Conn, protocol string) wamp.ProtocolSession {
	return &oldPeer{m: m, conn: c, protocol: protocol}
}

// oldPeer is a connection from a node of another version.
type oldPeer struct {
	m        *Mesh
	conn     wamp.Conn
	protocol string
}

// Open implements wamp.ProtocolSession: the dialer speaks first.
func (o *oldPeer) Open() []byte { return nil }

// HandleMessage implements wamp.ProtocolSession.
func (o *oldPeer) HandleMessage([]byte, bool) error {
	o.m.authFailures.Add(1)
	o.m.logRefusal(o.conn.RemoteAddr(), versionMismatch(o.protocol))
	return &wamp.CloseError{Code: closePolicyViolation, Reason: "this node speaks " + Protocol}
}

// Closed implements wamp.ProtocolSession.
func (o *oldPeer) Closed() {}

// versionMismatch explains why a peer speaking protocol cannot link.
func versionMismatch(protocol string) error {
	return fmt.Errorf("the peer speaks %s, this node %s: nodes of different versions do not link (run one version on every node)",
		protocol, Protocol)
}

// Accepting-side states.
const (
	awaitHello = iota
	awaitAuth
	linkUp
)

// accepted is a connection a peer dialed to this node: a protocol session
// driven by the gateway's worker pool (messages in order, one at a time),
// and the link's transport once authenticated.
type accepted struct {
	m      *Mesh
	conn   wamp.Conn
	nonce  []byte
	state  int
	link   *link
	peer   hello // the dialer's hello
	closed atomic.Bool
}

// Open implements wamp.ProtocolSession: the dialer speaks first.
func (a *accepted) Open() []byte { return nil }

// HandleMessage implements wamp.ProtocolSession.
func (a *accepted) HandleMessage(msg []byte, binary bool) error {
	if !binary || len(msg) == 0 {
		return a.refuse(closeUnsupported, "peer links carry binary messages only", nil)
	}
	switch a.state {
	case awaitHello:
		if msg[0] != msgHello {
			return a.refuse(closePolicyViolation, "not authenticated", fmt.Errorf("message type %q before the handshake", msg[0]))
		}
		return a.hello(msg)
	case awaitAuth:
		if msg[0] != msgAuth {
			return a.refuse(closePolicyViolation, "not authenticated", fmt.Errorf("message type %q before authentication", msg[0]))
		}
		return a.auth(msg)
	}
	if msg[0] != msgBatch && msg[0] != msgAck {
		return &wamp.CloseError{Code: closeProtocolError, Reason: fmt.Sprintf("unexpected message type %q", msg[0])}
	}
	if err := a.link.handle(msg); err != nil {
		a.m.log.Warn("peer sent a malformed message", "peer", a.link.peer, "err", err)
		return &wamp.CloseError{Code: closeProtocolError, Reason: "malformed message"}
	}
	return nil
}

// hello answers the dialer's hello with a challenge and this node's proof.
func (a *accepted) hello(msg []byte) error {
	cfg := &a.m.cfg
	r := reader{b: msg[1:]}
	h := r.hello()
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes after the hello", errMalformed, len(r.b))
	}
	if r.err != nil {
		return a.refuse(closePolicyViolation, "malformed hello", r.err)
	}
	node := h.node
	l := a.m.links[node]
	switch {
	case l == nil:
		return a.refuse(closePolicyViolation, "unknown node",
			fmt.Errorf("node %q is not in this node's pool %v", node, cfg.Pool))
	case l.dials:
		return a.refuse(closePolicyViolation, "this node dials you",
			fmt.Errorf("node %q dialed, but this node dials it: every node needs the same pool list", node))
	}
	a.link = l
	h.nonce = append([]byte(nil), h.nonce...)
	a.peer = h
	ch := newMessage(msgChallenge, nonceSize+len(cfg.Node)+30+32)
	ch = appendHello(ch, hello{nonce: a.nonce, node: cfg.Node, boot: a.m.boot, maxMessage: a.m.maxMessage})
	ch = append(ch, proof(cfg.Secret, roleAcceptor, a.nonce, h.nonce, node, cfg.Node)...)
	a.conn.SendFrame(frameIn(ch, false))
	a.state = awaitAuth
	return nil
}

// auth checks the dialer's proof and brings the link up.
func (a *accepted) auth(msg []byte) error {
	cfg := &a.m.cfg
	want := proof(cfg.Secret, roleDialer, a.nonce, a.peer.nonce, a.link.peer, cfg.Node)
	if !validProof(msg[1:], want) {
		return a.refuse(closePolicyViolation, "authentication failed",
			errors.New("wrong proof of the cluster secret (different --cluster-secret?)"))
	}
	a.state = linkUp
	a.link.attach(a, a.peer.boot, a.peer.maxMessage)
	return nil
}

// refuse counts and logs a refused peer connection and closes it.
func (a *accepted) refuse(code uint16, reason string, err error) error {
	a.m.authFailures.Add(1)
	if err == nil {
		err = errors.New(reason)
	}
	a.m.logRefusal(a.conn.RemoteAddr(), err)
	return &wamp.CloseError{Code: code, Reason: reason}
}

// Closed implements wamp.ProtocolSession.
func (a *accepted) Closed() {
	a.closed.Store(true)
	if a.state == linkUp {
		a.link.detach(a, errors.New("connection closed"))
	}
}

// send implements transport. It never blocks: the link's in-flight window
// bounds what waits in the gateway's outbound queue (Mesh.LinkWriteQueueLimit).
func (a *accepted) send(msgs ...[]byte) error {
	if a.closed.Load() {
		return errClosed
	}
	for _, m := range msgs {
		a.conn.SendFrame(frameIn(m, false))
	}
	return nil
}

// close implements transport: the gateway flushes the close frame and
// bounds the close handshake by its linger timeout.
func (a *accepted) close(code uint16, reason string) { a.conn.Close(code, reason) }

// abort implements transport. The gateway owns the socket and closes it
// within its shutdown timeout; asking it again is all this side can do.
func (a *accepted) abort() { a.conn.Close(closeGoingAway, "node shutting down") }
