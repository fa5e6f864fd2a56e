package netpoll

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// frame130 is a 130-byte frame, the size of a 128-byte event's EVENT frame.
var frame130 = make([]byte, 130)

// inertBackend lets the flush path run without a reactor: waitWritable
// only records that the socket was full (the benchmark polls for it).
type inertBackend struct{}

func (inertBackend) serve(*net.TCPListener) error { return nil }
func (inertBackend) stopAccepting()               {}
func (inertBackend) armRead(*Conn) error          { return nil }
func (inertBackend) waitWritable(*Conn)           {}
func (inertBackend) closeSocket(*Conn)            {}
func (inertBackend) close()                       {}

// tcpPair returns both ends of a loopback TCP connection: the accepted
// side as a Go net.Conn (its descriptor is already non-blocking) and the
// dialing side, with large socket buffers so a queue of 1,024 frames
// fits.
func tcpPair(b *testing.B) (server, client net.Conn) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	if server, err = ln.Accept(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	_ = server.(*net.TCPConn).SetWriteBuffer(4 << 20)
	_ = client.(*net.TCPConn).SetReadBuffer(4 << 20)
	return server, client
}

// drain reads everything the client end receives and counts it.
func drain(client net.Conn, got *atomic.Int64) {
	buf := make([]byte, 256<<10)
	for {
		n, err := client.Read(buf)
		got.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// BenchmarkFlushWritev queues N frames to one connection and runs the
// flush task once (writev of up to 1,024 frames per call) on loopback
// TCP, with a reader draining the other end. It reports the time and
// write system calls per frame: the syscall count is what batching
// saves (DESIGN §3: a loopback write costs 10–13 µs of CPU here).
func BenchmarkFlushWritev(b *testing.B) {
	for _, n := range []int{1, 16, 64, 256, 1024} {
		b.Run(fmt.Sprintf("frames=%d", n), func(b *testing.B) {
			server, client := tcpPair(b)
			fd, err := rawFD(server)
			if err != nil {
				b.Fatal(err)
			}
			srv := &Server{cfg: Config{}.withDefaults(), backend: inertBackend{}, pool: &pool{}}
			c := &Conn{fd: fd, srv: srv}
			w := newWorker(64<<10, srv)
			var got atomic.Int64
			go drain(client, &got)
			b.ReportAllocs()
			for b.Loop() {
				c.mu.Lock()
				for range n {
					c.enqueueLocked(frame130)
				}
				c.mu.Unlock()
				flushAll(b, c, w)
			}
			st := srv.stats.snapshot()
			frames := float64(b.N * n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/frames, "ns/frame")
			b.ReportMetric(float64(st.WriteCalls)/frames, "writev/frame")
			b.ReportMetric(float64(st.WriteBlocked), "eagain")
			want := int64(b.N * n * len(frame130))
			for deadline := time.Now().Add(5 * time.Second); got.Load() < want && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			if got.Load() != want {
				b.Fatalf("peer read %d bytes, want %d", got.Load(), want)
			}
		})
	}
}

// flushAll runs the flush task until the queue is empty, waiting for
// the socket to become writable when it was full.
func flushAll(b *testing.B, c *Conn, w *worker) {
	for {
		c.flush(w)
		c.mu.Lock()
		queued, blocked := c.outBytes, c.writeBlocked
		c.writeBlocked = false
		c.mu.Unlock()
		if queued == 0 {
			return
		}
		if blocked {
			pfd := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLOUT}}
			if _, err := unix.Poll(pfd, 1000); err != nil && err != unix.EINTR {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSendFlush is the whole outbound path of a real epoll Server:
// Send N frames to an accepted connection (each Send takes the
// connection's lock and appends to its queue; the first schedules a
// flush on the pool), then wait until the client has read them all.
// Frames sent while a flush runs join the next writev. The client reads
// on the benchmark's goroutine, so the time includes the reader's wake-up.
func BenchmarkSendFlush(b *testing.B) {
	for _, n := range []int{1, 64, 1024} {
		b.Run(fmt.Sprintf("frames=%d", n), func(b *testing.B) {
			conns := make(chan *Conn, 1)
			s, err := Listen("127.0.0.1:0", Config{Workers: 2}, func() *Conn {
				h := &discardHandler{c: new(Conn)}
				h.c.SetHandler(h)
				conns <- h.c
				return h.c
			})
			if err != nil {
				b.Fatal(err)
			}
			s.Serve()
			b.Cleanup(s.Close)
			client, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = client.Close() })
			c := <-conns
			buf := make([]byte, 256<<10)
			_ = client.SetReadDeadline(time.Now().Add(time.Minute))
			st0 := s.Stats()
			b.ReportAllocs()
			for b.Loop() {
				for range n {
					if err := c.Send(frame130); err != nil {
						b.Fatal(err)
					}
				}
				// Read on this goroutine: blocking parks it, so the runtime
				// polls the network instead of spinning.
				for want := n * len(frame130); want > 0; {
					k, err := client.Read(buf[:min(want, len(buf))])
					if err != nil {
						b.Fatal(err)
					}
					want -= k
				}
			}
			st := s.Stats()
			frames := float64(b.N * n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/frames, "ns/frame")
			b.ReportMetric(float64(st.WriteCalls-st0.WriteCalls)/frames, "writev/frame")
		})
	}
}

// discardHandler ignores input.
type discardHandler struct{ c *Conn }

func (h *discardHandler) OnData([]byte) error { return nil }
func (h *discardHandler) OnClose(error)       {}
