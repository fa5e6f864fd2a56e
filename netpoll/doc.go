// Package netpoll is wampgate's reactor: it accepts TCP connections, watches
// their sockets for readiness and runs per-connection work on a bounded pool
// of worker goroutines, so an idle connection costs a file descriptor and a
// small struct, never a parked goroutine.
//
// Three backends share everything but readiness detection (selected by
// Config.Backend):
//
//   - "epoll" (default): golang.org/x/sys/unix epoll with one-shot read
//     interest. Sockets are accepted with accept4 straight from the
//     listener's descriptor, so each connection owns exactly one fd and is
//     never registered with the Go runtime's own poller; only the two epoll
//     descriptors are, so the loops that wait on them park like any other
//     goroutine (epollset.go).
//   - "easygo": github.com/mailru/easygo/netpoll, the reference design. It
//     obtains the fd through conn.File(), which duplicates it: two fds per
//     connection, so it holds half as many connections under a given
//     `ulimit -n`.
//   - "goroutine": one goroutine per connection blocked in Read on the Go
//     runtime poller; the baseline the others are measured against.
//
// Outbound bytes are queued per connection and written with writev, many
// queued frames per system call. A write never blocks a worker: on EAGAIN
// the rest stays queued until the socket is writable again.
package netpoll
