package gateway

import (
	"errors"
	"fmt"
	"github.com/wampgate/wampgate/hooks"
	"log/slog"
	"slices"
	"time"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/authz"
	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/netpoll"
	"github.com/wampgate/wampgate/wamp"
)

// Version is wampgate's release, sent as the WELCOME server ident.
const Version = "0.1.0"

// Config is everything a Node can be tuned with. DefaultConfig gives the
// values `wampgate run` starts with.
type Config struct {
	// Addr is the listening address, "127.0.0.1:8095"; port 0 picks one.
	Addr string
	// Poller selects the netpoll backend: "epoll", "easygo" or "goroutine".
	Poller string
	// Workers is the size of the worker pool (0: 4 × GOMAXPROCS).
	Workers int
	// MaxMessageSize bounds a WebSocket message; larger ones close with 1009
	// as soon as the frame header announces them.
	MaxMessageSize int
	// MaxHeaderSize bounds the HTTP request head of the handshake.
	MaxHeaderSize int
	// HandshakeTimeout closes connections that do not finish the HTTP
	// upgrade in time, counted from the accept.
	HandshakeTimeout time.Duration
	// DeferAccept lets the kernel keep a new connection until its first
	// bytes arrive (TCP_DEFER_ACCEPT; netpoll.Config.DeferAccept): a
	// client's request is then read in the same pass that accepts it. A
	// connection that stays silent is accepted about DeferAccept later
	// (Linux rounds up to 1 s, 3 s, 7 s, …), so it is dropped after
	// that plus HandshakeTimeout. 0: accept at once.
	DeferAccept time.Duration
	// PingInterval is how long a session may stay silent before the node
	// pings it (0: never).
	PingInterval time.Duration
	// IdleTimeout closes sessions silent for this long, pongs included
	// (0: never).
	IdleTimeout time.Duration
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout time.Duration
	// WriteQueueLimit is how many bytes may wait for one slow reader before
	// the node closes it with 1008 "slow consumer".
	WriteQueueLimit int
	// AllowedOrigins lists the Origin header values accepted in handshakes;
	// empty accepts any (Ratchet's default). "*" also accepts any.
	AllowedOrigins []string
	// ServerIdent is the server's name and version: the WAMP v1 WELCOME
	// server ident (a ']' in it is sent as ')').
	ServerIdent string
	// Realms lists the WAMP realms the node serves (empty: "realm1");
	// V1Realm is the one v1 sessions join (empty: the first).
	Realms  []string
	V1Realm string
	// NodeSlot is this node's slot in [0, 1023], the low bits of its
	// session ids, which makes them unique across the cluster. 0 means:
	// this node's index in the sorted Cluster.Pool (0 on a single node).
	// Set it only when Bus replaces the built-in peer links and gives the
	// nodes no pool: each node of such a cluster needs its own slot.
	NodeSlot int
	// MetaKill serves the meta procedures wamp.session.kill,
	// kill_by_authid and kill_by_authrole (off: any anonymous client
	// could end any other client's session).
	MetaKill bool
	// Roles decides what each authrole may subscribe to, publish, call
	// and register (package authz); nil allows everything. Node.SetRoles
	// replaces it while the node runs.
	Roles *authz.Roles
	// Auth authenticates clients: tokens at the handshake (v1 and v2),
	// ticket, WAMP-CRA and WAMP-cryptosign at a v2 HELLO (package auth).
	// nil: every session is anonymous. Node.SetAuth replaces it while
	// the node runs.
	Auth *auth.Authenticator
	// APIKeys enables the HTTP API (POST /api/publish and /api/call,
	// package internal/httpapi) with these bearer keys, each at least
	// httpapi.MinKeyLength visible ASCII characters; Node.SetAPIKeys
	// replaces them. Empty: no API.
	APIKeys [][]byte
	// APIListen, when set, serves the API on a listener of its own
	// ("127.0.0.1:8096"; port 0 picks one); else it is served on Addr,
	// for request paths under /api/.
	APIListen string
	// APIConcurrency bounds the API requests in flight, from their head
	// to their answer (0: httpapi.DefaultConcurrency); more get 503.
	APIConcurrency int
	// MetricsListen, when set, serves the operator endpoints (GET
	// /metrics, /status, /status.json, and /healthz again) on a listener
	// of their own ("127.0.0.1:9095"; port 0 picks one), and no longer on
	// Addr; else they are served on Addr.
	MetricsListen string
	// Hooks sends operations to an application over HTTP (package
	// hooks): subscriptions, publications and calls under its prefixes,
	// and every new session when Hooks.Connect. Zero: no hooks.
	Hooks hooks.Config
	// Handler customises the node (nil: a plain broker).
	Handler wamp.Handler
	// Cluster joins the node to a pool of nodes over peer links (package
	// broadcast); a pool of one, or none, is a single node.
	Cluster broadcast.Config
	// Bus, when set, relays publications between nodes instead of the
	// peer links Cluster would build (e.g. an external message broker,
	// package broadcast/natsbus). A Bus that is also a wamp.ClusterLinks
	// with a SetControl(broadcast.ControlHandler) method carries the
	// registrations and calls across the cluster too.
	Bus broadcast.Bus
	// Logger receives the node's logs (nil: slog.Default()).
	Logger *slog.Logger
}

// DefaultConfig returns the configuration of a single local node.
func DefaultConfig() Config {
	return Config{
		Addr:             "127.0.0.1:8095",
		Poller:           netpoll.BackendEpoll,
		MaxMessageSize:   4 << 20,
		MaxHeaderSize:    8 << 10,
		HandshakeTimeout: 5 * time.Second,
		DeferAccept:      time.Second,
		PingInterval:     30 * time.Second,
		IdleTimeout:      90 * time.Second,
		ShutdownTimeout:  10 * time.Second,
		WriteQueueLimit:  8 << 20,
		ServerIdent:      "wampgate/" + Version,
	}
}

// withDefaults fills zero fields from DefaultConfig and checks the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.Poller == "" {
		c.Poller = d.Poller
	}
	if !slices.Contains(netpoll.Backends, c.Poller) {
		return c, fmt.Errorf("unknown poller %q (want one of %v)", c.Poller, netpoll.Backends)
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = d.MaxMessageSize
	}
	if c.MaxHeaderSize <= 0 {
		c.MaxHeaderSize = d.MaxHeaderSize
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = d.HandshakeTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = d.ShutdownTimeout
	}
	if c.WriteQueueLimit <= 0 {
		c.WriteQueueLimit = d.WriteQueueLimit
	}
	if c.WriteQueueLimit < c.MaxMessageSize {
		return c, errors.New("write queue limit must be at least the maximum message size")
	}
	if c.PingInterval < 0 || c.IdleTimeout < 0 || c.DeferAccept < 0 {
		return c, errors.New("ping interval, idle timeout and defer accept must not be negative")
	}
	if c.APIConcurrency < 0 {
		return c, errors.New("API concurrency must not be negative")
	}
	if err := c.Hooks.Check(); err != nil {
		return c, err
	}
	if c.ServerIdent == "" {
		c.ServerIdent = d.ServerIdent
	}
	if c.Handler == nil {
		c.Handler = wamp.BaseHandler{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Cluster.Logger == nil {
		c.Cluster.Logger = c.Logger
	}
	// Every publication a client may send must cross the cluster.
	c.Cluster.MaxMessageSize = c.MaxMessageSize
	if err := c.Cluster.Validate(); err != nil {
		return c, fmt.Errorf("cluster: %w", err)
	}
	if c.NodeSlot == 0 {
		slot, err := poolSlot(c.Cluster)
		if err != nil {
			return c, fmt.Errorf("cluster: %w", err)
		}
		c.NodeSlot = slot
	}
	return c, nil
}

// poolSlot is the index of the node in its sorted, deduplicated pool, so
// that every node of a pool gets its own slot; 0 on a single node.
func poolSlot(cc broadcast.Config) (int, error) {
	if !cc.Clustered() {
		return 0, nil
	}
	pool := slices.Compact(slices.Sorted(slices.Values(cc.Pool)))
	if len(pool) > wamp.MaxNodeSlot+1 {
		return 0, fmt.Errorf("a pool of %d nodes: at most %d", len(pool), wamp.MaxNodeSlot+1)
	}
	return slices.Index(pool, cc.Node), nil
}
