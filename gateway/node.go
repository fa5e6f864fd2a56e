// Package gateway is a wampgate node: it accepts WebSocket connections on
// the netpoll reactor, upgrades them with gobwas/ws over the bytes that
// have already arrived, and runs a WAMP session on each, selected by the
// subprotocol: WAMP v1 ("wamp") or WAMP v2 ("wamp.2.json",
// "wamp.2.msgpack", "wamp.2.cbor"). An embedding Go program customises it
// through Config.Handler.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"github.com/wampgate/wampgate/hooks"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/authz"
	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/internal/httpapi"
	"github.com/wampgate/wampgate/netpoll"
	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
)

var errShuttingDown = errors.New("node shutting down")

// controlledBus is a bus that carries the cluster's control traffic
// (registrations, calls) to the router it is given: broadcast.Mesh,
// natsbus.Bus.
type controlledBus interface {
	SetControl(broadcast.ControlHandler)
}

// Node is one running wampgate node.
type Node struct {
	cfg       Config
	log       *slog.Logger
	router    *wamp.Router
	bus       broadcast.Bus // nil on a single node
	protocols protocolTable
	upgrader  ws.Upgrader
	srv       *netpoll.Server
	stats     counters
	sessions  *sessionCounter // the Handler the router calls
	gate      *auth.Gate      // the authentication in force
	started   time.Time
	stopping  atomic.Bool
	recent    recentLog // slow-consumer cuts and refusals, for /status
	topics    topicCache
	msgs      *messageCounts // client messages by protocol and type

	hooks *hooks.Hooks // nil without a hook URL

	api     *httpapi.API // nil without API keys
	apiLn   net.Listener // the API's own listener (Config.APIListen)
	apiSrv  *http.Server
	apiDone chan struct{} // closed when apiSrv has stopped serving

	stopSweep chan struct{}
	swept     sync.WaitGroup

	metrics     *prometheus.Registry // what /metrics serves
	opsSlots    chan struct{}        // operator requests rendering on the node's port
	metricsLn   net.Listener         // Config.MetricsListen's listener
	metricsSrv  *http.Server
	metricsDone chan struct{} // closed when metricsSrv has stopped serving
}

// New validates cfg and prepares a node; Start makes it listen.
func New(cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	n := &Node{
		cfg:       cfg,
		log:       cfg.Logger,
		gate:      auth.NewGate(cfg.Auth),
		stopSweep: make(chan struct{}),
		opsSlots:  make(chan struct{}, opsConcurrency),
	}
	n.metrics = n.newRegistry()
	n.protocols = defaultProtocols(cfg.Logger, n.gate)
	n.sessions = newSessionCounter(cfg.Handler, n.protocols)
	rc := wamp.RouterConfig{
		Handler:    n.sessions,
		Realms:     cfg.Realms,
		V1Realm:    cfg.V1Realm,
		NodeSlot:   cfg.NodeSlot,
		Agent:      cfg.ServerIdent,
		LocalTopic: v1.LegacyBroadcastTopic,
		MetaKill:   cfg.MetaKill,
		Logger:     cfg.Logger,
	}
	if cfg.Hooks.Enabled() {
		if n.hooks, err = hooks.New(cfg.Hooks, cfg.Addr, "wampgate/"+Version, cfg.Logger); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		rc.Hooks = n.hooks
		n.gate.SetHookTickets(cfg.Hooks.Connect)
	}
	if cfg.Roles != nil { // a nil *authz.Roles in the interface would not be nil
		rc.Authorizer = cfg.Roles
	}
	n.bus = cfg.Bus
	if n.bus == nil && cfg.Cluster.Clustered() {
		mesh, err := broadcast.NewMesh(cfg.Cluster)
		if err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		n.bus = mesh
		n.protocols = append(n.protocols, peerProtocols(mesh)...)
		rc.Cluster = mesh // registrations and calls across the cluster
	}
	if n.bus != nil {
		rc.Relay = n.bus.Relay
		if links, ok := n.bus.(wamp.ClusterLinks); ok && rc.Cluster == nil {
			rc.Cluster = links // another bus that carries the control traffic too (natsbus)
		}
	}
	if n.router, err = wamp.NewRouter(rc); err != nil { // a mesh starts nothing before Start
		return nil, fmt.Errorf("config: %w", err)
	}
	if c, ok := n.bus.(controlledBus); ok && rc.Cluster != nil {
		c.SetControl(n.router)
	}
	n.upgrader = newUpgrader(cfg, n.protocols)
	n.msgs = newMessageCounts(n.protocols)
	if err := n.newAPI(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return n, nil
}

// Router is the node's WAMP router, for publishing from Go code.
func (n *Node) Router() *wamp.Router { return n.router }

// SetRoles replaces the roles while the node runs (a reload); nil allows
// everything. Sessions stay; their subscriptions and registrations stay
// too, and every later subscribe, publish, call and register is decided
// by roles.
func (n *Node) SetRoles(roles *authz.Roles) {
	if roles == nil {
		n.router.SetAuthorizer(nil)
		return
	}
	n.router.SetAuthorizer(roles)
}

// SetAuth replaces the node's authentication (the users table, the JWT
// key, the token cookie, the anonymous policy: Config.Auth) while it
// runs, atomically: established sessions keep their identity; the next
// handshakes, HELLOs and challenges use a (nil: every session
// anonymous). A challenge already sent is checked against the
// credentials it was made from.
func (n *Node) SetAuth(a *auth.Authenticator) { n.gate.Set(a) }

// Start listens on Config.Addr (and Config.APIListen) and serves until
// Shutdown.
func (n *Node) Start() error {
	if err := n.listenAPI(); err != nil {
		return fmt.Errorf("node %s: %w", n.cfg.Addr, err)
	}
	if err := n.listenMetrics(); err != nil {
		n.closeAPIListener()
		return fmt.Errorf("node %s: %w", n.cfg.Addr, err)
	}
	if n.bus != nil {
		if err := n.bus.Start(n.router.Publish); err != nil {
			n.stopMetrics(context.Background())
			n.closeAPIListener()
			return fmt.Errorf("node %s: cluster: %w", n.cfg.Addr, err)
		}
	}
	srv, err := netpoll.Listen(n.cfg.Addr, netpoll.Config{
		Backend:         n.cfg.Poller,
		Workers:         n.cfg.Workers,
		WriteQueueLimit: n.cfg.WriteQueueLimit,
		DeferAccept:     n.cfg.DeferAccept,
		Logger:          n.log,
	}, n.accept)
	if err != nil {
		if n.bus != nil {
			_ = n.bus.Close(context.Background()) // no link is up yet: nothing to wait for
		}
		n.stopMetrics(context.Background())
		n.closeAPIListener()
		return fmt.Errorf("node %s: %w", n.cfg.Addr, err)
	}
	n.srv = srv
	n.started = time.Now()
	if n.hooks != nil {
		n.hooks.SetNode(srv.Addr().String())
		n.log.Info("HTTP hooks", n.hooks.Describe()...)
		if !n.cfg.Hooks.Any() {
			n.log.Warn("a hook URL is set but no hook is enabled (connect, subscribe, publish, call)")
		}
	}
	srv.Serve()
	n.swept.Add(1)
	go n.sweeper()
	n.log.Info("wampgate node listening", "addr", srv.Addr().String(), "poller", n.cfg.Poller,
		"workers", srv.Stats().Workers)
	n.serveAPI()
	n.serveMetrics()
	return nil
}

// Addr is the address the node listens on, "127.0.0.1:8095".
func (n *Node) Addr() string { return n.srv.Addr().String() }

// Stats returns the node's counters.
func (n *Node) Stats() Stats { return n.snapshot() }

func (n *Node) status() string {
	if n.stopping.Load() {
		return "stopping"
	}
	return "ok"
}

// accept installs a connection handler on each new socket.
func (n *Node) accept() *netpoll.Conn {
	c := &conn{node: n, acceptedAt: time.Now().UnixNano()}
	c.nc.SetHandler(c)
	return &c.nc
}

// sweeper periodically applies the handshake timeout, keepalive pings and
// the idle timeout to every connection: one goroutine and no timer per
// connection.
func (n *Node) sweeper() {
	defer n.swept.Done()
	tick := time.NewTicker(n.sweepEvery())
	defer tick.Stop()
	var conns []*netpoll.Conn
	for {
		select {
		case <-n.stopSweep:
			return
		case now := <-tick.C:
			conns = n.srv.AppendConns(conns[:0])
			for _, nc := range conns {
				if c, ok := nc.Handler().(*conn); ok {
					c.sweep(now)
				}
			}
			clear(conns)
		}
	}
}

// sweepEvery is a quarter of the shortest timeout, between 50 ms and 1 s.
func (n *Node) sweepEvery() time.Duration {
	d := n.cfg.HandshakeTimeout
	for _, t := range []time.Duration{n.cfg.PingInterval, n.cfg.IdleTimeout} {
		if t > 0 && t < d {
			d = t
		}
	}
	return min(max(d/4, 50*time.Millisecond), time.Second)
}

// Shutdown closes the listening socket first, so the port refuses new
// connections at once (ECONNREFUSED: a load balancer retries another node)
// and connections not yet accepted are reset; then it closes the cluster
// bus and every session with 1001 "going away" (an established WAMP v2
// session first gets GOODBYE wamp.close.system_shutdown), and waits for
// the peers to close, at most until ctx ends or Config.ShutdownTimeout passes; what
// is left is then closed at once.
func (n *Node) Shutdown(ctx context.Context) error {
	if n.stopping.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.ShutdownTimeout)
	defer cancel()
	n.srv.StopAccepting()
	apiStopped := make(chan struct{})
	go func() { // its calls in flight end as the sessions below close
		defer close(apiStopped)
		n.stopAPI(ctx)
	}()
	if n.bus != nil {
		if err := n.bus.Close(ctx); err != nil {
			n.log.Warn("cluster links did not close in time", "err", err)
		}
	}
	close(n.stopSweep)
	n.swept.Wait()
	for _, nc := range n.srv.Conns() {
		if c, ok := nc.Handler().(*conn); ok {
			if c.phase.Load() == phaseOpen {
				if g, ok := c.session.(goodbyeSayer); ok {
					g.Shutdown()
				}
				c.closeWith(ws.StatusGoingAway, "server shutting down")
			} else {
				c.abort(errShuttingDown)
			}
		}
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for n.srv.Stats().Open > 0 {
		select {
		case <-ctx.Done():
			err = fmt.Errorf("shutdown: %d connections still open: %w", n.srv.Stats().Open, ctx.Err())
			break wait
		case <-tick.C:
		}
	}
	<-apiStopped
	n.stopMetrics(ctx)
	if n.hooks != nil {
		n.hooks.Close()
	}
	n.srv.Close()
	n.log.Info("wampgate node stopped", "addr", n.Addr())
	return err
}
