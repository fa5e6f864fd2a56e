package netpoll

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Backend names accepted by Config.Backend.
const (
	BackendEpoll     = "epoll"
	BackendEasygo    = "easygo"
	BackendGoroutine = "goroutine"
)

// Backends lists the available backends, default first.
var Backends = []string{BackendEpoll, BackendEasygo, BackendGoroutine}

// Config tunes a Server. Zero values select the defaults.
type Config struct {
	// Backend is one of Backends; default "epoll".
	Backend string
	// Workers is the size of the worker pool; default 4 × GOMAXPROCS.
	Workers int
	// ReadBufferSize is each worker's read buffer; default 64 KiB.
	ReadBufferSize int
	// WriteQueueLimit bounds the bytes queued per connection (0: no bound).
	WriteQueueLimit int
	// LingerTimeout bounds how long a closing connection waits for its
	// peer to close; default 2 s.
	LingerTimeout time.Duration
	// DeferAccept, when positive, sets TCP_DEFER_ACCEPT on the listener:
	// the kernel hands a connection over only once its first bytes have
	// arrived, so the first read pass finds them at once (no EAGAIN, no
	// epoll round trip), and a connection that stays silent costs no
	// descriptor until about DeferAccept after its TCP handshake. Linux
	// rounds the period up to its SYN-ACK retransmission schedule (1 s,
	// 3 s, 7 s, … with the default 1 s initial timeout) and then accepts
	// the silent connection anyway. 0 accepts at once.
	DeferAccept time.Duration
	// Logger receives accept errors; default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Backend == "" {
		c.Backend = BackendEpoll
	}
	if c.Workers <= 0 {
		c.Workers = 4 * runtime.GOMAXPROCS(0)
	}
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = 64 << 10
	}
	if c.LingerTimeout <= 0 {
		c.LingerTimeout = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Acceptor is called for each accepted connection before anything is read
// from it. It returns a zero Conn with the connection's Handler installed
// (SetHandler); embedding the Conn in the handler's own struct keeps a
// connection to a single allocation.
type Acceptor func() *Conn

// backend is what differs between the pollers: how sockets are accepted,
// how readiness is detected and how they are closed. armRead and
// waitWritable are called with the connection's mutex held and only while
// it is not released, so they never touch a closed or reused descriptor.
type backend interface {
	// serve accepts connections until stopAccepting.
	serve(ln *net.TCPListener) error
	// stopAccepting closes the backend's own hold on the listening
	// socket (the server closes ln), so the kernel refuses new
	// connections and resets those not accepted yet.
	stopAccepting()
	armRead(c *Conn) error
	waitWritable(c *Conn)
	// closeSocket closes a released connection's descriptor(s), which
	// also takes it out of the poller.
	closeSocket(c *Conn)
	close()
}

// Server accepts connections on one TCP listener and drives them.
type Server struct {
	cfg     Config
	ln      *net.TCPListener
	accept  Acceptor
	backend backend
	pool    *pool
	table   table
	stats   counters
	log     *slog.Logger
	accepts acceptThrottle
	// rawIO: reads, writes and shutdowns are raw system calls (see
	// sys.go); false for the easygo backend.
	rawIO bool

	served     chan struct{}
	stopAccept chan struct{} // closed by StopAccepting
	stop       chan struct{}
	serveOnce  sync.Once
	stopOnce   sync.Once
	closeOnce  sync.Once
}

// Listen starts a Server on addr ("127.0.0.1:8095"; port 0 picks one).
func Listen(addr string, cfg Config, accept Acceptor) (*Server, error) {
	cfg = cfg.withDefaults()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if cfg.DeferAccept > 0 {
		if err := deferAccept(l.(*net.TCPListener), cfg.DeferAccept); err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
	}
	s := &Server{
		cfg:        cfg,
		ln:         l.(*net.TCPListener),
		accept:     accept,
		log:        cfg.Logger,
		rawIO:      cfg.Backend != BackendEasygo,
		served:     make(chan struct{}),
		stopAccept: make(chan struct{}),
		stop:       make(chan struct{}),
	}
	s.accepts = acceptThrottle{srv: s, freed: make(chan struct{}, 1)}
	s.pool = newPool(cfg.Workers, cfg.ReadBufferSize, s)
	switch cfg.Backend {
	case BackendEpoll:
		var b *epollBackend
		if b, err = newEpollBackend(s, s.ln); err == nil {
			s.backend = b
			s.pool.poll = b.pollReady
		}
	case BackendEasygo:
		s.backend, err = newEasygoBackend(s)
	case BackendGoroutine:
		s.backend = &goroutineBackend{srv: s}
	default:
		err = fmt.Errorf("unknown poller %q (want one of %v)", cfg.Backend, Backends)
	}
	if err != nil {
		s.pool.close()
		_ = l.Close()
		return nil, err
	}
	return s, nil
}

// Serve starts accepting connections; Listen only binds the socket, so the
// caller can finish wiring itself up before the first connection arrives.
func (s *Server) Serve() {
	s.serveOnce.Do(func() {
		go func() {
			defer close(s.served)
			if err := s.backend.serve(s.ln); err != nil {
				s.log.Error("accept loop stopped", "err", err)
			}
		}()
		go s.janitor()
	})
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	st.Backend = s.cfg.Backend
	st.Workers = s.cfg.Workers
	return st
}

// Conns returns the live connections.
func (s *Server) Conns() []*Conn { return s.table.snapshot(nil) }

// AppendConns appends the live connections to dst, so a periodic sweep can
// reuse one slice.
func (s *Server) AppendConns(dst []*Conn) []*Conn { return s.table.snapshot(dst) }

// StopAccepting closes the listening socket at once: from then on the
// kernel refuses new connections (ECONNREFUSED) and resets those it had
// completed but the server had not accepted yet, so a load balancer can
// send them elsewhere. Live connections stay.
func (s *Server) StopAccepting() {
	s.stopOnce.Do(func() {
		close(s.stopAccept)
		s.backend.stopAccepting()
		_ = s.ln.Close()
	})
	s.Serve() // so that served is closed even if Serve was never called; accepts nothing now
	<-s.served
}

// Close stops accepting, closes every connection at once and stops the
// workers and the backend.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.StopAccepting()
		close(s.stop)
		for _, c := range s.Conns() {
			c.abandon(ErrClosed)
		}
		s.pool.close()
		s.backend.close()
	})
}

// adopt wraps an accepted socket, hands it to the acceptor and counts it.
func (s *Server) adopt(fd int, remote netip.AddrPort, nc net.Conn) *Conn {
	c := s.accept()
	c.fd, c.remote, c.srv = fd, remote, s
	if nc != nil {
		c.rt = &runtimeConn{nc: nc}
	}
	c.lastRead.Store(time.Now().UnixNano())
	s.stats.accepted.Add(1)
	s.stats.open.Add(1)
	s.table.put(c) // publishes c, handler included, to Conns() callers
	return c
}

// release forgets a released connection and closes its socket; a
// descriptor is free again, so a paused accept loop may resume.
func (s *Server) release(c *Conn) {
	s.table.remove(c)
	s.backend.closeSocket(c)
	s.stats.open.Add(-1)
	s.accepts.released()
}

// janitor closes connections whose close handshake outlived the linger
// timeout.
func (s *Server) janitor() {
	tick := time.NewTicker(s.cfg.LingerTimeout / 4)
	defer tick.Stop()
	var conns []*Conn
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			conns = s.table.snapshot(conns[:0])
			for _, c := range conns {
				if since, closing := c.closeStarted(); closing && now.Sub(since) > s.cfg.LingerTimeout {
					c.abandon(ErrLingerTimeout)
				}
			}
			clear(conns)
		}
	}
}

// acceptThrottle takes the listener out of service while accept fails
// (typically EMFILE: no descriptor left), so a full descriptor table
// never turns the accept loop into a busy loop nor stalls the event loop
// that serves the existing connections. Accepting resumes after a
// backoff (5 ms doubling to 1 s) or as soon as a connection is released,
// whichever comes first. A run of failures is one episode: logged once
// when it starts and once when accepting works again, and counted in
// Stats (AcceptErrors, AcceptPauses). Its fields other than waiting and
// freed belong to the accept loop (epoll: under acceptMu).
type acceptThrottle struct {
	srv         *Server
	backoff     time.Duration
	inEpisode   bool
	started     time.Time // of the episode
	lastFailure time.Time
	failures    uint64 // in the episode

	waiting atomic.Bool   // an accept failed and the pause is not over
	freed   chan struct{} // 1-buffered: a descriptor was freed during a pause
}

// episodeQuiet is how long accepts must go without failing for a new
// failure to start a new episode.
const episodeQuiet = time.Second

// failed counts a failed accept and returns how long to pause; from now
// on a released connection ends the pause.
func (t *acceptThrottle) failed(err error) time.Duration {
	t.waiting.Store(true)
	now := time.Now()
	t.srv.stats.acceptErrors.Add(1)
	if !t.inEpisode || now.Sub(t.lastFailure) >= episodeQuiet {
		t.inEpisode, t.started, t.failures, t.backoff = true, now, 0, 0
		t.srv.stats.acceptPauses.Add(1)
		t.srv.log.Warn("accept failing: pausing new connections until one is released; existing sessions are served",
			"err", err, "open", t.srv.stats.open.Load())
	}
	t.failures++
	t.lastFailure = now
	t.backoff = min(max(2*t.backoff, 5*time.Millisecond), time.Second)
	return t.backoff
}

// succeeded notes an accepted connection; it ends an episode once
// accepts have not failed for episodeQuiet.
func (t *acceptThrottle) succeeded() {
	if t.inEpisode && time.Since(t.lastFailure) >= episodeQuiet {
		t.inEpisode = false
		t.srv.log.Info("accepting again", "failed_accepts", t.failures,
			"episode", time.Since(t.started).Round(time.Millisecond))
	}
}

// pause waits until d passes, a connection is released (since failed)
// or accepting stops.
func (t *acceptThrottle) pause(d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.freed:
	case <-t.srv.stopAccept:
	}
	t.waiting.Store(false)
}

// released is called after a connection's descriptor was closed.
func (t *acceptThrottle) released() {
	if t.waiting.Load() {
		select {
		case t.freed <- struct{}{}:
		default:
		}
	}
}

// deferAccept sets TCP_DEFER_ACCEPT on the listener, in whole seconds
// (rounded up).
func deferAccept(ln *net.TCPListener, d time.Duration) error {
	secs := int((d + time.Second - 1) / time.Second)
	rc, err := ln.SyscallConn()
	if err != nil {
		return fmt.Errorf("TCP_DEFER_ACCEPT: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, secs)
	}); err != nil {
		return fmt.Errorf("TCP_DEFER_ACCEPT: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("TCP_DEFER_ACCEPT: %w", serr)
	}
	return nil
}

// rawFD returns the descriptor of a Go connection without duplicating it.
func rawFD(nc net.Conn) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errors.New("connection exposes no descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return -1, err
	}
	return fd, nil
}

// remoteOf converts a net.Addr to an AddrPort.
func remoteOf(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}
