//go:build linux

package bench

import (
	"strconv"
	"time"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/bench/internal/wire"
	"github.com/wampgate/wampgate/internal/wsframe"
	"golang.org/x/sys/unix"
)

// role is what a connection is for.
type role uint8

const (
	roleSubscriber role = iota // SUBSCRIBE after WELCOME, then count events
	rolePublisher              // open a session; publisher.go writes on it
	roleChurn                  // close right after WELCOME, then dial again
	roleCallee                 // v2: REGISTER after WELCOME, then answer every INVOCATION
	roleCaller                 // v2: open a session; calls (rpc.go) are sent on it
	numRoles
)

// phase is where a connection is in its life.
type phase uint8

const (
	phaseConnecting  phase = iota // TCP connect in progress
	phaseUpgrading                // upgrade request sent, awaiting 101
	phaseWelcoming                // upgraded (v2: HELLO sent), awaiting WELCOME
	phaseRegistering              // callee: REGISTER sent, awaiting REGISTERED
	phaseOpen                     // session established (and subscribed)
	phaseClosing                  // churn: close sent, awaiting the server's
)

func (p phase) String() string {
	switch p {
	case phaseConnecting:
		return "connecting"
	case phaseUpgrading:
		return "awaiting 101"
	case phaseWelcoming:
		return "awaiting WELCOME"
	case phaseRegistering:
		return "awaiting REGISTERED"
	case phaseOpen:
		return "open"
	case phaseClosing:
		return "closing"
	}
	return "phase " + strconv.Itoa(int(p))
}

// conn is the whole client-side state of one connection: about 120 bytes
// plus, rarely, the tail of a frame that has not fully arrived.
type conn struct {
	fd         int
	role       role
	phase      phase
	pendingIdx int       // index in reactor.pending, or -1
	started    time.Time // dial time
	deadline   time.Time // end of the current handshake phase
	in         []byte    // bytes kept between reads: partial response or frame
	key        [wire.KeyLen]byte
	lastSeq    []uint64 // per tracked publisher, the last sequence number received (see track)
	caller     *caller  // roleCaller: the calls it makes (rpc.go)
}

// ready handles an epoll event for c.
func (r *reactor) ready(c *conn, events uint32) {
	if c.phase != phaseConnecting {
		r.readable(c)
		return
	}
	if events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
		return
	}
	if err := connectError(c.fd); err != nil {
		r.drop(c, "connect: "+errnoName(err))
		return
	}
	var random [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.rng.Uint64()
		for j := 0; j < 8; j++ {
			random[i+j] = byte(v >> (8 * j))
		}
	}
	c.key = wire.MakeKey(random)
	r.wbuf = wire.AppendRequest(r.wbuf[:0], r.cfg.Host, r.cfg.Path, c.key[:], r.proto(c).String())
	if !r.write(c, r.wbuf) {
		return
	}
	if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(c.fd)}); err != nil {
		r.drop(c, "epoll_ctl: "+errnoName(err))
		return
	}
	c.phase = phaseUpgrading
}

// readable reads what has arrived on c into the shared buffer (after any
// bytes kept from the last read) and consumes every complete frame.
func (r *reactor) readable(c *conn) {
	for i := 0; i < readsPerWake; i++ {
		start := copy(r.buf, c.in)
		n, err := unix.Read(c.fd, r.buf[start:])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return
		}
		if err != nil {
			r.drop(c, "read: "+errnoName(err))
			return
		}
		if n == 0 {
			r.drop(c, "EOF")
			return
		}
		r.reads++
		rest, alive := r.consume(c, r.buf[:start+n], time.Now())
		if !alive {
			return
		}
		c.in = append(c.in[:0], rest...)
		if start+n < len(r.buf) {
			return
		}
	}
}

// consume handles the bytes of one read; it returns the incomplete tail
// to keep, and alive false if c is gone.
func (r *reactor) consume(c *conn, data []byte, now time.Time) (rest []byte, alive bool) {
	proto := r.proto(c)
	if c.phase == phaseUpgrading {
		n, err := wire.CheckResponse(data, c.key[:], proto.String())
		if err != nil {
			r.drop(c, "upgrade: "+err.Error())
			return nil, false
		}
		if n == 0 {
			return data, true
		}
		data = data[n:]
		c.phase = phaseWelcoming
		if proto.V2() && !r.send(c, r.hello[r.protoIndex(c)]) {
			return nil, false
		}
	}
	r.out = r.out[:0]
	for len(data) > 0 {
		op, payload, n, err := wire.NextFrame(data, maxMessage)
		if err != nil {
			r.drop(c, "frame: "+err.Error())
			return nil, false
		}
		if n == 0 {
			break
		}
		data = data[n:]
		switch op {
		case ws.OpText, ws.OpBinary:
			if !r.message(c, proto, payload, now) {
				return nil, false
			}
		case ws.OpPing:
			r.wbuf = wsframe.AppendMasked(r.wbuf[:0], ws.OpPong, payload, wsframe.NewMask())
			if !r.write(c, r.wbuf) {
				return nil, false
			}
		case ws.OpClose:
			if c.phase == phaseClosing {
				r.closed(c)
			} else {
				r.drop(c, "server close "+strconv.Itoa(int(wire.CloseCode(payload))))
			}
			return nil, false
		case ws.OpPong:
		default:
			r.foreign++
		}
	}
	// Answers to this read's messages (YIELDs, the next CALLs) in one write.
	if len(r.out) > 0 && !r.write(c, r.out) {
		return nil, false
	}
	return data, true
}

// message handles one WAMP message on c, which speaks proto.
func (r *reactor) message(c *conn, proto wire.Protocol, msg []byte, now time.Time) bool {
	switch c.phase {
	case phaseOpen:
		return r.openMessage(c, proto, msg, now)
	case phaseClosing:
		return true
	case phaseRegistering:
		return r.registered(c, proto, msg, now)
	}
	// phaseWelcoming
	typ, ok := wire.TypeOf(proto, msg)
	if !ok || typ != proto.WelcomeType() {
		reason := "first message is not WELCOME"
		if proto.V2() && typ == wire.MsgV2Abort {
			reason = "ABORT"
		}
		r.drop(c, reason)
		return false
	}
	r.hs.Record(int64(now.Sub(c.started)))
	switch c.role {
	case roleSubscriber:
		if r.cfg.TrackPublishers > 0 {
			c.lastSeq = make([]uint64, r.cfg.TrackPublishers)
		}
		if !r.send(c, r.subMsg) {
			return false
		}
	case rolePublisher:
		r.publishers = append(r.publishers, c.fd)
	case roleChurn:
		r.unpend(c)
		r.churned++
		r.wbuf = wsframe.AppendMasked(r.wbuf[:0], ws.OpClose, closeNormal, wsframe.NewMask())
		if !r.write(c, r.wbuf) {
			return false
		}
		c.phase = phaseClosing
		c.deadline = now.Add(closeTimeout)
		r.pend(c)
		return true
	case roleCallee:
		// Open once REGISTERED arrives, still within the handshake deadline.
		if !r.send(c, r.regMsg) {
			return false
		}
		c.phase = phaseRegistering
		return true
	case roleCaller:
		r.callers = append(r.callers, c)
	}
	r.opened(c)
	return true
}

// opened counts c, whose handshake (and subscription or registration)
// is done, as an established session.
func (r *reactor) opened(c *conn) {
	r.unpend(c)
	c.phase = phaseOpen
	c.in = nil
	r.established++
	r.openedBy[c.role]++
	r.open++
	r.cfg.Slot.Open.Add(1)
	r.inflight--
	r.checkSetup()
}

// openMessage handles a message on an established session.
func (r *reactor) openMessage(c *conn, proto wire.Protocol, msg []byte, now time.Time) bool {
	switch c.role {
	case roleCallee:
		return r.invocation(c, proto, msg)
	case roleCaller:
		return r.reply(c, proto, msg, now)
	}
	if ts, seq, pub, ok := wire.ParseEventFor(proto, msg); ok {
		r.received++
		r.lat.Record(now.UnixNano() - ts)
		r.track(c, seq, pub)
		return true
	}
	if proto.V2() {
		switch typ, _ := wire.TypeOf(proto, msg); typ {
		case wire.MsgV2Subscribed:
			return true
		case wire.MsgV2Error:
			_, _, uri, _ := wire.ParseError(proto, msg)
			r.drop(c, "ERROR "+string(uri))
			return false
		}
	}
	r.foreign++
	return true
}

// send writes msg to c as one masked frame of c's protocol.
func (r *reactor) send(c *conn, msg []byte) bool {
	r.wbuf = wsframe.AppendMasked(r.wbuf[:0], r.proto(c).OpCode(), msg, wsframe.NewMask())
	return r.write(c, r.wbuf)
}

// write writes a whole small frame (or request) on c; a socket that
// cannot take it at once is dropped.
func (r *reactor) write(c *conn, b []byte) bool {
	n, err := unix.Write(c.fd, b)
	if err != nil {
		r.drop(c, "write: "+errnoName(err))
		return false
	}
	if n < len(b) {
		r.drop(c, "write: short")
		return false
	}
	return true
}

// drop closes c for reason, counting it as a failed handshake, a lost
// session or (churn) a close that went wrong, by phase.
func (r *reactor) drop(c *conn, reason string) {
	switch c.phase {
	case phaseOpen:
		r.disconnects[reason]++
		r.open--
		r.cfg.Slot.Open.Add(-1)
		r.cfg.Slot.Dropped.Add(1)
	case phaseClosing:
		if reason == "EOF" { // the server closed first: a clean end
			r.closed(c)
			return
		}
		r.disconnects["close: "+reason]++
		if c.role == roleChurn {
			r.inflight--
		}
	default:
		r.failed++
		r.failures[reason]++
		r.inflight--
	}
	r.closeConn(c)
	r.checkSetup()
}

// closed ends a connection whose close handshake is done (the server's
// close frame or EOF arrived): a churn cycle, or a session at teardown.
func (r *reactor) closed(c *conn) {
	if c.role == roleChurn {
		r.inflight--
	}
	r.closeConn(c)
}

func (r *reactor) closeConn(c *conn) {
	r.unpend(c)
	r.callerGone(c)
	unix.Close(c.fd)
	r.conns[c.fd] = nil
	r.nconns--
	c.in = nil
}
