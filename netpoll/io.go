package netpoll

import (
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// maxIovecs bounds the frames gathered into one writev (IOV_MAX is 1024).
	maxIovecs = 1024
	// maxWriteBytes bounds the bytes offered to one writev.
	maxWriteBytes = 1 << 20
	// maxFlushRounds bounds the writev calls of one flush task, so one busy
	// connection cannot monopolise a worker.
	maxFlushRounds = 4
	// readBudget bounds the bytes one read pass consumes before the socket
	// is re-armed and other connections get their turn.
	readBudget = 256 << 10
	// drainLimit bounds the unread input discarded when a socket closes.
	drainLimit = 1 << 20
)

// worker holds the buffers one pool goroutine reuses for every connection:
// idle connections own no read buffer at all.
type worker struct {
	buf    []byte
	iov    []unix.Iovec
	events []unix.EpollEvent // epoll backend: for pollReady, made on first use
	srv    *Server
}

func newWorker(readBuf int, srv *Server) *worker {
	return &worker{buf: make([]byte, readBuf), iov: make([]unix.Iovec, 0, maxIovecs), srv: srv}
}

// beginRead claims the read side for one pass. It returns false when the
// connection is already dead (and releases it if that is now possible).
// A pool worker (w non-nil) holds the flushes requested during the pass
// and writes them itself in endRead.
func (c *Conn) beginRead(w *worker) bool {
	c.mu.Lock()
	if c.state == stateDead || c.released {
		release := c.releasableLocked()
		c.mu.Unlock()
		if release {
			c.release()
		}
		return false
	}
	c.reading = true
	c.passFlushes = w != nil
	c.mu.Unlock()
	return true
}

// endRead ends a read pass. err is the reason to close (io.EOF when the
// peer closed), nil to keep reading. A flush held during the pass is done
// first, so a connection that the pass closed (the peer's close frame
// answered, FIN sent) is released at once rather than re-armed; otherwise
// read interest is re-armed while the connection's lock guarantees the
// descriptor is still ours.
func (c *Conn) endRead(w *worker, err error) {
	c.mu.Lock()
	c.reading = false
	c.passFlushes = false
	again := false
	if c.flushHeld {
		c.flushHeld = false
		if err == nil {
			again = c.flushLocked(w, c.srv.rawIO)
		} else {
			c.flushQueued = false // nothing more is written unless EOF below
		}
	}
	if err == nil && c.state != stateDead {
		if aerr := c.srv.backend.armRead(c); aerr != nil {
			err = fmt.Errorf("re-arm read: %w", aerr)
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			c.readEOF = true
			if c.state != stateDead {
				// The peer is gone for reading but may still take our
				// last bytes (a close frame echo): one non-blocking
				// attempt.
				c.writeQueueOnceLocked()
				if c.state != stateOpen {
					err = nil // the close handshake completed
				}
			}
		}
		c.abandonLocked(err)
	}
	release := c.releasableLocked()
	c.mu.Unlock()
	if again {
		c.srv.pool.scheduleFlush(c)
	}
	if release {
		c.release()
	}
}

// deliver hands arrived bytes to the handler.
func (c *Conn) deliver(data []byte) error {
	c.lastRead.Store(time.Now().UnixNano())
	c.srv.stats.bytesIn.Add(uint64(len(data)))
	return c.handler.OnData(data)
}

// readPass reads what has arrived, without ever waiting for more, and
// re-arms read interest.
func (c *Conn) readPass(w *worker) {
	if !c.beginRead(w) {
		return
	}
	var err error
	for total := 0; total < readBudget; {
		n, rerr := sysRead(c.srv.rawIO, c.fd, w.buf)
		c.srv.stats.readCalls.Add(1)
		if n > 0 {
			total += n
			if err = c.deliver(w.buf[:n]); err != nil {
				break
			}
			if n < len(w.buf) {
				break // drained for now; level-triggered re-arm reports more
			}
			continue
		}
		if rerr == unix.EINTR {
			continue
		}
		if rerr == unix.EAGAIN {
			break
		}
		if rerr == nil {
			rerr = io.EOF
		}
		err = rerr
		break
	}
	c.endRead(w, err)
}

// flush writes queued bytes, many units per writev, until the queue is
// empty, the socket would block, or the task's budget is spent. A closing
// connection whose queue is empty sends its FIN.
func (c *Conn) flush(w *worker) {
	c.mu.Lock()
	again := c.flushLocked(w, false)
	release := c.releasableLocked()
	c.mu.Unlock()
	if again {
		c.srv.pool.scheduleFlush(c)
	}
	if release {
		c.release()
	}
}

// flushLocked is flush's work, with c.mu held (released around each
// writev). It reports whether the budget ran out with bytes left: the
// caller then queues another flush task (flushQueued stays set). rawWrite
// makes the writes raw system calls (see sys.go): for the replies a read
// pass writes itself. Flush tasks go through syscall.Syscall: under
// fan-out, raw writes there cut the frames gathered per writev (see the
// README's Benchmarks).
func (c *Conn) flushLocked(w *worker, rawWrite bool) (again bool) {
	waitWrite := false
	for round := 0; ; round++ {
		if c.released || c.state == stateDead || c.outBytes == 0 {
			break
		}
		if round == maxFlushRounds {
			return true
		}
		iov, total := c.gatherLocked(w.iov[:0])
		// A closing connection sends FIN as soon as its queue is empty.
		finNext := c.state == stateClosing && total == c.outBytes
		c.flushing = true
		c.mu.Unlock()
		n, err := sysWritev(rawWrite, c.fd, iov, finNext)
		c.mu.Lock()
		c.flushing = false
		c.srv.stats.writeCalls.Add(1)
		c.wroteLocked(n)
		if err == unix.EAGAIN {
			c.writeBlocked = true
			c.srv.stats.writeBlocked.Add(1)
			waitWrite = true
			break
		}
		if err != nil && err != unix.EINTR {
			c.flushQueued = false
			c.abandonLocked(err)
			return false
		}
	}
	c.flushQueued = false
	if waitWrite && !c.released && c.state != stateDead {
		c.srv.backend.waitWritable(c)
	}
	if c.state == stateClosing && c.outBytes == 0 && !c.released {
		sysShutdownWrite(c.srv.rawIO, c.fd)
		c.wroteFIN = true
		if c.lingerForFIN {
			c.state = stateDrained
		} else {
			c.abandonLocked(nil)
		}
	}
	return false
}

// wroteLocked accounts for n bytes a writev wrote, then applies the cut an
// Abort left while that writev was in flight: only now is it known which
// unit is partly written.
func (c *Conn) wroteLocked(n int) {
	if n > 0 && c.state != stateDead {
		c.consumeLocked(n)
	}
	if c.cut != cutNone {
		var final []byte
		if c.cut == cutKeepFinal {
			final = c.out[len(c.out)-1]
		}
		c.cut = cutNone
		c.cutQueueLocked(final)
	}
}

// writable is called by a backend when a blocked socket can take bytes again.
func (c *Conn) writable() {
	c.mu.Lock()
	c.writeBlocked = false
	schedule := (c.outBytes > 0 || c.state == stateClosing) && c.needFlushLocked()
	c.mu.Unlock()
	if schedule {
		c.srv.pool.scheduleFlush(c)
	}
}

// gatherLocked fills iov with the queued units, front first, and returns
// how many bytes they hold.
func (c *Conn) gatherLocked(iov []unix.Iovec) ([]unix.Iovec, int) {
	total := 0
	off := int(c.outOff)
	for _, b := range c.out {
		b = b[off:]
		off = 0
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
		total += len(b)
		if len(iov) == maxIovecs || total >= maxWriteBytes {
			break
		}
	}
	return iov, total
}

// consumeLocked drops n written bytes from the front of the queue.
func (c *Conn) consumeLocked(n int) {
	c.outBytes -= n
	c.srv.stats.bytesOut.Add(uint64(n))
	frames := 0
	i := 0
	for n > 0 {
		rest := len(c.out[i]) - int(c.outOff)
		if n < rest {
			c.outOff += int32(n)
			break
		}
		n -= rest
		c.out[i] = nil
		c.outOff = 0
		i++
		frames++
	}
	c.srv.stats.framesOut.Add(uint64(frames))
	if i == len(c.out) {
		if cap(c.out) > 64 {
			c.out = nil // give a burst's backing array back
		} else {
			c.out = c.out[:0]
		}
		return
	}
	c.out = c.out[i:]
}

// writeQueueOnceLocked makes one non-blocking attempt to write the queue.
func (c *Conn) writeQueueOnceLocked() {
	if c.outBytes == 0 || c.flushing || c.writeBlocked || c.released {
		return
	}
	var iov [16]unix.Iovec
	gathered, _ := c.gatherLocked(iov[:0])
	n, _ := sysWritev(c.srv.rawIO, c.fd, gathered, false)
	if n > 0 {
		c.consumeLocked(n)
	}
}

// drainInput discards the input that has arrived on fd, without waiting,
// so that closing the socket sends FIN rather than RST. Bounded: a peer
// that keeps more than drainLimit bytes coming still gets a reset.
func drainInput(raw bool, fd int) {
	var buf [4096]byte
	for range drainLimit / len(buf) {
		n, err := sysRead(raw, fd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if n <= 0 || err != nil {
			return
		}
	}
}
