package netpoll

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"

	"golang.org/x/sys/unix"
)

// echoHandler sends every byte back; "close" asks for a graceful close.
type echoHandler struct {
	c      *Conn
	closed chan error
}

func (h *echoHandler) OnData(data []byte) error {
	if bytes.Equal(data, []byte("close")) {
		h.c.Close([]byte("bye"))
		return nil
	}
	if bytes.Equal(data, []byte("finish")) {
		h.c.CloseAfterPeer([]byte("done"))
		return nil
	}
	if bytes.Equal(data, []byte("abort")) {
		return errors.New("abort requested")
	}
	return h.c.Send(bytes.Clone(data))
}

func (h *echoHandler) OnClose(err error) { h.closed <- err }

func startEcho(t *testing.T, backend string, cfg Config) (*Server, chan error) {
	t.Helper()
	closed := make(chan error, 1024)
	cfg.Backend = backend
	s, err := Listen("127.0.0.1:0", cfg, func() *Conn {
		h := &echoHandler{c: new(Conn), closed: closed}
		h.c.SetHandler(h)
		return h.c
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Serve()
	t.Cleanup(s.Close)
	return s, closed
}

func dial(t *testing.T, s *Server) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return nc
}

func TestEchoManyConnections(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, _ := startEcho(t, backend, Config{Workers: 3})
			var wg sync.WaitGroup
			for i := 0; i < 50; i++ {
				nc := dial(t, s)
				wg.Add(1)
				go func() {
					defer wg.Done()
					msg := bytes.Repeat([]byte{byte('a' + i%26)}, 100+i*997)
					if _, err := nc.Write(msg); err != nil {
						t.Error(err)
						return
					}
					got := make([]byte, len(msg))
					if _, err := io.ReadFull(nc, got); err != nil {
						t.Error(err)
						return
					}
					if !bytes.Equal(got, msg) {
						t.Error("echo mismatch")
					}
				}()
			}
			wg.Wait()
			st := s.Stats()
			if st.Accepted != 50 || st.Open != 50 {
				t.Fatalf("stats: %+v", st)
			}
		})
	}
}

func TestGracefulCloseFlushesFinalBytes(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, closed := startEcho(t, backend, Config{})
			nc := dial(t, s)
			if _, err := nc.Write([]byte("close")); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(nc) // "bye" then EOF from the half-close
			if err != nil || string(got) != "bye" {
				t.Fatalf("got %q, %v", got, err)
			}
			_ = nc.Close()
			select {
			case err := <-closed:
				if err != nil {
					t.Fatalf("graceful close reported %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("OnClose not called")
			}
			waitOpen(t, s, 0)
		})
	}
}

func TestCloseAfterPeerDoesNotWaitForThePeer(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, closed := startEcho(t, backend, Config{LingerTimeout: time.Minute})
			nc := dial(t, s)
			if _, err := nc.Write([]byte("finish")); err != nil {
				t.Fatal(err)
			}
			select { // no linger: released while the client still holds its end
			case err := <-closed:
				if err != nil {
					t.Fatalf("OnClose(%v)", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("connection not released after CloseAfterPeer")
			}
			got, err := io.ReadAll(nc)
			if err != nil || string(got) != "done" {
				t.Fatalf("got %q, %v", got, err)
			}
			waitOpen(t, s, 0)
		})
	}
}

func TestHandlerErrorClosesAtOnce(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, closed := startEcho(t, backend, Config{})
			nc := dial(t, s)
			_, _ = nc.Write([]byte("abort"))
			if err := <-closed; err == nil || err.Error() != "abort requested" {
				t.Fatalf("OnClose(%v)", err)
			}
			if n, err := nc.Read(make([]byte, 1)); err == nil {
				t.Fatalf("read %d bytes after abort", n)
			}
			waitOpen(t, s, 0)
		})
	}
}

// A connection that stops reading hits the queue limit; aborting it keeps
// the unit being written whole, drops the units not started, and the
// peer, reading afterwards, gets complete units, the final bytes and a
// clean end of the stream (FIN, never a reset).
func TestSlowConsumerHitsQueueLimit(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			closed := make(chan error, 1)
			s, err := Listen("127.0.0.1:0", Config{Backend: backend, WriteQueueLimit: 1 << 20}, func() *Conn {
				c := new(Conn)
				c.SetHandler(&echoHandler{c: c, closed: closed})
				return c
			})
			if err != nil {
				t.Fatal(err)
			}
			s.Serve()
			defer s.Close()
			nc := dialSmallBuffer(t, s) // does not read until the abort
			conns := []*Conn{waitConn(t, s)}
			const unit = 64 << 10
			var sendErr error
			sent := 0
			for ; sent < 1000 && sendErr == nil; sent++ { // at most 64 MiB offered
				sendErr = conns[0].Send(bytes.Repeat([]byte{byte(sent)}, unit))
				if sendErr == nil {
					time.Sleep(100 * time.Microsecond)
				}
			}
			if !errors.Is(sendErr, ErrQueueFull) {
				t.Fatalf("Send error = %v, want ErrQueueFull", sendErr)
			}
			if q := conns[0].QueuedBytes(); q > 1<<20 {
				t.Fatalf("queue grew to %d bytes past the limit", q)
			}
			final := []byte("FINAL")
			conns[0].Abort(final, ErrQueueFull)
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := io.ReadAll(nc)
			if err != nil {
				t.Fatalf("after %d bytes: %v, want a clean EOF", len(got), err)
			}
			units := len(got) / unit
			if len(got) != units*unit+len(final) || !bytes.Equal(got[units*unit:], final) {
				t.Fatalf("got %d bytes ending in %q: want whole %d-byte units, then %q", len(got), wstest.Abbrev(string(got[max(0, len(got)-16):]), 16), unit, final)
			}
			for i := range units {
				if u := got[i*unit : (i+1)*unit]; !bytes.Equal(u, bytes.Repeat([]byte{byte(i)}, unit)) {
					t.Fatalf("unit %d is not what was sent", i)
				}
			}
			if units >= sent {
				t.Fatalf("all %d units arrived: nothing was dropped", units)
			}
			if err := <-closed; !errors.Is(err, ErrQueueFull) {
				t.Fatalf("OnClose(%v), want ErrQueueFull", err)
			}
			t.Logf("%d of %d units arrived, then the final bytes", units, sent)
			waitOpen(t, s, 0)
		})
	}
}

// A connection's own queue limit replaces the server's: higher, or none.
func TestPerConnectionQueueLimit(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, _ := startEcho(t, backend, Config{WriteQueueLimit: 1 << 20})
			nc1, nc2 := dial(t, s), dial(t, s) // never read
			defer nc1.Close()
			defer nc2.Close()
			waitOpen(t, s, 2)
			conns := s.Conns()
			conns[0].SetWriteQueueLimit(4 << 20)
			conns[1].SetWriteQueueLimit(-1)
			chunk := make([]byte, 64<<10)
			var sendErr error
			for i := 0; i < 1024 && sendErr == nil; i++ { // at most 64 MiB offered
				sendErr = conns[0].Send(chunk)
			}
			if q := conns[0].QueuedBytes(); !errors.Is(sendErr, ErrQueueFull) || q <= 1<<20 || q > 4<<20 {
				t.Fatalf("limit 4 MiB: Send error %v with %d bytes queued", sendErr, q)
			}
			for i := range 256 { // 16 MiB, far more than the kernel takes from a peer that reads nothing
				if err := conns[1].Send(chunk); err != nil {
					t.Fatalf("no limit: Send %d: %v", i, err)
				}
			}
			if q := conns[1].QueuedBytes(); q <= 4<<20 {
				t.Fatalf("no limit: only %d bytes queued", q)
			}
		})
	}
}

func TestBatchedWritesUseFewSyscalls(t *testing.T) {
	s, _ := startEcho(t, BackendEpoll, Config{Workers: 1})
	var target *Conn
	nc := dial(t, s)
	for deadline := time.Now().Add(5 * time.Second); target == nil && time.Now().Before(deadline); {
		if cs := s.Conns(); len(cs) == 1 {
			target = cs[0]
		}
	}
	frame := []byte("0123456789abcdef")
	before := s.Stats()
	for i := 0; i < 1000; i++ {
		if err := target.Send(frame); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, 1000*len(frame))
	if _, err := io.ReadFull(nc, got); err != nil {
		t.Fatal(err)
	}
	after := s.Stats()
	for deadline := time.Now().Add(5 * time.Second); after.FramesOut-before.FramesOut < 1000 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // the counters move just after writev returns
		after = s.Stats()
	}
	if frames := after.FramesOut - before.FramesOut; frames != 1000 {
		t.Fatalf("frames out %d, want 1000", frames)
	}
	if calls := after.WriteCalls - before.WriteCalls; calls == 0 || calls > 1000 {
		t.Fatalf("write calls %d", calls)
	}
}

// dialSmallBuffer connects with a 4 KiB receive buffer, so that the
// server's writes stall soon when the client does not read.
func dialSmallBuffer(t *testing.T, s *Server) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
		}); err != nil {
			return err
		}
		return serr
	}}
	nc, err := d.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return nc
}

func waitOpen(t *testing.T, s *Server, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Open != want {
		if time.Now().After(deadline) {
			t.Fatalf("open connections %d, want %d", s.Stats().Open, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAcceptedSocketsHaveNoDelay(t *testing.T) {
	s, _ := startEcho(t, BackendEpoll, Config{})
	dial(t, s)
	conns := []*Conn{waitConn(t, s)}
	if len(conns) != 1 {
		t.Fatal("connection not accepted")
	}
	v, err := unix.GetsockoptInt(conns[0].fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
	if err != nil || v == 0 {
		t.Fatalf("TCP_NODELAY = %d, %v", v, err)
	}
}

// Writes and reads must never block a worker, whatever the backend does to
// the descriptor (easygo's os.File.Fd turns the file description blocking).
func TestSocketsStayNonBlocking(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, _ := startEcho(t, backend, Config{})
			nc := dial(t, s)
			buf := make([]byte, 5)
			for i := 0; i < 3; i++ { // several read passes, so several re-arms
				if _, err := nc.Write([]byte("hello")); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(nc, buf); err != nil {
					t.Fatal(err)
				}
			}
			conns := s.Conns()
			if len(conns) != 1 {
				t.Fatalf("%d connections", len(conns))
			}
			flags, err := unix.FcntlInt(uintptr(conns[0].fd), unix.F_GETFL, 0)
			if err != nil || flags&unix.O_NONBLOCK == 0 {
				t.Fatalf("flags %#x, %v: socket is blocking", flags, err)
			}
		})
	}
}

// StopAccepting closes the listening socket at once: new connections are
// refused and those the kernel had completed but the server had not
// accepted yet are reset, so a load balancer retries them elsewhere.
func TestStopAcceptingRefusesAndDropsTheBacklog(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			closed := make(chan error, 16)
			s, err := Listen("127.0.0.1:0", Config{Backend: backend}, func() *Conn {
				h := &echoHandler{c: new(Conn), closed: closed}
				h.c.SetHandler(h)
				return h.c
			})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Not serving yet: these wait in the listen backlog.
			var waiting []net.Conn
			for range 3 {
				waiting = append(waiting, dial(t, s))
			}
			s.StopAccepting()
			for i, nc := range waiting {
				_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
				if n, err := nc.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("connection %d in the backlog still open after StopAccepting: read %d, %v", i, n, err)
				}
			}
			if nc, err := net.Dial("tcp", s.Addr().String()); err == nil {
				nc.Close()
				t.Fatal("connection accepted after StopAccepting")
			} else if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("dial after StopAccepting: %v, want ECONNREFUSED", err)
			}
			if st := s.Stats(); st.Accepted != 0 {
				t.Fatalf("%d connections accepted", st.Accepted)
			}
		})
	}
}

// stallHandler holds its first OnData until proceed is closed, so input
// sent meanwhile stays unread in the kernel.
type stallHandler struct {
	c         *Conn
	inHandler chan struct{}
	proceed   chan struct{}
	closed    chan error
	calls     int
}

func (h *stallHandler) OnData([]byte) error {
	if h.calls++; h.calls == 1 {
		close(h.inHandler)
		<-h.proceed
	}
	return nil
}

func (h *stallHandler) OnClose(err error) { h.closed <- err }

// A connection closed with input it has not read yet still ends with FIN:
// closing a socket with unread input would send an RST, and the peer would
// read a reset where the stream should end.
func TestAbortWithUnreadInputEndsWithFIN(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			h := &stallHandler{inHandler: make(chan struct{}), proceed: make(chan struct{}), closed: make(chan error, 1)}
			s, err := Listen("127.0.0.1:0", Config{Backend: backend}, func() *Conn {
				h.c = new(Conn)
				h.c.SetHandler(h)
				return h.c
			})
			if err != nil {
				t.Fatal(err)
			}
			s.Serve()
			defer s.Close()
			nc := dial(t, s)
			if _, err := nc.Write([]byte("first")); err != nil {
				t.Fatal(err)
			}
			<-h.inHandler
			if _, err := nc.Write(make([]byte, 10<<10)); err != nil { // unread: the handler is busy
				t.Fatal(err)
			}
			h.c.Abort([]byte("FINAL"), ErrQueueFull)
			close(h.proceed)
			if err := <-h.closed; !errors.Is(err, ErrQueueFull) {
				t.Fatalf("OnClose(%v)", err)
			}
			got, err := io.ReadAll(nc)
			if err != nil || string(got) != "FINAL" {
				t.Fatalf("peer read %q, %v; want FINAL and a clean EOF", got, err)
			}
		})
	}
}

// An Abort while a writev is in flight cuts the queue only once the
// writev has returned: the unit it left partly written is finished, the
// units after it are dropped, the final bytes follow.
func TestAbortDuringAWritevCutsAfterIt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		written int      // by the writev in flight
		want    []string // the queue after the cut
		off     int32
	}{
		{"inside the second unit", 150, []string{"bbbb", "FINAL"}, 50},
		{"at a unit boundary", 100, []string{"FINAL"}, 0},
		{"inside the first unit", 10, []string{"aaaa", "FINAL"}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &Server{cfg: Config{}.withDefaults(), backend: inertBackend{}, pool: &pool{}}
			c := &Conn{srv: srv}
			c.mu.Lock()
			for _, u := range "abc" {
				c.enqueueLocked(bytes.Repeat([]byte{byte(u)}, 100))
			}
			c.flushQueued, c.flushing = true, true // a flush task is inside writev
			c.mu.Unlock()

			c.Abort([]byte("FINAL"), ErrQueueFull)

			c.mu.Lock()
			defer c.mu.Unlock()
			c.flushing = false
			c.wroteLocked(tc.written)
			var got []string
			for _, b := range c.out {
				if string(b) == "FINAL" {
					got = append(got, "FINAL")
				} else {
					got = append(got, strings.Repeat(string(b[:1]), 4))
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || c.outOff != tc.off {
				t.Fatalf("queue %v from offset %d, want %v from %d", got, c.outOff, tc.want, tc.off)
			}
			wantBytes := len("FINAL")
			if len(tc.want) == 2 {
				wantBytes += 100 - int(tc.off)
			}
			if c.outBytes != wantBytes {
				t.Fatalf("outBytes %d, want %d", c.outBytes, wantBytes)
			}
		})
	}
}

// waitConn returns the server's only connection once it is published
// (adopted and wired up), failing the test after 5 s.
func waitConn(t *testing.T, s *Server) *Conn {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if conns := s.Conns(); len(conns) > 0 {
			return conns[0]
		}
	}
	t.Fatal("no connection was published within 5 s")
	return nil
}

// burstHandler answers each byte 'b' with burstUnits units of burstUnit bytes,
// all queued during one OnData: more than a read pass holds for its own
// flush, so a flush task must take over part of it.
type burstHandler struct{ c *Conn }

const (
	burstUnit  = 4 << 10
	burstUnits = 64 // 256 KiB, four times heldFlushLimit
)

func (h *burstHandler) OnData(data []byte) error {
	for _, b := range data {
		if b != 'b' {
			return errors.New("unexpected input")
		}
		for i := range burstUnits {
			if err := h.c.Send(bytes.Repeat([]byte{byte('a' + i%26)}, burstUnit)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *burstHandler) OnClose(error) {}

func TestReplyBurstDuringAReadPassArrivesWhole(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, err := Listen("127.0.0.1:0", Config{Backend: backend, Workers: 1}, func() *Conn {
				h := &burstHandler{c: new(Conn)}
				h.c.SetHandler(h)
				return h.c
			})
			if err != nil {
				t.Fatal(err)
			}
			s.Serve()
			t.Cleanup(s.Close)
			nc := dialSmallBuffer(t, s) // the writes meet EAGAIN too
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			for round := range 3 {
				if _, err := nc.Write([]byte("b")); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, burstUnit*burstUnits)
				if _, err := io.ReadFull(nc, got); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				for i := range burstUnits {
					unit := got[i*burstUnit : (i+1)*burstUnit]
					if want := bytes.Repeat([]byte{byte('a' + i%26)}, burstUnit); !bytes.Equal(unit, want) {
						t.Fatalf("round %d: unit %d differs", round, i)
					}
				}
			}
		})
	}
}
