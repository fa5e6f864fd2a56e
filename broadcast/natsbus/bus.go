package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/wamp"
)

// Bus relays publications and the cluster's control messages through
// NATS: a broadcast.Bus and a wamp.ClusterLinks, like the peer mesh.
type Bus struct {
	cfg  Config
	log  *slog.Logger
	subj subjects
	boot uint64 // this process's id: a restarted node is told apart
	nc   *nats.Conn

	deliver func(*wamp.Publication)
	control broadcast.ControlHandler

	in     chan *nats.Msg // every subscription delivers here, in arrival order
	out    *outbox
	events chan connEvent

	peersMu sync.RWMutex
	peers   map[string]*peer
	order   []*peer // creation order

	interest struct {
		mu          sync.Mutex
		keys        map[ikey]struct{}
		subs        map[string]*subRef
		sweep       map[string]map[ikey]struct{} // realm → keys re-announced since its Reset
		catchAll    *nats.Subscription
		acks        []pendingAck
		ackReady    chan struct{}
		droppedGone uint64 // messages dropped by subscriptions since closed
		failed      uint64 // subscriptions the client refused
	}
	fixed []*nats.Subscription // presence, this node's subject, retained

	// loop-only state
	pubSeen map[uint64]*pubState // sender boot → its publications seen

	started   atomic.Bool
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	writerWG  sync.WaitGroup

	connMu      sync.Mutex
	connected   bool
	connSince   time.Time
	disconnects atomic.Uint64
	reconnects  atomic.Uint64

	delivered     atomic.Uint64
	duplicates    atomic.Uint64
	publishFailed atomic.Uint64
	controlGaps   atomic.Uint64
	conflicts     atomic.Uint64
	malformed     atomic.Uint64
	errLog        logLimiter
}

// pubState is what a receiver knows of one sender's publications.
type pubState struct {
	seq  uint64
	seen time.Time
}

// connEvent is a change of the NATS connection, handled by the loop.
type connEvent uint8

const (
	evDisconnected connEvent = iota + 1
	evConnected
)

var (
	_ broadcast.Bus     = (*Bus)(nil)
	_ wamp.ClusterLinks = (*Bus)(nil)
)

var errPeerDown = errors.New("peer down")

// closeFlush bounds the wait for the NATS server's confirmation of what
// a closing node published last (its goodbye).
const closeFlush = time.Second

// New checks cfg and connects to NATS; when no server answers yet, the
// connection keeps being retried in the background and New succeeds.
func New(cfg Config) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := &Bus{
		cfg:     cfg,
		log:     cfg.Logger,
		subj:    subjects{prefix: cfg.SubjectPrefix},
		boot:    rand.Uint64() | 1,
		in:      make(chan *nats.Msg, cfg.ReceiveQueue),
		out:     newOutbox(cfg.QueueLimit, cfg.QueueBytes),
		events:  make(chan connEvent, 64),
		peers:   make(map[string]*peer),
		pubSeen: make(map[uint64]*pubState),
		done:    make(chan struct{}),
	}
	b.interest.keys = make(map[ikey]struct{})
	b.interest.subs = make(map[string]*subRef)
	b.interest.sweep = make(map[string]map[ikey]struct{})
	b.interest.ackReady = make(chan struct{}, 1)
	opts := append(cfg.options(),
		nats.ConnectHandler(func(nc *nats.Conn) { b.connEvent(nc, evConnected, nil) }),
		nats.ReconnectHandler(func(nc *nats.Conn) { b.reconnects.Add(1); b.connEvent(nc, evConnected, nil) }),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) { b.disconnects.Add(1); b.connEvent(nc, evDisconnected, err) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if b.errLog.allow(time.Second) {
				subject := ""
				if sub != nil {
					subject = sub.Subject
				}
				b.log.Warn("nats bus: asynchronous error", "subject", subject, "err", err)
			}
		}),
	)
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("nats bus: %w", err)
	}
	b.nc = nc // the ConnectHandler reports the first connection
	return b, nil
}

// connEvent records a connection change and hands it to the loop.
func (b *Bus) connEvent(nc *nats.Conn, ev connEvent, err error) {
	b.connMu.Lock()
	b.connected = ev == evConnected
	b.connSince = time.Now()
	b.connMu.Unlock()
	if ev == evDisconnected {
		b.log.Warn("nats bus: disconnected", "err", err)
	} else {
		b.log.Info("nats bus: connected", "server", nc.ConnectedUrlRedacted())
	}
	select {
	case b.events <- ev:
	default: // the loop is far behind: a later event says the same
	}
}

// SetControl makes h receive the control traffic (registrations, calls):
// the gateway gives the node's router before Start.
func (b *Bus) SetControl(h broadcast.ControlHandler) { b.control = h }

// Start implements broadcast.Bus: it subscribes to presence, to this
// node's control subject, to retained publications and, until a peer is
// up, to every publication, then starts announcing the node.
func (b *Bus) Start(deliver func(*wamp.Publication)) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("nats bus already started")
	}
	if b.control == nil {
		return errors.New("nats bus: no control handler (SetControl)")
	}
	b.deliver = deliver
	for _, subject := range []string{b.subj.presence(), b.subj.node(b.cfg.Node), b.subj.allRetained()} {
		sub, err := b.nc.ChanSubscribe(subject, b.in)
		if err != nil {
			return fmt.Errorf("nats bus: subscribe %s: %w", subject, err)
		}
		b.fixed = append(b.fixed, sub)
	}
	b.setCatchAll(true)
	b.writerWG.Add(1)
	go b.writeLoop()
	b.wg.Add(2)
	go b.loop()
	go b.ackLoop()
	b.log.Info("cluster: nats bus starting", "node", b.cfg.Node, "slot", b.cfg.Slot,
		"servers", b.cfg.URLs, "subject_prefix", b.cfg.SubjectPrefix)
	return nil
}

// Relay implements broadcast.Bus: pub goes to its topic's subject (and
// a retained one to the realm's retained subject too); the NATS server
// forwards it to the nodes subscribed there.
func (b *Bus) Relay(pub *wamp.Publication) {
	rec := broadcast.EncodePublication(pub)
	if !b.out.push(outMsg{subject: b.subj.publication(pub.Realm, pub.Topic), data: rec, pub: pubNewSeq}) {
		return
	}
	if pub.Retain {
		b.out.push(outMsg{subject: b.subj.retained(pub.Realm), data: rec, pub: pubSameSeq})
	}
}

// writeLoop publishes what the outbox holds, in order, numbering the
// publications.
func (b *Bus) writeLoop() {
	defer b.writerWG.Done()
	var (
		batch []outMsg
		buf   []byte
		seq   uint64
	)
	for {
		select {
		case <-b.out.ready:
		case <-b.done:
		}
		batch = b.out.take(batch)
		if len(batch) == 0 {
			select {
			case <-b.done:
				return
			default:
				continue
			}
		}
		for i := range batch {
			m := &batch[i]
			data := m.data
			if m.pub != pubRaw {
				if m.pub == pubNewSeq {
					seq++
				}
				buf = appendHeader(buf[:0], header{kind: kindPublication, node: b.cfg.Node, boot: b.boot, seq: seq})
				buf = append(buf, m.data...)
				data = buf
			}
			if err := b.nc.Publish(m.subject, data); err != nil {
				b.publishFailed.Add(1)
				if b.errLog.allow(time.Second) {
					b.log.Warn("nats bus: message not published", "subject", m.subject, "bytes", len(data), "err", err)
				}
			}
			*m = outMsg{}
		}
	}
}

// Close implements broadcast.Bus: it tells the other nodes this one is
// leaving, publishes what is queued while ctx allows, and closes the
// NATS connection.
func (b *Bus) Close(ctx context.Context) error {
	var err error
	b.closeOnce.Do(func() {
		if b.started.Load() {
			b.out.push(outMsg{subject: b.subj.presence(), data: appendHeader(nil, header{kind: kindGoodbye, node: b.cfg.Node, boot: b.boot})})
		}
		b.out.close()
		close(b.done)
		b.wg.Wait()
		written := make(chan struct{})
		go func() {
			b.writerWG.Wait()
			close(written)
		}()
		select {
		case <-written:
			if !b.nc.IsConnected() {
				break // what is queued stays in the client's reconnect buffer, lost
			}
			fctx, cancel := context.WithTimeout(ctx, closeFlush)
			if ferr := b.nc.FlushWithContext(fctx); ferr != nil {
				err = fmt.Errorf("nats bus: flush: %w", ferr)
			}
			cancel()
		case <-ctx.Done():
			err = fmt.Errorf("nats bus: still publishing: %w", ctx.Err())
		}
		b.nc.Close()
	})
	return err
}

// logLimiter lets a log line through at most once per interval.
type logLimiter struct {
	mu   sync.Mutex
	last time.Time
}

func (l *logLimiter) allow(every time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now(); now.Sub(l.last) >= every {
		l.last = now
		return true
	}
	return false
}
