package netpoll

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// epollSet is one epoll instance whose waiting goroutine parks on the Go
// runtime poller instead of blocking a thread in epoll_wait. The epoll
// descriptor is non-blocking and registered with the runtime's own epoll
// (an epoll descriptor is readable while events are ready), so wait runs
// epoll_wait with a zero timeout and, when nothing is ready, parks like
// any goroutine reading a socket. A thread blocked in a system call would
// cost more: sysmon takes its P away after 20 µs (waking another thread
// to run it) and keeps polling at its fastest rate while that happens.
//
// The os.File owns the descriptor: it is closed once, by close, which
// also wakes a goroutine parked in wait. fd is kept for epoll_ctl (File.Fd
// would put the descriptor back into blocking mode).
type epollSet struct {
	fd   int
	file *os.File
	raw  interface {
		Read(func(uintptr) bool) error
	}
}

func newEpollSet(name string) (*epollSet, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("epoll %s non-blocking: %w", name, err)
	}
	s := &epollSet{fd: fd, file: os.NewFile(uintptr(fd), "epoll-"+name)}
	rc, err := s.file.SyscallConn()
	if err != nil {
		_ = s.file.Close()
		return nil, fmt.Errorf("epoll %s: %w", name, err)
	}
	s.raw = rc
	return s, nil
}

// ctl is epoll_ctl on the set.
func (s *epollSet) ctl(op, fd int, ev *unix.EpollEvent) error {
	return sysEpollCtl(s.fd, op, fd, ev)
}

// wait fills events with ready events, parking until there is at least
// one. It fails once the set is closed.
func (s *epollSet) wait(events []unix.EpollEvent) (int, error) {
	var n int
	var werr error
	err := s.raw.Read(func(fd uintptr) bool {
		for {
			n, werr = sysEpollPoll(int(fd), events)
			if werr != unix.EINTR {
				return n > 0 || werr != nil
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return n, werr
}

// close closes the descriptor and wakes a goroutine parked in wait.
func (s *epollSet) close() { _ = s.file.Close() }
