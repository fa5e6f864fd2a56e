package broadcast

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/wampgate/wampgate/wamp"
)

// Accept starts the accepting side of a peer link on a WebSocket
// connection that negotiated Protocol; the gateway calls it from its
// subprotocol table. Until the peer has proved the cluster secret, the
// only message it may send is the handshake: anything else closes the
// connection and nothing reaches the broker.
func (m *Mesh) Accept(c wamp.Conn) wamp.ProtocolSession {
	a := &accepted{m: m, conn: c, nonce: newNonce()}
	if q, ok := c.(interface{ QueuedBytes() int }); ok {
		a.queued = q.QueuedBytes
	}
	return a
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
	queued func() int // bytes queued for the peer; nil if unknown
	nonce  []byte
	state  int
	link   *link
	peerN  []byte // the dialer's nonce
	boot   uint64
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
	if msg[0] != msgBatch {
		return &wamp.CloseError{Code: closeProtocolError, Reason: fmt.Sprintf("unexpected message type %q", msg[0])}
	}
	if err := a.link.receive(msg); err != nil {
		a.m.log.Warn("peer sent a malformed batch", "peer", a.link.peer, "err", err)
		return &wamp.CloseError{Code: closeProtocolError, Reason: "malformed batch"}
	}
	return nil
}

// hello answers the dialer's hello with a challenge and this node's proof.
func (a *accepted) hello(msg []byte) error {
	cfg := &a.m.cfg
	r := reader{b: msg[1:]}
	a.peerN = r.fixed(nonceSize)
	node := string(r.bytes())
	a.boot = r.uvarint()
	if r.err != nil {
		return a.refuse(closePolicyViolation, "malformed hello", r.err)
	}
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
	a.peerN = append([]byte(nil), a.peerN...)
	ch := newMessage(msgChallenge, nonceSize+len(cfg.Node)+20+32)
	ch = append(ch, a.nonce...)
	ch = appendString(ch, cfg.Node)
	ch = binary.AppendUvarint(ch, a.m.boot)
	ch = append(ch, proof(cfg.Secret, roleAcceptor, a.nonce, a.peerN, node, cfg.Node)...)
	a.conn.SendFrame(frameIn(ch, false))
	a.state = awaitAuth
	return nil
}

// auth checks the dialer's proof and brings the link up.
func (a *accepted) auth(msg []byte) error {
	cfg := &a.m.cfg
	want := proof(cfg.Secret, roleDialer, a.nonce, a.peerN, a.link.peer, cfg.Node)
	if !validProof(msg[1:], want) {
		return a.refuse(closePolicyViolation, "authentication failed",
			errors.New("wrong proof of the cluster secret (different --cluster-secret?)"))
	}
	a.state = linkUp
	a.link.attach(a, a.boot)
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

// acceptedHighWater is how many bytes may wait in the gateway's outbound
// queue of a peer connection before the link's writer waits for it to
// drain: the link's own queue, not the socket's, absorbs bursts.
const acceptedHighWater = 1 << 20

// send implements transport.
func (a *accepted) send(buf []byte) error {
	if a.queued != nil {
		deadline := time.Now().Add(writeTimeout)
		for a.queued() > acceptedHighWater {
			if a.closed.Load() {
				return errClosed
			}
			if time.Now().After(deadline) {
				return errors.New("peer reads nothing")
			}
			select {
			case <-a.m.done:
				return errClosed
			case <-time.After(time.Millisecond):
			}
		}
	}
	if a.closed.Load() {
		return errClosed
	}
	a.conn.SendFrame(frameIn(buf, false))
	return nil
}

// close implements transport.
func (a *accepted) close(code uint16, reason string) { a.conn.Close(code, reason) }
