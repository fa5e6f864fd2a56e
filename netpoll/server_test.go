package netpoll

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

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
		h.c.Finish([]byte("done"))
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

func TestFinishClosesWithoutWaitingForThePeer(t *testing.T) {
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
				t.Fatal("connection not released after Finish")
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

func TestSlowConsumerHitsQueueLimit(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, err := Listen("127.0.0.1:0", Config{Backend: backend, WriteQueueLimit: 1 << 20}, func() *Conn {
				c := new(Conn)
				c.SetHandler(&echoHandler{c: c, closed: make(chan error, 1)})
				return c
			})
			if err != nil {
				t.Fatal(err)
			}
			s.Serve()
			defer s.Close()
			nc := dial(t, s)  // never reads
			var conns []*Conn // published by the server once wired up
			for deadline := time.Now().Add(5 * time.Second); len(conns) == 0 && time.Now().Before(deadline); {
				conns = s.Conns()
				time.Sleep(time.Millisecond)
			}
			chunk := make([]byte, 64<<10)
			var sendErr error
			for i := 0; i < 1000 && sendErr == nil; i++ { // at most 64 MiB offered
				sendErr = conns[0].Send(chunk)
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
			conns[0].CloseNow(nil, ErrQueueFull)
			_ = nc
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
	var conns []*Conn
	for deadline := time.Now().Add(5 * time.Second); len(conns) == 0 && time.Now().Before(deadline); {
		conns = s.Conns()
		time.Sleep(time.Millisecond)
	}
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
