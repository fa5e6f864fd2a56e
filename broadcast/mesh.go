package broadcast

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampgate/wampgate/wamp"
)

// Mesh is the built-in Bus: a full mesh of persistent peer links, one per
// pair of nodes, over the nodes' own WebSocket ports (subprotocol
// Protocol). Every publication is encoded once and the same bytes are
// queued to every link; each link batches what has accumulated into one
// frame per write.
type Mesh struct {
	cfg     Config
	log     *slog.Logger
	boot    uint64 // this process's id: a restarted peer is told apart
	links   map[string]*link
	order   []*link // pool order
	deliver func(*wamp.Publication)
	control ControlHandler // nil: control records are dropped
	// maxMessage is the largest message this node accepts on a link, and
	// sends: Config.maxLinkMessage.
	maxMessage int

	started      atomic.Bool
	done         chan struct{}
	closeOnce    sync.Once
	wg           sync.WaitGroup
	authFailures atomic.Uint64
	refusalLog   logLimiter
}

var (
	_ Bus               = (*Mesh)(nil)
	_ wamp.ClusterLinks = (*Mesh)(nil)
)

// NewMesh builds the links to every peer of cfg; Start connects them.
func NewMesh(cfg Config) (*Mesh, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Clustered() {
		return nil, errors.New("the pool names no other node")
	}
	cfg = cfg.withDefaults()
	m := &Mesh{
		cfg:        cfg,
		log:        cfg.Logger,
		boot:       rand.Uint64(),
		links:      make(map[string]*link),
		maxMessage: cfg.maxLinkMessage(),
		done:       make(chan struct{}),
	}
	for _, p := range cfg.Peers() {
		l := newLink(m, p)
		m.links[p] = l
		m.order = append(m.order, l)
	}
	return m, nil
}

// Start implements Bus: it starts every link's writer and, for the peers
// this node dials, the dialing loop.
func (m *Mesh) Start(deliver func(*wamp.Publication)) error {
	if !m.started.CompareAndSwap(false, true) {
		return errors.New("mesh already started")
	}
	m.deliver = deliver
	for _, l := range m.order {
		m.wg.Add(1)
		go l.writeLoop()
		if l.dials {
			m.wg.Add(1)
			go l.dialLoop()
		}
	}
	m.log.Info("cluster: peer links starting", "node", m.cfg.Node, "peers", m.cfg.Peers())
	return nil
}

// Relay implements Bus: pub is encoded once and queued to every link
// whose peer has a subscriber for it (interest.go) — to every link with
// Config.RelayAll, or when pub is retained.
func (m *Mesh) Relay(pub *wamp.Publication) {
	var rec []byte
	for _, l := range m.order {
		if !m.cfg.RelayAll && !pub.Retain && !l.interest.wants(pub.Realm, pub.Topic) {
			l.skipped.Add(1)
			continue
		}
		if rec == nil {
			rec = encodeRecord(pub)
		}
		l.enqueue(rec)
	}
}

// Status implements Bus.
func (m *Mesh) Status() Status {
	s := Status{Node: m.cfg.Node, Bus: "mesh", Peers: len(m.order), AuthFailures: m.authFailures.Load()}
	for _, l := range m.order {
		ls := l.status()
		if ls.State == "up" {
			s.LinksUp++
		}
		s.Links = append(s.Links, ls)
	}
	return s
}

// MaxLinkMessage is the largest WebSocket message a peer link accepts: a
// batch of Config.MaxBatchBytes plus one publication of
// Config.MaxMessageSize. The gateway bounds an accepted link's parser
// with it; the handshake announces it to the peer.
func (m *Mesh) MaxLinkMessage() int { return m.maxMessage }

// LinkWriteQueueLimit bounds the gateway's outbound queue of an accepted
// link connection in place of the clients' slow-consumer limit. A link
// keeps at most Config.MaxInFlightBytes plus one batch unacknowledged,
// and small control frames besides, so a working link never reaches it.
func (m *Mesh) LinkWriteQueueLimit() int { return m.cfg.MaxInFlightBytes + m.maxMessage + 64<<10 }

// Close implements Bus: it stops dialing and writing and closes every
// link's connection with 1001, each within closeGrace; when ctx ends
// first, the sockets are closed at once and Close returns.
func (m *Mesh) Close(ctx context.Context) error {
	var err error
	m.closeOnce.Do(func() {
		close(m.done)
		var closing sync.WaitGroup
		for _, l := range m.order {
			if tr := l.current(); tr != nil {
				closing.Add(1)
				go func() {
					defer closing.Done()
					tr.close(closeGoingAway, "node shutting down")
				}()
			}
		}
		finished := make(chan struct{})
		go func() {
			closing.Wait()
			m.wg.Wait()
			close(finished)
		}()
		select {
		case <-finished:
		case <-ctx.Done():
			for _, l := range m.order {
				if tr := l.current(); tr != nil {
					tr.abort()
				}
			}
			err = fmt.Errorf("cluster: peer links still closing: %w", ctx.Err())
		}
	})
	return err
}

// logRefusal logs a refused peer connection, at most once a second so a
// flood of bad peers cannot flood the log (the counter has them all).
func (m *Mesh) logRefusal(remote string, err error) {
	if m.refusalLog.allow(time.Second) {
		m.log.Warn("cluster: peer connection refused", "remote", remote, "err", err,
			"refused_total", m.authFailures.Load())
	}
}
