package netpoll

import (
	"errors"
	"net"
	"syscall"
)

// goroutineReadBuffer is each connection's own read buffer in the
// goroutine backend, the usual size in goroutine-per-connection servers.
const goroutineReadBuffer = 4 << 10

// goroutineBackend is the baseline: one goroutine per connection, blocked
// in Read on the Go runtime poller, running the handler itself. Outbound
// bytes still go through the shared queue and the worker pool.
type goroutineBackend struct{ srv *Server }

func (b *goroutineBackend) serve(ln *net.TCPListener) error {
	return acceptNet(b.srv, ln, func(c *Conn) error {
		go b.readLoop(c)
		return nil
	})
}

func (b *goroutineBackend) readLoop(c *Conn) {
	buf := make([]byte, goroutineReadBuffer)
	for {
		n, err := c.rt.nc.Read(buf)
		if !c.beginRead(nil) {
			return
		}
		if n > 0 {
			if derr := c.deliver(buf[:n]); derr != nil {
				err = derr
			} else if err != nil && !errors.Is(err, net.ErrClosed) {
				err = nil // deliver the bytes now, the error on the next Read
			}
		}
		c.endRead(nil, err)
		if err != nil {
			return
		}
	}
}

func (b *goroutineBackend) armRead(*Conn) error { return nil }

func (b *goroutineBackend) waitWritable(c *Conn) { waitWritableRuntime(c) }

func (b *goroutineBackend) closeSocket(c *Conn) { _ = c.rt.nc.Close() }

func (b *goroutineBackend) stopAccepting() {}

func (b *goroutineBackend) close() {}

// acceptNet runs a net.Listener accept loop for the backends that keep a
// net.Conn per connection; started is called after the acceptor. A failed
// accept pauses the loop (acceptThrottle) until the backoff passes or a
// connection is released.
func acceptNet(s *Server, ln *net.TCPListener, started func(*Conn) error) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			s.accepts.pause(s.accepts.failed(err))
			continue
		}
		s.accepts.succeeded()
		fd, err := rawFD(nc)
		if err != nil {
			_ = nc.Close()
			s.log.Warn("accepted connection without descriptor", "err", err)
			continue
		}
		c := s.adopt(fd, remoteOf(nc.RemoteAddr()), nc)
		if err := started(c); err != nil {
			c.Abort(nil, err)
		}
	}
}

// waitWritableRuntime waits for writability on the Go runtime poller in a
// short-lived goroutine (only while a socket buffer is full), then resumes
// flushing. The runtime may report readiness once spuriously; the flush
// then meets EAGAIN again and waits anew.
func waitWritableRuntime(c *Conn) {
	sc, ok := c.rt.nc.(syscall.Conn)
	if !ok {
		c.abandonLocked(errors.New("connection exposes no descriptor"))
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		c.abandonLocked(err)
		return
	}
	go func() {
		waited := false
		err := rc.Write(func(uintptr) bool {
			if waited {
				return true
			}
			waited = true
			return false
		})
		if err != nil {
			c.abandon(err)
			return
		}
		c.writable()
	}()
}
