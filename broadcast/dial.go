package broadcast

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/internal/wsframe"
)

// dialLoop keeps the link connected when this node is its dialing side:
// dial, authenticate, read until the connection fails, then wait a
// randomized, exponentially growing backoff and dial again.
func (l *link) dialLoop() {
	defer l.m.wg.Done()
	backoff := l.m.cfg.MinBackoff
	failures := 0
	for {
		err := l.connect()
		select {
		case <-l.m.done:
			return
		default:
		}
		if err == nil {
			backoff, failures = l.m.cfg.MinBackoff, 0 // it was up: start over
		} else {
			l.dialFailures.Add(1)
			l.setError(err)
			failures++
			// Say it once, then every 50th attempt: a peer that is down
			// for long must not flood the log.
			if failures == 1 || failures%50 == 0 {
				l.m.log.Warn("peer unreachable", "peer", l.peer, "attempts", failures, "err", err)
			}
		}
		// Equal jitter: half the backoff fixed, half random, so nodes that
		// lost a peer together do not redial in lockstep.
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-time.After(wait):
		case <-l.m.done:
			return
		}
		backoff = min(2*backoff, l.m.cfg.MaxBackoff)
	}
}

// setError records the last failure for the status page.
func (l *link) setError(err error) {
	l.mu.Lock()
	l.lastErr = err.Error()
	l.mu.Unlock()
}

// connect dials the peer, authenticates and serves the connection until
// it fails. It returns nil when the link was up and later went down.
func (l *link) connect() error {
	cfg := &l.m.cfg
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DialTimeout)
	defer cancel()
	finished := make(chan struct{})
	defer close(finished)
	var mu sync.Mutex
	var live *dialed
	go func() { // shutdown closes a dial, a handshake or a link in progress
		select {
		case <-l.m.done:
			cancel()
			mu.Lock()
			dc := live
			mu.Unlock()
			if dc != nil {
				dc.close(closeGoingAway, "node shutting down")
			}
		case <-finished:
		}
	}()
	var refused error
	d := ws.Dialer{Protocols: []string{Protocol}, Timeout: cfg.DialTimeout,
		OnStatusError: func(status int, _ []byte, resp io.Reader) { refused = otherVersion(status, resp) }}
	conn, br, hs, err := d.Dial(ctx, "ws://"+l.peer+"/")
	if err != nil {
		if refused != nil {
			return refused
		}
		return fmt.Errorf("dial: %w", err)
	}
	if hs.Protocol != Protocol {
		conn.Close()
		return fmt.Errorf("dial: the peer did not accept subprotocol %s (is it a wampgate node with this pool?)", Protocol)
	}
	dc := &dialed{link: l, conn: conn, nonce: newNonce(), done: make(chan struct{})}
	dc.parser.ServerFrames = true
	dc.parser.MaxMessage = l.m.maxMessage
	mu.Lock()
	live = dc
	mu.Unlock()
	select {
	case <-l.m.done: // the watcher may have looked before live was set
		dc.close(closeGoingAway, "")
	default:
	}
	err = dc.serve(br)
	l.detach(dc, err)
	if !dc.up {
		return err
	}
	return nil
}

// otherVersion explains a refused upgrade whose answer offers another
// version of the peer protocol (a 426 from a node of another release);
// nil when it does not.
func otherVersion(status int, resp io.Reader) error {
	if status != http.StatusUpgradeRequired {
		return nil
	}
	r, err := http.ReadResponse(bufio.NewReader(io.LimitReader(resp, 16<<10)), nil)
	if err != nil {
		return nil
	}
	for _, p := range strings.Split(r.Header.Get("Sec-WebSocket-Protocol"), ",") {
		if p = strings.TrimSpace(p); strings.HasPrefix(p, "wampgate.peer.") && p != Protocol {
			return versionMismatch(p)
		}
	}
	return nil
}

// dialed is a connection this node dialed. Its reader goroutine runs the
// handshake and then receives the peer's messages; the link's writer, the
// pinger and the reader (pongs) write.
type dialed struct {
	link   *link
	conn   net.Conn
	nonce  []byte
	parser wsframe.Parser
	up     bool
	done   chan struct{}
	once   sync.Once
	// dmu orders setting a write deadline against close: once close has
	// cut every deadline short, no writer sets a longer one.
	dmu    sync.Mutex
	closed bool
}

// serve sends the hello, then reads until the connection fails.
func (d *dialed) serve(br *bufio.Reader) error {
	defer d.close(closeGoingAway, "")
	l := d.link
	h := newMessage(msgHello, nonceSize+len(l.m.cfg.Node)+30)
	h = appendHello(h, hello{nonce: d.nonce, node: l.m.cfg.Node, boot: l.m.boot, maxMessage: l.m.maxMessage})
	if err := d.send(h); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	deadline := time.Now().Add(l.m.cfg.DialTimeout)
	if err := d.conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	if br != nil { // bytes the dialer read past the 101 response
		data, _ := br.Peek(br.Buffered())
		err := d.parser.Feed(data, d)
		ws.PutReader(br)
		if err != nil {
			return err
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := d.conn.Read(buf)
		if n > 0 {
			if err := d.parser.Feed(buf[:n], d); err != nil {
				return err
			}
			if d.up {
				deadline = time.Now().Add(3 * l.m.cfg.PingInterval)
			}
			if err := d.conn.SetReadDeadline(deadline); err != nil {
				return err
			}
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
	}
}

// Message implements wsframe.Sink: the challenge, then batches and
// acknowledgements.
func (d *dialed) Message(op ws.OpCode, msg []byte) error {
	if op != ws.OpBinary || len(msg) == 0 {
		return errors.New("unexpected non-binary message")
	}
	if d.up {
		return d.link.handle(msg)
	}
	if msg[0] != msgChallenge {
		return fmt.Errorf("expected the challenge, got message type %q", msg[0])
	}
	l, cfg := d.link, &d.link.m.cfg
	r := reader{b: msg[1:]}
	h := r.hello()
	got := r.fixed(32)
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes after the proof", errMalformed, len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("challenge: %w", r.err)
	}
	if h.node != l.peer {
		return fmt.Errorf("the node at %s calls itself %q: every node needs the same pool list", l.peer, h.node)
	}
	if !validProof(got, proof(cfg.Secret, roleAcceptor, h.nonce, d.nonce, cfg.Node, l.peer)) {
		err := errors.New("the peer failed to prove the cluster secret (different --cluster-secret?)")
		l.m.authFailures.Add(1)
		l.m.logRefusal(l.peer, err)
		return err
	}
	auth := newMessage(msgAuth, 32)
	auth = append(auth, proof(cfg.Secret, roleDialer, h.nonce, d.nonce, cfg.Node, l.peer)...)
	if err := d.send(auth); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	d.up = true
	l.attach(d, h.boot, h.maxMessage)
	go d.pinger()
	return nil
}

// Control implements wsframe.Sink: answer pings, stop on close.
func (d *dialed) Control(op ws.OpCode, payload []byte) error {
	switch op {
	case ws.OpPing:
		return d.writeControl(ws.OpPong, payload)
	case ws.OpClose:
		code, reason := ws.ParseCloseFrameData(payload)
		return fmt.Errorf("closed by the peer: %d %s", code, reason)
	}
	return nil
}

// pinger keeps the connection proven alive in both directions.
func (d *dialed) pinger() {
	t := time.NewTicker(d.link.m.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if d.writeControl(ws.OpPing, nil) != nil {
				return
			}
		case <-d.done:
			return
		}
	}
}

// writeControl writes a masked control frame.
func (d *dialed) writeControl(op ws.OpCode, payload []byte) error {
	return d.write(net.Buffers{wsframe.AppendMasked(nil, op, payload, wsframe.NewMask())})
}

// send implements transport: the messages leave in one writev.
func (d *dialed) send(msgs ...[]byte) error {
	frames := make(net.Buffers, len(msgs))
	for i, m := range msgs {
		frames[i] = frameIn(m, true)
	}
	return d.write(frames)
}

// write writes frames under the write timeout.
func (d *dialed) write(frames net.Buffers) error {
	d.dmu.Lock()
	if d.closed {
		d.dmu.Unlock()
		return errClosed
	}
	err := d.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	d.dmu.Unlock()
	if err != nil {
		return err
	}
	_, err = frames.WriteTo(d.conn)
	return err
}

// close implements transport: every write in progress, and the close
// frame (when reason is set), get closeGrace at most, then the socket is
// closed.
func (d *dialed) close(code uint16, reason string) {
	d.once.Do(func() {
		d.dmu.Lock()
		d.closed = true
		close(d.done)
		_ = d.conn.SetWriteDeadline(time.Now().Add(closeGrace))
		d.dmu.Unlock()
		if reason != "" {
			body := ws.NewCloseFrameBody(ws.StatusCode(code), reason)
			_, _ = d.conn.Write(wsframe.AppendMasked(nil, ws.OpClose, body, wsframe.NewMask()))
		}
		d.conn.Close()
	})
}

// abort implements transport.
func (d *dialed) abort() { d.conn.Close() }

// writeTimeout bounds one write on a peer link: a peer that reads nothing
// for this long is considered dead and the link reconnects.
const writeTimeout = 10 * time.Second

// closeGrace bounds closing a dialed connection: the writes in progress
// and the close frame.
const closeGrace = 250 * time.Millisecond
