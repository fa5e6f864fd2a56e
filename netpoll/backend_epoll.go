package netpoll

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epollBackend watches sockets with two epoll sets: the read set holds every
// connection with one-shot read interest (re-armed after each read pass, so
// at most one worker reads a connection at a time); the write set holds only
// connections whose socket buffer was full, until they can take bytes again.
// Each event carries the fd and the connection's sequence number, so an event
// for a descriptor that was closed and reused in between is ignored.
type epollBackend struct {
	srv      *Server
	readSet  *epollSet
	writeSet *epollSet
	closed   atomic.Bool
	loops    chan struct{}

	listener   *os.File // duplicate of the listening socket; nil once closed
	listenFD   int
	stopAccept chan struct{}
	// acceptMu makes stopAccepting wait for an accept pass in progress, so
	// no connection is adopted after StopAccepting returns; it also
	// guards the listener's registration in the read set.
	acceptMu  sync.Mutex
	accepting bool // the listener is open
	paused    bool // the listener is out of the read set after a failed accept
}

// listenerTag marks the listener's events in the read set: connections
// carry their sequence number there, which is never zero, so an event for
// a connection that reuses the listener's old descriptor number is never
// taken for the listener.
const listenerTag = 0

const readEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func newEpollBackend(s *Server, ln *net.TCPListener) (*epollBackend, error) {
	b := &epollBackend{srv: s, listenFD: -1,
		loops: make(chan struct{}, 2), stopAccept: make(chan struct{})}
	var err error
	if b.readSet, err = newEpollSet("read"); err != nil {
		return nil, err
	}
	if b.writeSet, err = newEpollSet("write"); err != nil {
		b.closeFDs()
		return nil, err
	}
	if err = b.listen(ln); err != nil {
		b.closeFDs()
		return nil, err
	}
	return b, nil
}

// serve registers the listening socket in the read set; the read loop then
// accepts with accept4 itself. Each new socket is non-blocking, owned by
// this backend alone (never registered with the Go runtime poller) and costs
// one descriptor. The listener is used through a duplicate of its descriptor
// (one extra descriptor per server, none per connection) because the Go
// runtime does not lend out a listener's descriptor for raw reads.
// serve runs the two event loops; the read loop also accepts.
func (b *epollBackend) serve(*net.TCPListener) error {
	go b.loop(b.readSet, b.srv.pool.scheduleRead)
	go b.loop(b.writeSet, (*Conn).writable)
	<-b.stopAccept
	return nil
}

// listen registers a duplicate of the listening socket in the read set.
func (b *epollBackend) listen(ln *net.TCPListener) error {
	f, err := ln.File()
	if err != nil {
		return fmt.Errorf("listener descriptor: %w", err)
	}
	b.listener = f
	b.listenFD = int(f.Fd())
	if err := unix.SetNonblock(b.listenFD, true); err != nil {
		return fmt.Errorf("listener non-blocking: %w", err)
	}
	// Accepted sockets inherit TCP_NODELAY from the listener: one system
	// call per server instead of one per connection. Frames are batched
	// by the outbound queues, so Nagle's delay would only add latency.
	if err := unix.SetsockoptInt(b.listenFD, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fmt.Errorf("listener TCP_NODELAY: %w", err)
	}
	if err := b.watchListener(); err != nil {
		return err
	}
	b.accepting = true
	return nil
}

// watchListener registers the listener in the read set, level-triggered:
// the read loop accepts while connections are pending.
func (b *epollBackend) watchListener() error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(b.listenFD), Pad: listenerTag}
	if err := b.readSet.ctl(unix.EPOLL_CTL_ADD, b.listenFD, &ev); err != nil {
		return fmt.Errorf("epoll_ctl listener: %w", err)
	}
	return nil
}

// acceptReady accepts every pending connection. When accept fails for
// lack of resources (EMFILE above all), the listener leaves the read set
// and a goroutine puts it back after a pause (acceptThrottle): the read
// loop never waits, so existing connections are served meanwhile.
func (b *epollBackend) acceptReady() {
	b.acceptMu.Lock()
	defer b.acceptMu.Unlock()
	for b.accepting && !b.paused {
		fd, remote, err := accept4(b.listenFD)
		switch err {
		case nil:
			b.srv.accepts.succeeded()
		case unix.EAGAIN:
			return
		case unix.EINTR, unix.ECONNABORTED:
			continue
		default:
			d := b.srv.accepts.failed(err)
			if derr := b.readSet.ctl(unix.EPOLL_CTL_DEL, b.listenFD, nil); derr != nil {
				b.srv.log.Error("epoll_ctl: cannot pause the listener", "err", derr)
				return
			}
			b.paused = true
			go b.resumeAfter(d)
			return
		}
		// The client usually sends its request right after connecting, so
		// the first read pass runs at once, without waiting for epoll to
		// report it; read interest is registered when that pass ends.
		b.srv.pool.scheduleRead(b.srv.adopt(fd, remote, nil))
	}
}

// resumeAfter puts the listener back into the read set after a pause.
func (b *epollBackend) resumeAfter(d time.Duration) {
	b.srv.accepts.pause(d)
	b.acceptMu.Lock()
	defer b.acceptMu.Unlock()
	if !b.accepting || !b.paused {
		return
	}
	if err := b.watchListener(); err != nil {
		b.srv.log.Error("cannot resume accepting", "err", err)
		return
	}
	b.paused = false
}

// stopAccepting closes the duplicate of the listening socket; with the
// server's own listener closed too, the socket is gone.
func (b *epollBackend) stopAccepting() {
	b.acceptMu.Lock()
	defer b.acceptMu.Unlock()
	if !b.accepting {
		return
	}
	b.accepting = false
	if !b.paused {
		_ = b.readSet.ctl(unix.EPOLL_CTL_DEL, b.listenFD, nil)
	}
	_ = b.listener.Close()
	b.listener = nil
	close(b.stopAccept)
}

// armRead registers (first pass) or re-arms one-shot read interest.
func (b *epollBackend) armRead(c *Conn) error {
	ev := unix.EpollEvent{Events: readEvents, Fd: int32(c.fd), Pad: int32(c.seq)}
	op := unix.EPOLL_CTL_MOD
	if !c.inReadSet {
		op = unix.EPOLL_CTL_ADD
		c.inReadSet = true
	}
	return b.readSet.ctl(op, c.fd, &ev)
}

func (b *epollBackend) waitWritable(c *Conn) {
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(c.fd), Pad: int32(c.seq)}
	op := unix.EPOLL_CTL_MOD
	if !c.inWriteSet {
		op = unix.EPOLL_CTL_ADD
		c.inWriteSet = true
	}
	if err := b.writeSet.ctl(op, c.fd, &ev); err != nil {
		// Cannot wait for writability: treat the socket as broken.
		c.abandonLocked(fmt.Errorf("epoll_ctl write set: %w", err))
	}
}

// closeSocket closes the descriptor; closing removes it from both epoll
// sets (it was never duplicated), which saves two epoll_ctl calls per
// connection.
func (b *epollBackend) closeSocket(c *Conn) { sysClose(c.fd) }

// loop waits on one epoll set and hands each ready connection to onReady,
// until the set is closed.
func (b *epollBackend) loop(set *epollSet, onReady func(*Conn)) {
	defer func() { b.loops <- struct{}{} }()
	events := make([]unix.EpollEvent, 1024)
	for {
		n, err := set.wait(events)
		if err != nil {
			if !b.closed.Load() {
				b.srv.log.Error("epoll_wait failed", "err", err)
			}
			return
		}
		b.srv.pool.polled()
		b.dispatch(set, events[:n], onReady)
	}
}

// dispatch hands ready events to onReady (the listener's to acceptReady).
func (b *epollBackend) dispatch(set *epollSet, events []unix.EpollEvent, onReady func(*Conn)) {
	for i := range events {
		ev := &events[i]
		if int(ev.Fd) == b.listenFD && ev.Pad == listenerTag && set == b.readSet {
			b.acceptReady()
			continue
		}
		if c := b.srv.table.get(int(ev.Fd), uint32(ev.Pad)); c != nil {
			onReady(c)
		}
	}
}

// pollReady collects what both sets have ready now, without waiting, on a
// busy worker (pool.pollIfDue).
func (b *epollBackend) pollReady(w *worker) {
	if w.events == nil {
		w.events = make([]unix.EpollEvent, 256)
	}
	if n, err := sysEpollPoll(b.readSet.fd, w.events); err == nil {
		b.dispatch(b.readSet, w.events[:n], b.srv.pool.scheduleRead)
	}
	if n, err := sysEpollPoll(b.writeSet.fd, w.events); err == nil {
		b.dispatch(b.writeSet, w.events[:n], (*Conn).writable)
	}
}

// close stops the loops (closing a set wakes its loop) once the workers
// are gone, and waits for them.
func (b *epollBackend) close() {
	if b.closed.Swap(true) {
		return
	}
	b.closeFDs()
	<-b.loops
	<-b.loops
}

func (b *epollBackend) closeFDs() {
	if b.listener != nil { // only when setting up failed
		_ = b.listener.Close()
	}
	for _, set := range []*epollSet{b.readSet, b.writeSet} {
		if set != nil {
			set.close()
		}
	}
}

// accept4 accepts one connection, non-blocking and close-on-exec, and
// returns its peer address. It makes the system call itself: unix.Accept4
// allocates a Sockaddr per connection and, for every IPv4 peer, asks the
// listener for SO_PROTOCOL (one more system call per connection).
func accept4(listenFD int) (int, netip.AddrPort, error) {
	var rsa unix.RawSockaddrAny
	fd, err := sysAccept4(listenFD, &rsa)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	return fd, rawAddrPort(&rsa), nil
}

// rawAddrPort converts an IPv4 or IPv6 socket address from the kernel.
func rawAddrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), networkPort(a.Port))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), networkPort(a.Port))
	}
	return netip.AddrPort{}
}

// networkPort reads a port stored in network byte order.
func networkPort(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
