package netpoll

import (
	"io"
	"net"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// segmentsIn reads tcpi_segs_in, the segments a socket has received.
func segmentsIn(t *testing.T, nc net.Conn) uint32 {
	t.Helper()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	var gerr error
	if err := rc.Control(func(fd uintptr) { info, gerr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) }); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if unsafe.Sizeof(*info) < unsafe.Offsetof(info.Segs_in)+4 {
		t.Skip("TCP_INFO without tcpi_segs_in")
	}
	return info.Segs_in
}

// The last bytes of a close and the FIN leave in one segment: the write
// holds its last segment (MSG_MORE) and the FIN rides on it. Several
// connections are tried, because a delayed ACK that fires before the
// reply would add a segment of its own.
func TestFinalBytesAndFINShareASegment(t *testing.T) {
	for _, backend := range Backends {
		t.Run(backend, func(t *testing.T) {
			s, _ := startEcho(t, backend, Config{})
			var counts []uint32
			for range 5 {
				nc := dial(t, s)
				echo(t, nc, "ping") // the server now answers requests without a separate ACK
				before := segmentsIn(t, nc)
				if _, err := nc.Write([]byte("finish")); err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(nc)
				if err != nil || string(got) != "done" {
					t.Fatalf("got %q, %v", got, err)
				}
				n := segmentsIn(t, nc) - before
				if n == 1 {
					return
				}
				counts = append(counts, n)
			}
			t.Fatalf("segments from the request to EOF: %v, want 1 (final bytes and FIN together) at least once", counts)
		})
	}
}
