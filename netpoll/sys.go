package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The reactor's system calls on its sockets and epoll sets never wait:
// the sockets are non-blocking, epoll_wait runs with a zero timeout (the
// goroutine parks on the runtime poller instead) and nothing sets
// SO_LINGER. Most of them are therefore made as raw system calls, which
// do not tell the Go scheduler that the thread entered the kernel. A
// loopback TCP write takes 10 µs or more; through syscall.Syscall the P
// is marked as in a system call for that long, so sysmon keeps polling at
// its fastest rate, takes the P away to hand it to another thread (a
// futex wake-up), and the returning thread then has to find a P again. A
// raw call keeps its P, as any other short computation does.
//
// Two exceptions. Flush tasks (the fan-out path) write through
// syscall.Syscall: with raw writes there, a fan-out to 10,000 subscribers
// gathered about 6 frames per writev instead of 21 and spent twice the
// CPU per delivery (README, Benchmarks); the replies a read pass writes
// itself are raw. And the easygo backend uses syscall.Syscall for reads,
// writes and shutdowns (Server.rawIO is false): its descriptors briefly
// turn a socket blocking on every re-arm (os.File.Fd), and a blocking call
// must release its P.

// sysRead is read(2).
func sysRead(raw bool, fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var r uintptr
	var errno unix.Errno
	if raw {
		r, _, errno = unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	} else {
		r, _, errno = unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	}
	return sysResult(r, errno)
}

// sysWritev is writev(2), with no allocation. With finNext (the caller
// sends FIN right after, if everything is written) it is sendmsg(2) with
// MSG_MORE instead: the kernel holds the last partial segment, and the
// FIN that shutdown then sends rides on it, one segment fewer for both
// ends.
func sysWritev(raw bool, fd int, iov []unix.Iovec, finNext bool) (int, error) {
	if len(iov) == 0 {
		return 0, nil
	}
	var r uintptr
	var errno unix.Errno
	switch {
	case finNext:
		msg := unix.Msghdr{Iov: &iov[0]}
		msg.SetIovlen(len(iov))
		const flags = unix.MSG_MORE | unix.MSG_NOSIGNAL
		if raw {
			r, _, errno = unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), flags)
		} else {
			r, _, errno = unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), flags)
		}
	case raw:
		r, _, errno = unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	default:
		r, _, errno = unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	}
	return sysResult(r, errno)
}

// sysResult turns a system call's result into a count and an error.
func sysResult(r uintptr, errno unix.Errno) (int, error) {
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// sysShutdownWrite is shutdown(2) of the write side: it sends FIN.
func sysShutdownWrite(raw bool, fd int) {
	if raw {
		_, _, _ = unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), unix.SHUT_WR, 0)
		return
	}
	_ = unix.Shutdown(fd, unix.SHUT_WR)
}

// sysClose is close(2) of a socket the epoll backend owns.
func sysClose(fd int) {
	_, _, _ = unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

// sysAccept4 is accept4(2) on the non-blocking listener: the new socket is
// non-blocking and close-on-exec, its peer address written to rsa.
func sysAccept4(listenFD int, rsa *unix.RawSockaddrAny) (int, error) {
	n := uint32(unix.SizeofSockaddrAny)
	fd, _, errno := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(listenFD),
		uintptr(unsafe.Pointer(rsa)), uintptr(unsafe.Pointer(&n)),
		unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// sysEpollCtl is epoll_ctl(2).
func sysEpollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// sysEpollPoll is epoll_wait(2) with a zero timeout: it returns the events
// ready now and never waits.
func sysEpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd),
		uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
