package broadcast

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"
)

// Defaults of Config.
const (
	DefaultQueueLimit    = 65536
	DefaultQueueBytes    = 64 << 20
	DefaultMaxBatchBytes = 64 << 10
	DefaultMaxMessage    = 4 << 20
	DefaultMaxInFlight   = 4 << 20
	DefaultDialTimeout   = 5 * time.Second
	DefaultMinBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff    = 5 * time.Second
	DefaultPingInterval  = 5 * time.Second
)

// Config describes this node's place in a cluster: its own address, the
// pool of every node, and how its peer links behave. The zero value, or a
// pool of one, is a plain single node.
type Config struct {
	// Node is this node's address exactly as the pool lists it
	// (host:port). Peers dial it; it drops itself from Pool.
	Node string
	// Pool lists every node of the cluster (host:port), this one included,
	// like the original ratchet_bundle.yaml wampserver_pool list. Every
	// node must be given the same list.
	Pool []string
	// Secret is the shared cluster secret. Peer links prove they know it
	// with HMAC-SHA256 over fresh nonces; it never crosses the wire.
	// Required when the pool has other nodes.
	Secret string
	// QueueLimit bounds the publications queued per peer link, and
	// QueueBytes their encoded size; when a link's queue is full the
	// oldest publications are dropped and counted.
	QueueLimit int
	QueueBytes int
	// MaxBatchBytes bounds the payload of one relay frame; one record
	// larger than it still goes out, alone.
	MaxBatchBytes int
	// MaxMessageSize is the largest client message the node accepts (the
	// gateway's --max-message-size): every publication up to it must
	// cross the cluster. A link accepts messages of MaxBatchBytes plus one
	// such publication and announces that bound in its handshake; the
	// other side builds its batches to fit and drops (and counts) a record
	// that can never fit.
	MaxMessageSize int
	// MaxInFlightBytes bounds the bytes of records sent on a link and not
	// yet acknowledged by the peer: what a link may have in kernel buffers
	// and in the gateway's outbound queue at once. One batch is always
	// allowed.
	MaxInFlightBytes int
	// DialTimeout bounds dialing a peer and its handshake.
	DialTimeout time.Duration
	// MinBackoff and MaxBackoff bound the randomized exponential backoff
	// between reconnection attempts.
	MinBackoff, MaxBackoff time.Duration
	// PingInterval is how often a link's dialing side pings; a link that
	// has been silent for three intervals is considered dead.
	PingInterval time.Duration
	// RelayAll relays every publication to every peer, whether or not a
	// subscriber there matches it (the relay before interest-based
	// relay: benchmarks compare the two). The node still tells its peers
	// its own subscriptions.
	RelayAll bool
	// Logger receives the links' logs; nil means slog.Default().
	Logger *slog.Logger
}

// Peers returns the pool without this node, in pool order.
func (c *Config) Peers() []string {
	var peers []string
	for _, a := range c.Pool {
		if a != c.Node && !slices.Contains(peers, a) {
			peers = append(peers, a)
		}
	}
	return peers
}

// Clustered reports whether the pool names at least one other node.
func (c *Config) Clustered() bool { return len(c.Peers()) > 0 }

// Validate checks the configuration of a clustered node: addresses are
// host:port, this node is in the pool, and a secret is set.
func (c *Config) Validate() error {
	if !c.Clustered() {
		return nil
	}
	for _, a := range c.Pool {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("pool address %q: %w", a, err)
		}
	}
	if !slices.Contains(c.Pool, c.Node) {
		return fmt.Errorf("this node %q is not in the pool %v (set the node address as the pool lists it)", c.Node, c.Pool)
	}
	if c.Secret == "" {
		return errors.New("a cluster secret is required when the pool has other nodes")
	}
	if c.QueueLimit < 0 || c.QueueBytes < 0 || c.MaxBatchBytes < 0 || c.MaxMessageSize < 0 || c.MaxInFlightBytes < 0 {
		return errors.New("peer queue limits, batch, message and in-flight sizes must not be negative")
	}
	return nil
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.QueueLimit == 0 {
		c.QueueLimit = DefaultQueueLimit
	}
	if c.QueueBytes == 0 {
		c.QueueBytes = DefaultQueueBytes
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessage
	}
	if c.MaxInFlightBytes == 0 {
		c.MaxInFlightBytes = DefaultMaxInFlight
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// recordSlack is what a publication's record may take beyond the client
// message it came from: length prefixes, and the publisher's own session
// id when excludeMe was folded into the exclude list.
const recordSlack = 1 << 10

// maxLinkMessage is the largest message this node accepts on a peer link
// and announces in its handshake: a full batch plus one record of the
// largest publication, plus the batch header.
func (c *Config) maxLinkMessage() int {
	return c.MaxBatchBytes + c.MaxMessageSize + recordSlack + batchHeaderRoom
}
