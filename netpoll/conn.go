package netpoll

import (
	"errors"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	enetpoll "github.com/mailru/easygo/netpoll"
)

// Handler receives the events of one connection. OnData and OnClose are
// never called concurrently for the same connection, and OnClose is called
// exactly once, after the socket is closed.
type Handler interface {
	// OnData handles bytes that have arrived. data is only valid during the
	// call and may be modified in place. A non-nil error closes the
	// connection at once; to close gracefully, call Conn.Close instead.
	OnData(data []byte) error
	// OnClose reports that the connection is gone and why (nil after a
	// graceful close).
	OnClose(err error)
}

// Errors reported by Conn.
var (
	// ErrClosed is returned by Send on a connection that is closing, and
	// reported to OnClose for connections the server closed when it stopped.
	ErrClosed = errors.New("netpoll: connection closed")
	// ErrQueueFull is returned by Send when the outbound queue would pass
	// the configured limit: the peer does not read fast enough.
	ErrQueueFull = errors.New("netpoll: outbound queue limit exceeded")
	// ErrLingerTimeout closes a connection whose peer did not finish the
	// close in time.
	ErrLingerTimeout = errors.New("netpoll: close linger timeout")
)

// connState is the life cycle of a connection.
type connState uint8

const (
	stateOpen    connState = iota // reading and writing
	stateClosing                  // no more Sends; writing the rest, then the FIN
	stateDrained                  // FIN sent; reading until the peer's FIN
	stateDead                     // socket released as soon as no worker uses it
)

// cutKind is a queue cut Abort left for the writev in flight to finish.
type cutKind uint8

const (
	cutNone      cutKind = iota
	cutAll               // keep only the unit being written
	cutKeepFinal         // the same, and the last unit: Abort's final bytes
)

// runtimeConn is the state of a connection the Go runtime accepted, for
// the backends that keep one.
type runtimeConn struct {
	nc   net.Conn
	desc *enetpoll.Desc // easygo backend only
}

// Conn is one accepted connection. Its methods are safe for concurrent use.
// The zero value is what an Acceptor hands out; a Conn must not be copied.
//
// Every close the server starts ends the same way for the peer: the bytes
// it is owed, then FIN, never a reset. Unread input is discarded before
// the descriptor is closed (closing a socket with unread input sends an
// RST, which can destroy what is still in flight), and the whole close
// is bounded by Config.LingerTimeout.
type Conn struct {
	fd     int
	seq    uint32 // distinguishes reuse of the same fd number
	qlimit int32  // SetWriteQueueLimit's bound, 0: the server's; guarded by mu (here it fills padding)
	remote netip.AddrPort
	srv    *Server
	rt     *runtimeConn // goroutine and easygo backends only

	handler Handler

	// links are the connection's places in the pool's read and flush
	// queues, guarded by the pool's mutex: at most once in each.
	links [2]queueLink

	mu           sync.Mutex
	state        connState
	reading      bool // a worker is reading or running OnData
	flushQueued  bool // in the flush queue, being flushed, or held by a read pass
	passFlushes  bool // a pool worker's read pass will flush when it ends
	flushHeld    bool // a flush waits for the end of the read pass
	flushing     bool // a worker is writing the socket now
	writeBlocked bool // EAGAIN seen: waiting for writability
	inReadSet    bool // epoll backend: registered in the read set
	inWriteSet   bool // epoll backend: registered in the write set
	released     bool
	lingerForFIN bool     // closing: once the FIN is out, wait for the peer's
	aborted      bool     // Abort was called
	cut          cutKind  // Abort met a writev in flight: cut the queue after it
	wroteFIN     bool     // shutdown(SHUT_WR) done
	readEOF      bool     // the peer's FIN was read: no input can be left unread
	outOff       int32    // bytes of out[0] already written
	out          [][]byte // queued units; out[0][outOff:] is next
	outBytes     int
	closeErr     error
	closingSince int64 // unix nanoseconds

	lastRead atomic.Int64 // unix nanoseconds of the last received bytes
}

// RemoteAddr returns the peer address.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// SetHandler installs the handler; the acceptor calls it once.
func (c *Conn) SetHandler(h Handler) { c.handler = h }

// Handler returns the handler installed by the acceptor.
func (c *Conn) Handler() Handler { return c.handler }

// LastRead reports when bytes last arrived from the peer.
func (c *Conn) LastRead() time.Time { return time.Unix(0, c.lastRead.Load()) }

// QueuedBytes reports how many bytes wait in the outbound queue.
func (c *Conn) QueuedBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outBytes
}

// SetWriteQueueLimit sets this connection's outbound queue bound in place
// of Config.WriteQueueLimit (0: the server's again; negative: none), for
// connections whose protocol bounds its own output, like a cluster's peer
// links.
func (c *Conn) SetWriteQueueLimit(n int) {
	c.mu.Lock()
	c.qlimit = int32(max(min(n, math.MaxInt32), -1))
	c.mu.Unlock()
}

// Send queues b for the peer. Each b is a unit the peer receives whole or
// not at all (for WebSocket, one or more complete frames): Abort never
// cuts one in the middle. b must not be modified afterwards; the same
// slice may be queued to many connections. Send never blocks on the
// network. It fails with ErrClosed once the connection is closing, and
// with ErrQueueFull when the outbound queue would pass its limit (the
// caller decides what a slow consumer deserves, typically Abort).
func (c *Conn) Send(b []byte) error { return c.SendCounting(b, nil) }

// SendCounting is Send that also adds 1 to *n when b is queued, under the
// lock Send takes anyway: a per-connection counter (e.g. messages sent by
// type) that costs no atomic operation of its own. n may be nil. Read *n
// only inside Locked.
func (c *Conn) SendCounting(b []byte, n *uint64) error {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return ErrClosed
	}
	limit := c.srv.cfg.WriteQueueLimit
	if c.qlimit != 0 {
		limit = int(c.qlimit)
	}
	if limit > 0 && c.outBytes+len(b) > limit && c.outBytes > 0 {
		c.mu.Unlock()
		return ErrQueueFull
	}
	c.enqueueLocked(b)
	if n != nil {
		*n++
	}
	schedule := c.needFlushLocked()
	c.mu.Unlock()
	if schedule {
		c.srv.pool.scheduleFlush(c)
	}
	return nil
}

// Locked runs f holding the connection's lock, the one SendCounting
// counts under, so that f may read those counters. f must be short and
// must not call the connection's methods.
func (c *Conn) Locked(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

func (c *Conn) enqueueLocked(b []byte) {
	c.out = append(c.out, b)
	c.outBytes += len(b)
}

// needFlushLocked marks the connection for flushing and reports whether the
// caller must put it in the flush queue. During a read pass on a pool
// worker the flush is held for the end of the pass (a reply written by
// the worker that read the request, with no hand-off to another worker),
// unless the queue grows past heldFlushLimit.
func (c *Conn) needFlushLocked() bool {
	if c.writeBlocked {
		return false
	}
	if c.flushQueued {
		if c.flushHeld && c.outBytes > heldFlushLimit {
			c.flushHeld = false
			return true
		}
		return false
	}
	c.flushQueued = true
	if c.passFlushes && c.outBytes <= heldFlushLimit {
		c.flushHeld = true
		return false
	}
	return true
}

// heldFlushLimit bounds the bytes a read pass keeps queued for its own
// flush; past it, a flush task writes them meanwhile.
const heldFlushLimit = 64 << 10

// Close closes gracefully. The peer receives everything queued, then
// final (for example a WebSocket close frame; may be nil), then FIN; the
// server keeps reading (OnData still runs) until the peer's FIN arrives,
// at most Config.LingerTimeout after this call, and then closes the
// socket. Later Sends fail.
func (c *Conn) Close(final []byte) { c.beginClose(final, true) }

// CloseAfterPeer is Close for a peer that has already said goodbye (it
// sent its WebSocket close frame): the peer receives everything queued,
// final and FIN, and the socket is closed as soon as they are written,
// without waiting for the peer's FIN (RFC 6455 §7.1.1: the server closes
// the TCP connection first).
func (c *Conn) CloseAfterPeer(final []byte) { c.beginClose(final, false) }

func (c *Conn) beginClose(final []byte, lingerForFIN bool) {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return
	}
	c.state = stateClosing
	c.lingerForFIN = lingerForFIN
	c.closingSince = time.Now().UnixNano()
	if len(final) > 0 {
		c.enqueueLocked(final)
	}
	schedule := c.needFlushLocked()
	c.mu.Unlock()
	if schedule {
		c.srv.pool.scheduleFlush(c)
	}
}

// Abort closes a connection the server gives up on (a slow consumer, a
// handshake that timed out). The queued units not yet started are
// dropped; one already partly written is finished, so the peer never
// sees a unit cut short; then the peer receives final (may be nil) and
// FIN, and the socket is closed without waiting for the peer. If the peer
// does not take those bytes within Config.LingerTimeout of the first
// close request, the socket is closed anyway. OnClose receives err. It
// runs on a worker, never inside this call, so Abort is safe to call
// while holding locks OnClose may need (a broker in the middle of a
// fan-out).
func (c *Conn) Abort(final []byte, err error) {
	c.mu.Lock()
	if c.aborted || c.state == stateDead {
		c.mu.Unlock()
		return
	}
	c.aborted = true
	if c.closeErr == nil {
		c.closeErr = err
	}
	if c.closingSince == 0 {
		c.closingSince = time.Now().UnixNano()
	}
	if c.state == stateDrained {
		// FIN already sent: nothing more can reach the peer.
		c.abandonLocked(err)
		c.flushQueued = true
	} else {
		c.state = stateClosing
		c.lingerForFIN = false
		if c.flushing {
			// A writev is in flight: which units it finishes is known
			// only when it returns. final waits at the end of the queue
			// (it is not in that writev).
			c.cut = cutAll
			if len(final) > 0 {
				c.enqueueLocked(final)
				c.cut = cutKeepFinal
			}
		} else {
			c.cutQueueLocked(final)
			if c.outBytes == 0 {
				c.writeBlocked = false // only the FIN is left: no need to wait
			}
		}
		if !c.needFlushLocked() {
			c.mu.Unlock()
			return
		}
	}
	c.mu.Unlock()
	c.srv.pool.scheduleFlush(c)
}

// cutQueueLocked keeps only the unit being written (if its first bytes
// are out) and appends final: what Abort leaves to send.
func (c *Conn) cutQueueLocked(final []byte) {
	keep := 0
	if c.outOff > 0 {
		keep = 1
	}
	clear(c.out[keep:])
	c.out = c.out[:keep]
	c.outBytes = 0
	if keep == 1 {
		c.outBytes = len(c.out[0]) - int(c.outOff)
	}
	if len(final) > 0 {
		c.enqueueLocked(final)
	}
}

// closeStarted reports when the connection was first asked to close
// (false while it is open).
func (c *Conn) closeStarted() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closingSince == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, c.closingSince), true
}

// abandon stops all I/O on the connection at once and has a worker close
// the socket (the linger timeout, a server shutting down).
func (c *Conn) abandon(err error) {
	c.mu.Lock()
	if c.state == stateDead {
		c.mu.Unlock()
		return
	}
	c.abandonLocked(err)
	c.flushQueued = true // the flush task releases dead connections
	c.mu.Unlock()
	c.srv.pool.scheduleFlush(c)
}

// abandonLocked marks the connection dead: no more reads or writes.
// releasableLocked then decides whether the socket can be closed now. The
// first reason given is the one OnClose receives.
func (c *Conn) abandonLocked(err error) {
	if c.state == stateDead {
		return
	}
	c.state = stateDead
	if c.closeErr == nil {
		c.closeErr = err
	}
	if c.closingSince == 0 {
		c.closingSince = time.Now().UnixNano()
	}
}

// releasableLocked claims the release of a dead, idle connection.
func (c *Conn) releasableLocked() bool {
	if c.state != stateDead || c.released || c.reading || c.flushing {
		return false
	}
	c.released = true
	clear(c.out)
	c.out, c.outOff, c.outBytes = nil, 0, 0
	return true
}

// release closes the socket the way every close ends: FIN first, then
// the unread input discarded (so that close(2) sends no reset), then the
// descriptor closed; then it tells the handler.
func (c *Conn) release() {
	if !c.readEOF {
		if !c.wroteFIN {
			sysShutdownWrite(c.srv.rawIO, c.fd)
		}
		drainInput(c.srv.rawIO, c.fd)
	}
	c.srv.release(c)
	if h := c.handler; h != nil {
		h.OnClose(c.closeErr)
	}
}
