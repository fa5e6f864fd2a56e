package netpoll

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The epoll backend decodes the peer address accept4 returns itself.
func TestRemoteAddrIsThePeer(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, _ := startEcho(t, backend, Config{})
			nc := dial(t, s)
			var conns []*Conn
			for deadline := time.Now().Add(5 * time.Second); len(conns) == 0 && time.Now().Before(deadline); {
				conns = s.Conns()
				time.Sleep(time.Millisecond)
			}
			if len(conns) != 1 {
				t.Fatal("connection not accepted")
			}
			want := nc.LocalAddr().(*net.TCPAddr).AddrPort()
			if got := conns[0].RemoteAddr(); got != want {
				t.Fatalf("RemoteAddr %v, want %v", got, want)
			}
		})
	}
}

func TestRawAddrPort(t *testing.T) {
	var v4 unix.RawSockaddrAny
	a4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&v4))
	a4.Family = unix.AF_INET
	a4.Addr = [4]byte{127, 0, 0, 9}
	*(*[2]byte)(unsafe.Pointer(&a4.Port)) = [2]byte{0x1f, 0x90} // 8080
	if got, want := rawAddrPort(&v4), netip.MustParseAddrPort("127.0.0.9:8080"); got != want {
		t.Errorf("IPv4: %v, want %v", got, want)
	}

	var v6 unix.RawSockaddrAny
	a6 := (*unix.RawSockaddrInet6)(unsafe.Pointer(&v6))
	a6.Family = unix.AF_INET6
	a6.Addr = netip.MustParseAddr("::1").As16()
	*(*[2]byte)(unsafe.Pointer(&a6.Port)) = [2]byte{0xff, 0xfe} // 65534
	if got, want := rawAddrPort(&v6), netip.MustParseAddrPort("[::1]:65534"); got != want {
		t.Errorf("IPv6: %v, want %v", got, want)
	}

	var unknown unix.RawSockaddrAny
	unknown.Addr.Family = unix.AF_UNIX
	if got := rawAddrPort(&unknown); got.IsValid() {
		t.Errorf("AF_UNIX: %v, want the zero AddrPort", got)
	}
}

// listenerDeferAccept reads TCP_DEFER_ACCEPT back from the listener.
func listenerDeferAccept(t *testing.T, s *Server) int {
	t.Helper()
	rc, err := s.ln.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	v, gerr := 0, error(nil)
	if err := rc.Control(func(fd uintptr) {
		v, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	return v
}

// With DeferAccept a client that speaks at once is served as usual, and
// one that stays silent is still accepted (after the kernel's period) and
// served once it speaks.
func TestDeferAccept(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			s, _ := startEcho(t, backend, Config{DeferAccept: time.Second})
			if v := listenerDeferAccept(t, s); v < 1 {
				t.Fatalf("TCP_DEFER_ACCEPT = %d, want at least 1 s", v)
			}
			silent := dial(t, s)
			talker := dial(t, s)
			echo(t, talker, "hello")
			waitAccepted(t, s, 2)
			echo(t, silent, "late")
		})
	}
	s, _ := startEcho(t, BackendEpoll, Config{})
	if v := listenerDeferAccept(t, s); v != 0 {
		t.Fatalf("TCP_DEFER_ACCEPT = %d without DeferAccept, want 0", v)
	}
}

// echo writes msg on nc and expects it back.
func echo(t *testing.T, nc net.Conn, msg string) {
	t.Helper()
	if _, err := nc.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(nc, got); err != nil || string(got) != msg {
		t.Fatalf("echo of %q: got %q, %v", msg, got, err)
	}
}

// waitAccepted polls until the server has accepted n connections.
func waitAccepted(t *testing.T, s *Server, n uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.Stats().Accepted < n; {
		if time.Now().After(deadline) {
			t.Fatalf("accepted %d connections, want %d", s.Stats().Accepted, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
