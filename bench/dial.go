//go:build linux

package bench

import (
	"net"

	"golang.org/x/sys/unix"
)

// dialNonblock opens a non-blocking TCP socket bound to src (port chosen
// at connect time, so ports are shared across destinations) and starts
// connecting it to dst. The caller waits for EPOLLOUT and then reads
// SO_ERROR (see connectError).
func dialNonblock(src, dst [4]byte, port int) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	// Best effort: both only make the dial cheaper or the writes sooner.
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: src}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	err = unix.Connect(fd, &unix.SockaddrInet4{Addr: dst, Port: port})
	if err != nil && err != unix.EINPROGRESS && err != unix.EINTR {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// connectError reports the outcome of a non-blocking connect once the
// socket became writable.
func connectError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return unix.Errno(v)
	}
	return nil
}

// parseIPv4 converts a dotted quad to the form unix.SockaddrInet4 takes.
func parseIPv4(s string) ([4]byte, bool) {
	var a [4]byte
	ip := net.ParseIP(s).To4()
	if ip == nil {
		return a, false
	}
	copy(a[:], ip)
	return a, true
}

// errnoName returns a short, stable name for err (an errno's symbolic
// name when it is one) for counting failures by reason.
func errnoName(err error) string {
	if e, ok := err.(unix.Errno); ok {
		if n := unix.ErrnoName(e); n != "" {
			return n
		}
	}
	return err.Error()
}
