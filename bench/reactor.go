//go:build linux

package bench

import (
	"errors"
	"math/rand/v2"
	"os"
	"time"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/bench/internal/wire"
	"github.com/wampgate/wampgate/bench/latency"
	"github.com/wampgate/wampgate/internal/wsframe"
	"golang.org/x/sys/unix"
)

const (
	readBufSize = 256 << 10 // shared by every connection of a reactor
	maxMessage  = 64 << 10  // longest server frame accepted
	maxEvents   = 512       // epoll events per wait
	// readsPerWake bounds the reads of one connection per readiness,
	// so one busy socket cannot starve the others.
	readsPerWake = 4
	// closeTimeout bounds the wait for the server's close (churn, teardown).
	closeTimeout = 2 * time.Second
)

// closeNormal is the body of the close frames wampbench sends: 1000.
var closeNormal = []byte{0x03, 0xe8}

// reactorConfig is what a reactor needs to open its connections.
type reactorConfig struct {
	Dst        [4]byte
	Port       int
	Host, Path string
	SrcIPs     [][4]byte // dials rotate over these source addresses
	// Protocol is what every connection speaks but the publishers, which
	// speak PubProtocol; v2 sessions join Realm.
	Protocol, PubProtocol wire.Protocol
	Realm                 string
	Topic                 string // subscribers subscribe to it
	Procedure             string // callees register it (shared when SharedRegistration)
	SharedRegistration    bool
	Concurrency           int // handshakes in flight at most
	HandshakeTimeout      time.Duration
	Slot                  *boardSlot // this worker's board counters
	// TrackBase and TrackPublishers: see workerSetup.
	TrackBase, TrackPublishers int
}

// reactor is a worker's single epoll loop. It dials, upgrades and reads
// every connection of the worker; only its own goroutine touches its
// fields, others reach it through do.
type reactor struct {
	cfg     reactorConfig
	epfd    int
	wakefd  int
	conns   []*conn // indexed by fd
	pending []*conn // connections not yet open, scanned for deadlines
	buf     []byte  // shared read buffer
	wbuf    []byte  // scratch for frames the reactor writes
	events  []unix.EpollEvent
	rng     *rand.Rand
	hello   [2][]byte // v2 HELLO per protoIndex
	subMsg  []byte    // the SUBSCRIBE message
	regMsg  []byte    // the REGISTER message
	out     []byte    // answers to one read, written at its end (consume)

	dialing     [numRoles]int // still to dial for the setup plan, by role
	inflight    int           // dialed, not yet open or failed
	dials       uint64
	churnUntil  time.Time // churn mode: keep cycling until then
	churnDone   chan struct{}
	setupDone   chan struct{} // closed once the setup plan has finished
	setupClosed bool

	publishers []int   // fds of open publisher sessions
	callers    []*conn // open caller sessions
	rpc        rpcState

	established, failed int
	openedBy            [numRoles]int // sessions established, by role
	failures            map[string]int
	disconnects         map[string]int
	open                int
	received, foreign   uint64
	repeats             uint64 // see track
	reads, churned      uint64
	lat, hs             latency.Histogram

	nconns  int       // entries in conns
	closeBy time.Time // teardown: run ends when all are closed or then

	cmds    chan func()
	stopped bool
}

func newReactor(cfg reactorConfig) (*reactor, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 256
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	seed := uint64(time.Now().UnixNano()) ^ uint64(os.Getpid())<<32
	r := &reactor{
		cfg:         cfg,
		epfd:        epfd,
		wakefd:      wakefd,
		buf:         make([]byte, readBufSize),
		events:      make([]unix.EpollEvent, maxEvents),
		rng:         rand.New(rand.NewPCG(seed, seed>>7|1)),
		subMsg:      wire.Subscribe(cfg.Protocol, cfg.Topic),
		failures:    map[string]int{},
		disconnects: map[string]int{},
		cmds:        make(chan func(), 16),
		setupDone:   make(chan struct{}),
	}
	for i, p := range []wire.Protocol{cfg.Protocol, cfg.PubProtocol} {
		if p.V2() {
			r.hello[i] = wire.Hello(p, cfg.Realm)
		}
	}
	if cfg.Protocol.V2() {
		r.regMsg = wire.Register(cfg.Protocol, cfg.Procedure, cfg.SharedRegistration)
	}
	return r, nil
}

// proto is the protocol c speaks.
func (r *reactor) proto(c *conn) wire.Protocol {
	if c.role == rolePublisher {
		return r.cfg.PubProtocol
	}
	return r.cfg.Protocol
}

// protoIndex is 1 for a publisher, 0 for every other role.
func (r *reactor) protoIndex(c *conn) int {
	if c.role == rolePublisher {
		return 1
	}
	return 0
}

// errReactorGone is returned by do once the loop has ended.
var errReactorGone = errors.New("reactor stopped")

// do runs fn on the reactor's goroutine and waits for it (at most
// timeout).
func (r *reactor) do(fn func(), timeout time.Duration) error {
	done := make(chan struct{})
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r.cmds <- func() { fn(); close(done) }:
	case <-t.C:
		return errReactorGone
	}
	var one [8]byte
	one[0] = 1 // eventfd counter in host (little-endian) order
	_, _ = unix.Write(r.wakefd, one[:])
	select {
	case <-done:
		return nil
	case <-t.C:
		return errReactorGone
	}
}

// run is the loop. It returns when stopped (see stop) or at deadline,
// having closed every connection.
func (r *reactor) run(deadline time.Time) {
	defer r.shutdown()
	for !r.stopped {
		now := time.Now()
		if now.After(deadline) {
			return
		}
		if !r.closeBy.IsZero() && (r.nconns == 0 || now.After(r.closeBy)) {
			return
		}
		r.dialMore(now)
		timeout := 100
		if len(r.pending) > 0 {
			timeout = 10
		}
		n, err := unix.EpollWait(r.epfd, r.events, timeout)
		if err != nil && err != unix.EINTR {
			return
		}
		for i := 0; i < n; i++ {
			ev := &r.events[i]
			fd := int(ev.Fd)
			if fd == r.wakefd {
				r.runCommands()
				continue
			}
			if fd < len(r.conns) && r.conns[fd] != nil {
				r.ready(r.conns[fd], ev.Events)
			}
		}
		r.cfg.Slot.Received.Store(r.received)
		if len(r.pending) > 0 {
			r.expire(time.Now())
		}
	}
}

func (r *reactor) runCommands() {
	var sink [8]byte
	_, _ = unix.Read(r.wakefd, sink[:])
	for {
		select {
		case fn := <-r.cmds:
			fn()
		default:
			return
		}
	}
}

// stop ends the loop after the current command.
func (r *reactor) stop() { r.stopped = true }

// teardown closes every connection the polite way: a close frame to each
// open session, then the loop ends once the server has closed them all
// (so TIME_WAIT stays on the server side, as RFC 6455 intends and our
// source ports stay free for the next run), or at `by`.
func (r *reactor) teardown(by time.Time) {
	r.closeBy = by
	r.dialing = [numRoles]int{}
	r.churnUntil = time.Time{}
	r.publishers = nil
	r.callers = nil
	for _, c := range r.conns {
		switch {
		case c == nil || c.phase == phaseClosing:
		case c.phase == phaseOpen:
			r.open--
			r.cfg.Slot.Open.Add(-1)
			r.wbuf = wsframe.AppendMasked(r.wbuf[:0], ws.OpClose, closeNormal, wsframe.NewMask())
			if n, err := unix.Write(c.fd, r.wbuf); err != nil || n < len(r.wbuf) {
				r.closeConn(c)
				continue
			}
			c.phase = phaseClosing
		default: // handshake in progress
			r.unpend(c)
			r.closeConn(c)
		}
	}
}

func (r *reactor) shutdown() {
	r.stopped = true
	for _, c := range r.conns {
		if c != nil {
			r.closeConn(c)
		}
	}
	r.pending = nil
	r.publishers = nil
	r.callers = nil
	r.cfg.Slot.Open.Store(0)
	unix.Close(r.epfd)
	// wakefd stays open: a late do may still write to it; it goes with the process.
	r.finishSetup()
	if r.churnDone != nil {
		close(r.churnDone)
		r.churnDone = nil
	}
}

// plan sets the connections the setup phase opens, by role.
func (r *reactor) plan(counts [numRoles]int) {
	r.dialing = counts
	if r.toDial() == 0 {
		r.finishSetup()
	}
}

// toDial is how many connections of the setup plan are still to dial.
func (r *reactor) toDial() int {
	n := 0
	for _, k := range r.dialing {
		n += k
	}
	return n
}

func (r *reactor) finishSetup() {
	if !r.setupClosed {
		r.setupClosed = true
		close(r.setupDone)
	}
}

// abortSetup gives up on the setup plan: connections not yet dialed and
// handshakes not yet finished count as failed.
func (r *reactor) abortSetup(reason string) {
	if n := r.toDial(); n > 0 {
		r.failed += n
		r.failures["not dialed: "+reason] += n
		r.dialing = [numRoles]int{}
	}
	for len(r.pending) > 0 {
		c := r.pending[len(r.pending)-1]
		r.drop(c, reason+" while "+c.phase.String())
	}
	r.finishSetup()
}

// churn starts cycling connections until `until`; done is closed once
// the cycles in flight at that time have ended.
func (r *reactor) churn(until time.Time, done chan struct{}) {
	r.churnUntil = until
	r.churnDone = done
}

func (r *reactor) dialMore(now time.Time) {
	churning := r.churnDone != nil && now.Before(r.churnUntil)
	for r.inflight < r.cfg.Concurrency {
		ro, planned := r.nextPlanned()
		switch {
		case planned:
			r.dialing[ro]--
		case churning:
			ro = roleChurn
		default:
			if r.churnDone != nil && !churning && r.inflight == 0 {
				close(r.churnDone)
				r.churnDone = nil
			}
			return
		}
		r.dial(ro, now)
	}
}

func (r *reactor) dial(ro role, now time.Time) {
	src := r.cfg.SrcIPs[r.dials%uint64(len(r.cfg.SrcIPs))]
	r.dials++
	fd, err := dialNonblock(src, r.cfg.Dst, r.cfg.Port)
	if err != nil {
		r.failed++
		r.failures["socket: "+errnoName(err)]++
		r.checkSetup()
		return
	}
	if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		r.failed++
		r.failures["epoll_ctl: "+errnoName(err)]++
		r.checkSetup()
		return
	}
	for fd >= len(r.conns) {
		r.conns = append(r.conns, make([]*conn, max(1024, len(r.conns)))...)
	}
	c := &conn{fd: fd, role: ro, phase: phaseConnecting, pendingIdx: -1, started: now, deadline: now.Add(r.cfg.HandshakeTimeout)}
	r.conns[fd] = c
	r.nconns++
	r.pend(c)
	r.inflight++
}

// dialOrder is the order in which a setup plan's roles are dialed:
// publishers and callees first, so a server that runs out of room still
// has them.
var dialOrder = [...]role{rolePublisher, roleCallee, roleSubscriber, roleCaller}

// nextPlanned returns the role of the next connection of the setup plan.
func (r *reactor) nextPlanned() (role, bool) {
	for _, ro := range dialOrder {
		if r.dialing[ro] > 0 {
			return ro, true
		}
	}
	return 0, false
}

// checkSetup closes setupDone once the setup plan has nothing left.
func (r *reactor) checkSetup() {
	if !r.setupClosed && r.toDial() == 0 && r.inflight == 0 {
		r.finishSetup()
	}
}

func (r *reactor) pend(c *conn) {
	c.pendingIdx = len(r.pending)
	r.pending = append(r.pending, c)
}

func (r *reactor) unpend(c *conn) {
	i := c.pendingIdx
	if i < 0 {
		return
	}
	last := len(r.pending) - 1
	r.pending[i] = r.pending[last]
	r.pending[i].pendingIdx = i
	r.pending[last] = nil
	r.pending = r.pending[:last]
	c.pendingIdx = -1
}

// expire fails connections whose handshake (or churn close) took too long.
func (r *reactor) expire(now time.Time) {
	for i := len(r.pending) - 1; i >= 0; i-- {
		if i >= len(r.pending) {
			continue
		}
		if c := r.pending[i]; now.After(c.deadline) {
			r.drop(c, "timeout while "+c.phase.String())
		}
	}
}

// snapshot returns the worker's counts (on the reactor goroutine).
func (r *reactor) snapshot() *workerReport {
	return &workerReport{
		Established: r.established,
		Failed:      r.failed,
		Failures:    copyCounts(r.failures),
		Open:        r.open,
		Disconnects: copyCounts(r.disconnects),
		Received:    r.received,
		Foreign:     r.foreign,
		Repeats:     r.repeats,
		Latency:     r.lat.Snapshot(),
		Handshake:   r.hs.Snapshot(),
		Churned:     r.churned,
		Reads:       r.reads,

		Calls:         r.rpc.calls,
		CallErrors:    r.rpc.errors,
		CallErrorURIs: copyCounts(r.rpc.errorURIs),
		CallsLeft:     r.rpc.inFlight,
		CallsLost:     r.rpc.abandoned,
		CallSeconds:   r.rpc.seconds(),
		Invocations:   r.rpc.invocations,
	}
}

// resetCounts zeroes the delivery counters before a measurement.
func (r *reactor) resetCounts() {
	r.received, r.foreign, r.reads, r.repeats = 0, 0, 0, 0
	r.rpc = rpcState{inFlight: r.rpc.inFlight}
	for _, c := range r.conns {
		if c != nil {
			clear(c.lastSeq)
		}
	}
	r.lat.Reset()
	r.cfg.Slot.Received.Store(0)
	r.cfg.Slot.Sent.Store(0)
}

func copyCounts(m map[string]int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
