package netpoll

import (
	"fmt"
	"io"
	"net"

	enetpoll "github.com/mailru/easygo/netpoll"
	"golang.org/x/sys/unix"
)

// easygoBackend drives readiness with mailru/easygo's netpoll, the design
// wampgate's reactor descends from. netpoll.Handle obtains the descriptor
// through conn.File(), which duplicates it: every connection costs two
// descriptors, so this backend holds half as many connections as epoll
// under the same `ulimit -n`. Reads and writes use the original descriptor.
type easygoBackend struct {
	srv    *Server
	poller enetpoll.Poller
}

func newEasygoBackend(s *Server) (*easygoBackend, error) {
	p, err := enetpoll.New(&enetpoll.Config{OnWaitError: func(err error) {
		s.log.Error("easygo poller wait failed", "err", err)
	}})
	if err != nil {
		return nil, fmt.Errorf("easygo poller: %w", err)
	}
	return &easygoBackend{srv: s, poller: p}, nil
}

func (b *easygoBackend) serve(ln *net.TCPListener) error {
	return acceptNet(b.srv, ln, func(c *Conn) error {
		desc, err := enetpoll.HandleReadOnce(c.rt.nc)
		if err != nil {
			return fmt.Errorf("easygo handle: %w", err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.released {
			_ = desc.Close()
			return nil
		}
		c.rt.desc = desc
		err = b.poller.Start(desc, func(ev enetpoll.Event) {
			if ev&enetpoll.EventPollerClosed == 0 {
				b.srv.pool.scheduleRead(c)
			}
		})
		if err != nil {
			return err
		}
		return keepNonblocking(c.fd)
	})
}

func (b *easygoBackend) armRead(c *Conn) error {
	if c.rt.desc == nil {
		return nil
	}
	if err := b.poller.Resume(c.rt.desc); err != nil {
		return err
	}
	return keepNonblocking(c.fd)
}

// keepNonblocking undoes a side effect of easygo: its descriptors call
// os.File.Fd on every Start and Resume, and Fd puts the file description
// back into blocking mode. The duplicate shares that mode with the
// connection's own descriptor, so reads and writes would start to block a
// worker. Two more system calls per read pass are the price of this
// backend.
func keepNonblocking(fd int) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		return fmt.Errorf("set non-blocking: %w", err)
	}
	return nil
}

func (b *easygoBackend) waitWritable(c *Conn) { waitWritableRuntime(c) }

func (b *easygoBackend) closeSocket(c *Conn) {
	if desc := c.rt.desc; desc != nil {
		_ = b.poller.Stop(desc)
		_ = desc.Close()
	}
	_ = c.rt.nc.Close()
}

func (b *easygoBackend) stopAccepting() {}

func (b *easygoBackend) close() {
	if cl, ok := b.poller.(io.Closer); ok {
		_ = cl.Close()
	}
}
