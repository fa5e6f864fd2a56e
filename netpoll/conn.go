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
	// ErrClosed is returned by Send on a connection that is closing.
	ErrClosed = errors.New("netpoll: connection closed")
	// ErrQueueFull is returned by Send when the outbound queue would pass
	// the configured limit: the peer does not read fast enough.
	ErrQueueFull = errors.New("netpoll: outbound queue limit exceeded")
	// ErrLingerTimeout closes a connection whose peer did not finish the
	// close handshake in time.
	ErrLingerTimeout = errors.New("netpoll: close linger timeout")
)

// connState is the life cycle of a connection.
type connState uint8

const (
	stateOpen    connState = iota // reading and writing
	stateClosing                  // final bytes queued; flush, then half-close
	stateDrained                  // write side shut down; reading until EOF
	stateDead                     // fd must be released as soon as it is idle
)

// runtimeConn is the state of a connection the Go runtime accepted, for
// the backends that keep one.
type runtimeConn struct {
	nc   net.Conn
	desc *enetpoll.Desc // easygo backend only
}

// Conn is one accepted connection. Its methods are safe for concurrent use.
// The zero value is what an Acceptor hands out; a Conn must not be copied.
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
	flushQueued  bool // in the flush queue or being flushed
	flushing     bool // a worker is writing the socket now
	writeBlocked bool // EAGAIN seen: waiting for writability
	inReadSet    bool // epoll backend: registered in the read set
	inWriteSet   bool // epoll backend: registered in the write set
	released     bool
	finish       bool     // close without lingering once the queue is flushed
	outOff       int32    // bytes of out[0] already written
	out          [][]byte // queued frames; out[0][outOff:] is next
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

// Send queues bytes for the peer. b must not be modified afterwards; the
// same slice may be queued to many connections. Send never blocks on the
// network. It fails with ErrClosed once the connection is closing, and with
// ErrQueueFull when the outbound queue would pass its limit (the caller
// decides what a slow consumer deserves, typically CloseNow).
func (c *Conn) Send(b []byte) error {
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
	schedule := c.needFlushLocked()
	c.mu.Unlock()
	if schedule {
		c.srv.pool.scheduleFlush(c)
	}
	return nil
}

func (c *Conn) enqueueLocked(b []byte) {
	c.out = append(c.out, b)
	c.outBytes += len(b)
}

// needFlushLocked marks the connection for flushing and reports whether the
// caller must put it in the flush queue.
func (c *Conn) needFlushLocked() bool {
	if c.flushQueued || c.writeBlocked {
		return false
	}
	c.flushQueued = true
	return true
}

// Close queues final (for example a WebSocket close frame; may be nil),
// flushes what is queued, shuts down the write side and keeps reading until
// the peer closes too or the linger timeout passes. Later Sends fail.
func (c *Conn) Close(final []byte) { c.close(final, false) }

// Finish is Close for a peer that has already said goodbye (it sent its
// WebSocket close frame): once final is flushed, the socket is closed at
// once, without half-closing and waiting for the peer's FIN, as RFC 6455
// asks of the server.
func (c *Conn) Finish(final []byte) { c.close(final, true) }

func (c *Conn) close(final []byte, finish bool) {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return
	}
	c.state = stateClosing
	c.finish = finish
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

// CloseNow drops everything queued, makes one non-blocking attempt to write
// final, and closes the socket with err as the reason. The socket is
// released and OnClose runs on a worker, never inside this call, so CloseNow
// is safe to call from code that holds locks OnClose may need (a broker in
// the middle of a fan-out).
func (c *Conn) CloseNow(final []byte, err error) {
	c.mu.Lock()
	if c.state == stateDead {
		c.mu.Unlock()
		return
	}
	c.dropQueueLocked()
	if len(final) > 0 && !c.flushing && !c.writeBlocked {
		_, _ = writeOnce(c.fd, final)
	}
	c.killLocked(err)
	c.flushQueued = true // the flush task releases dead connections
	c.mu.Unlock()
	c.srv.pool.scheduleFlush(c)
}

// Closing reports whether the connection has been asked to close, and since when.
func (c *Conn) Closing() (bool, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateOpen {
		return false, time.Time{}
	}
	return true, time.Unix(0, c.closingSince)
}

func (c *Conn) dropQueueLocked() {
	clear(c.out)
	c.out = nil
	c.outOff = 0
	c.outBytes = 0
}

// killLocked marks the connection dead; releasableLocked then decides
// whether the socket can be closed now.
func (c *Conn) killLocked(err error) {
	if c.state != stateDead {
		c.state = stateDead
		c.closeErr = err
		if c.closingSince == 0 {
			c.closingSince = time.Now().UnixNano()
		}
	}
}

// releasableLocked claims the release of a dead, idle connection.
func (c *Conn) releasableLocked() bool {
	if c.state != stateDead || c.released || c.reading || c.flushing {
		return false
	}
	c.released = true
	c.dropQueueLocked()
	return true
}

// release unregisters and closes the socket, then tells the handler.
func (c *Conn) release() {
	c.srv.forget(c)
	if h := c.handler; h != nil {
		h.OnClose(c.closeErr)
	}
}
