package gateway

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/internal/httpapi"
	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/netpoll"
	"github.com/wampgate/wampgate/wamp"
)

// Connection phases.
const (
	phaseHandshake int32 = iota // collecting the HTTP request head
	phaseOpen                   // WebSocket open, WAMP session running
	phaseClosing                // close frame sent or answered; input ignored
	phaseAPI                    // plain HTTP for the API (conn.api serves it)
)

// conn is one client connection: the HTTP upgrade, RFC 6455 framing and
// the WAMP session on top. It implements netpoll.Handler (input arrives
// from one worker at a time), wsframe.Sink and wamp.Conn (output, from any
// goroutine).
type conn struct {
	nc    netpoll.Conn // embedded: one allocation per connection
	node  *Node
	phase atomic.Int32
	// acceptedAt is when the connection was accepted (set before the
	// connection is published); lastPing is when the node last pinged it
	// (the sweeper's own). Unix nanoseconds.
	acceptedAt int64
	lastPing   int64
	head       []byte // request head bytes while in phaseHandshake
	parser     wsframe.Parser
	session    wamp.ProtocolSession
	api        *httpapi.Conn // in phaseAPI
	// ops orders the session's messages while operation hooks are in
	// flight; nil when the node has no hooks.
	ops *wamp.OpQueue
}

// urgent is a protocol session some of whose messages must not wait
// behind operation hooks (WAMP v2's CANCEL).
type urgent interface {
	Urgent(msg []byte) bool
}

// Ops implements the core's optional interface: the sessions on c share
// its queue.
func (c *conn) Ops() *wamp.OpQueue { return c.ops }

var errHandshakeTimeout = errors.New("handshake timeout")

// greetingWaiter is a protocol session whose client must speak first
// (WAMP v2's HELLO): the sweeper closes the connection when it has not
// within the handshake timeout of connecting.
type greetingWaiter interface {
	Greeted() bool
}

// challenger is a protocol session that may await the client's answer to
// a challenge (WAMP v2's AUTHENTICATE after CHALLENGE): ChallengedAt is
// when it sent it, in unix nanoseconds, 0 when it awaits none. The
// sweeper closes the connection when the answer takes longer than the
// handshake timeout.
type challenger interface {
	ChallengedAt() int64
}

// goodbyeSayer is a protocol session that says goodbye in its own
// protocol before the node's 1001 close on shutdown (WAMP v2's GOODBYE
// wamp.close.system_shutdown).
type goodbyeSayer interface {
	Shutdown()
}

// OnData implements netpoll.Handler.
func (c *conn) OnData(data []byte) error {
	switch c.phase.Load() {
	case phaseHandshake:
		c.handshakeData(data)
	case phaseOpen:
		if err := c.parser.Feed(data, c); err != nil {
			c.fail(err)
		}
	case phaseAPI:
		c.api.Feed(data)
	}
	return nil // closing: drain and ignore until the peer closes
}

// OnClose implements netpoll.Handler.
func (c *conn) OnClose(err error) {
	c.phase.Store(phaseClosing)
	if c.session != nil {
		if q := c.ops; q != nil {
			q.Close(c.session.Closed)
		} else {
			c.session.Closed()
		}
		c.node.stats.sessionsClosed.Add(1)
	}
	if c.api != nil {
		c.api.Closed()
	}
	if err != nil && !errors.Is(err, netpoll.ErrClosed) {
		c.node.log.Debug("connection closed", "remote", c.nc.RemoteAddr(), "err", err)
	}
}

// handshakeData collects the request head, bounded by MaxHeaderSize, and
// answers it once complete. Bytes pipelined after the head are WebSocket
// frames and are parsed right away.
func (c *conn) handshakeData(data []byte) {
	from := max(len(c.head)-3, 0)
	c.head = append(c.head, data...)
	i := bytes.Index(c.head[from:], headEnd)
	end := from + i + len(headEnd)
	if (i < 0 && len(c.head) > c.node.cfg.MaxHeaderSize) || (i >= 0 && end > c.node.cfg.MaxHeaderSize) {
		c.node.stats.handshakesFailed.Add(1)
		c.refuse(httpResponse(413, "Request Entity Too Large", "text/plain; charset=utf-8", "",
			[]byte("wampgate: request head too large\n")))
		return
	}
	if i < 0 {
		return
	}
	head, rest := c.head[:end], c.head[end:]
	rl := parseHead(head)
	if c.node.api != nil && !rl.upgrade && httpapi.IsAPIPath(rl.target) {
		c.startAPI()
		return
	}
	c.head = nil
	c.answerHead(head, rl)
	if c.phase.Load() == phaseOpen && len(rest) > 0 {
		if err := c.parser.Feed(rest, c); err != nil {
			c.fail(err)
		}
	}
}

// answerHead serves plain HTTP (health check, refusal) or upgrades the
// connection and sends the 101 response and the WELCOME in one write.
func (c *conn) answerHead(head []byte, rl requestLine) {
	n := c.node
	if !rl.upgrade {
		c.answerPlain(rl.method, rl.target)
		return
	}
	hio := handshakeIO{out: make([]byte, 0, 256)}
	hio.r.Reset(head)
	hs, err := n.upgrader.Upgrade(&hio)
	if err != nil {
		n.stats.handshakesFailed.Add(1)
		c.refuse(hio.out)
		return
	}
	proto := n.protocols.lookup([]byte(hs.Protocol))
	if proto == nil {
		n.stats.handshakesFailed.Add(1)
		c.refuse(upgradeRequired("No Sec-WebSocket-Protocols requested supported", n.protocols.names()))
		return
	}
	var token *auth.Token
	if proto.version != 0 {
		var refusal []byte
		if token, refusal = n.authenticateHandshake(head, proto.version, c.nc.RemoteAddr().String()); refusal != nil {
			n.stats.handshakesFailed.Add(1)
			c.refuse(refusal)
			return
		}
	}
	c.parser.MaxMessage = n.cfg.MaxMessageSize
	if proto.maxMessage > 0 {
		c.parser.MaxMessage = proto.maxMessage
	}
	if proto.writeQueueLimit > 0 {
		c.nc.SetWriteQueueLimit(proto.writeQueueLimit)
	}
	if n.hooks != nil && proto.version != 0 {
		c.ops = wamp.NewOpQueue()
	}
	c.session = proto.open(n.router, c, token)
	c.phase.Store(phaseOpen)
	n.stats.handshakes.Add(1)
	out := hio.out
	if first := c.session.Open(); first != nil {
		out = wsframe.AppendText(out, first)
	}
	c.send(out)
}

// answerPlain answers a plain HTTP request (no upgrade) and closes the
// connection: /healthz, or 426.
func (c *conn) answerPlain(method, target string) {
	n := c.node
	n.stats.plainHTTP.Add(1)
	if method == "GET" && (target == "/healthz" || target == "/healthz/") {
		c.refuse(httpResponse(200, "OK", "application/json", "", n.healthJSON()))
		return
	}
	c.refuse(upgradeRequired("Upgrade Required", n.protocols.names()))
}

// refuse answers the handshake and closes the connection.
func (c *conn) refuse(response []byte) {
	c.phase.Store(phaseClosing)
	c.head = nil
	c.nc.Close(response)
}

// abort drops what is queued and closes the connection with a FIN, no
// close frame (a handshake that never completed); safe from any goroutine.
func (c *conn) abort(err error) {
	c.phase.Store(phaseClosing)
	c.nc.Abort(nil, err)
}

// Message implements wsframe.Sink: one complete WAMP message.
func (c *conn) Message(op ws.OpCode, payload []byte) error {
	if c.phase.Load() != phaseOpen {
		return nil
	}
	c.node.stats.messagesIn.Add(1)
	if q := c.ops; q != nil {
		c.queueMessage(q, op, payload)
		return nil
	}
	c.handleMessage(op, payload)
	return nil
}

// queueMessage hands one message to the session through the queue q:
// now, or after the operation hooks in flight answered (a copy).
func (c *conn) queueMessage(q *wamp.OpQueue, op ws.OpCode, payload []byte) {
	if q.Busy() {
		if u, ok := c.session.(urgent); !ok || !u.Urgent(payload) {
			msg := append([]byte(nil), payload...)
			queued, err := q.Push(func() { c.handleMessage(op, msg) })
			if err != nil {
				c.node.stats.protocolErrors.Add(1)
				c.closeWith(ws.StatusPolicyViolation, wamp.OpsWaitingReason)
			}
			if queued || err != nil {
				return
			}
		}
	}
	q.Run(func() { c.handleMessage(op, payload) })
}

// handleMessage hands one message to the session and closes the
// connection as its error asks.
func (c *conn) handleMessage(op ws.OpCode, payload []byte) {
	if c.phase.Load() != phaseOpen {
		return
	}
	if err := c.session.HandleMessage(payload, op == ws.OpBinary); err != nil {
		var ce *wamp.CloseError
		if errors.As(err, &ce) {
			c.node.stats.protocolErrors.Add(1)
			c.closeWith(ws.StatusCode(ce.Code), ce.Reason)
		} else {
			c.node.log.Warn("session error", "remote", c.nc.RemoteAddr(), "err", err)
			c.closeWith(ws.StatusInternalServerError, "internal error")
		}
	}
}

// Control implements wsframe.Sink: ping, pong and close.
func (c *conn) Control(op ws.OpCode, payload []byte) error {
	switch op {
	case ws.OpPing:
		c.send(wsframe.AppendControl(make([]byte, 0, 2+len(payload)), ws.OpPong, payload))
	case ws.OpClose:
		c.answerClose(payload)
	}
	return nil // pong: only proves the peer is alive (netpoll saw bytes)
}

// answerClose completes a close handshake the peer started: the close
// frame is echoed (code and reason, as Ratchet does), or answered with
// 1002/1007 when it is malformed.
func (c *conn) answerClose(payload []byte) {
	var answer []byte
	switch {
	case len(payload) == 0:
		answer = wsframe.AppendClose(nil, ws.StatusNormalClosure, "")
	case len(payload) == 1:
		answer = wsframe.AppendClose(nil, ws.StatusProtocolError, "close frame payload of one byte")
	case !validCloseCode(binary.BigEndian.Uint16(payload)):
		answer = wsframe.AppendClose(nil, ws.StatusProtocolError, "invalid close code")
	case !utf8.Valid(payload[2:]):
		answer = wsframe.AppendClose(nil, ws.StatusInvalidFramePayloadData, "close reason is not valid UTF-8")
	default:
		answer = wsframe.AppendControl(make([]byte, 0, 2+len(payload)), ws.OpClose, payload)
	}
	// The close handshake is complete: close TCP once the answer is out.
	if c.phase.Swap(phaseClosing) != phaseClosing {
		c.nc.CloseAfterPeer(answer)
	}
}

// validCloseCode reports whether a peer may send code (RFC 6455 §7.4).
func validCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// fail closes the connection after a framing violation.
func (c *conn) fail(err error) {
	var pe *wsframe.ProtocolError
	if errors.As(err, &pe) {
		c.node.stats.protocolErrors.Add(1)
		c.closeWith(pe.Code, pe.Reason)
		return
	}
	c.closeWith(ws.StatusInternalServerError, "internal error")
}

// closeWith sends a close frame and closes the connection gracefully.
func (c *conn) closeWith(code ws.StatusCode, reason string) {
	if c.phase.Swap(phaseClosing) == phaseClosing {
		return
	}
	c.nc.Close(wsframe.AppendClose(nil, code, reason))
}

// send queues bytes; a peer that lets its queue pass the limit is closed.
func (c *conn) send(b []byte) {
	if err := c.nc.Send(b); errors.Is(err, netpoll.ErrQueueFull) {
		c.slowConsumer()
	}
}

// slowConsumer closes a connection whose peer does not read fast enough:
// the events queued for it are dropped (the one being written is
// finished), and the close frame 1008 follows at that frame boundary; it
// reaches the peer if the peer reads within the linger timeout.
func (c *conn) slowConsumer() {
	if c.phase.Swap(phaseClosing) == phaseClosing {
		return
	}
	c.node.stats.slowConsumers.Add(1)
	c.node.log.Warn("closing slow consumer", "remote", c.nc.RemoteAddr(),
		"queued_bytes", c.nc.QueuedBytes(), "limit", c.node.cfg.WriteQueueLimit)
	c.nc.Abort(wsframe.AppendClose(nil, ws.StatusPolicyViolation, "slow consumer"), netpoll.ErrQueueFull)
}

// SendText implements wamp.Conn.
func (c *conn) SendText(msg []byte) { c.send(wsframe.Text(msg)) }

// SendBinary implements wamp.Conn.
func (c *conn) SendBinary(msg []byte) { c.send(wsframe.Binary(msg)) }

// SendFrame implements wamp.Conn.
func (c *conn) SendFrame(frame []byte) { c.send(frame) }

// Close implements wamp.Conn.
func (c *conn) Close(code uint16, reason string) { c.closeWith(ws.StatusCode(code), reason) }

// RemoteAddr implements wamp.Conn.
func (c *conn) RemoteAddr() string { return c.nc.RemoteAddr().String() }

// sweep enforces the handshake timeout (for WAMP v2, the HTTP upgrade and
// the first HELLO together, counted from the accept, and AUTHENTICATE
// counted from its CHALLENGE), the ping interval and the idle timeout;
// the node's sweeper calls it periodically.
func (c *conn) sweep(now time.Time) {
	cfg := &c.node.cfg
	switch c.phase.Load() {
	case phaseHandshake:
		if now.UnixNano()-c.acceptedAt > int64(cfg.HandshakeTimeout) {
			c.node.stats.handshakeTimeouts.Add(1)
			c.abort(errHandshakeTimeout)
		}
	case phaseAPI:
		c.api.Sweep(now, cfg.HandshakeTimeout)
	case phaseOpen:
		if g, ok := c.session.(greetingWaiter); ok && !g.Greeted() &&
			now.UnixNano()-c.acceptedAt > int64(cfg.HandshakeTimeout) {
			c.node.stats.helloTimeouts.Add(1)
			c.closeWith(ws.StatusPolicyViolation, "no HELLO within the handshake timeout")
			return
		}
		if ch, ok := c.session.(challenger); ok {
			if at := ch.ChallengedAt(); at != 0 && now.UnixNano()-at > int64(cfg.HandshakeTimeout) {
				c.node.stats.authenticateTimeouts.Add(1)
				c.closeWith(ws.StatusPolicyViolation, "no AUTHENTICATE within the handshake timeout")
				return
			}
		}
		silent := now.Sub(c.nc.LastRead())
		if cfg.IdleTimeout > 0 && silent > cfg.IdleTimeout {
			c.node.stats.idleClosed.Add(1)
			c.closeWith(ws.StatusGoingAway, "idle timeout")
			return
		}
		if cfg.PingInterval > 0 && silent >= cfg.PingInterval &&
			now.UnixNano()-c.lastPing >= int64(cfg.PingInterval) {
			c.lastPing = now.UnixNano()
			c.node.stats.pingsSent.Add(1)
			c.send(pingFrame)
		}
	}
}

// pingFrame is the node's keepalive ping, shared by every connection.
var pingFrame = wsframe.AppendControl(nil, ws.OpPing, nil)
