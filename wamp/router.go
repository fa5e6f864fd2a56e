package wamp

import (
	"log/slog"
	"strings"
	"sync/atomic"
)

// Defaults of RouterConfig.
const (
	DefaultServerIdent          = "wampgate"
	DefaultLegacyBroadcastTopic = "broadcast/channel"
	DefaultMaxSubscriptions     = 1024
)

// LegacyBroadcastDisabled, as RouterConfig.LegacyBroadcastTopic, turns the
// legacy broadcast topic off: every topic then honours exclude/eligible.
const LegacyBroadcastDisabled = "-"

// RouterConfig configures a Router. The zero value is usable.
type RouterConfig struct {
	// Handler receives the application hooks; nil means BaseHandler.
	Handler Handler
	// ServerIdent is the server name in v1's WELCOME, e.g.
	// "wampgate/1.0.0"; default DefaultServerIdent. A ']' is replaced by
	// ')' because the Gos PHP client cuts the WELCOME at the first ']'.
	ServerIdent string
	// NodeID is this node's name in the cluster, the prefix of its
	// session ids (letters, digits, '_' and '-'; other characters are
	// replaced by '_', and it is cut to 32 bytes). Empty: a random one.
	NodeID string
	// LegacyBroadcastTopic is the topic that, like the original setup's
	// broadcast/channel, delivers every publication to every local
	// subscriber (publisher included, exclude/eligible ignored) and is
	// never relayed. Empty means DefaultLegacyBroadcastTopic;
	// LegacyBroadcastDisabled turns the behaviour off.
	LegacyBroadcastTopic string
	// MaxSubscriptions caps the topics one session may subscribe to;
	// 0 means DefaultMaxSubscriptions.
	MaxSubscriptions int
	// Relay, when set, receives every publication that originated on this
	// node (from a client or from Router.Publish) and is not on the legacy
	// topic, after its hooks ran and before local delivery: the seam of the
	// cluster layer, which sends it to the other nodes. Exclude already
	// contains the publisher when ExcludeMe was set. Relay must not block
	// and must treat pub as read-only; it may keep it.
	Relay func(pub *Publication)
	// Logger receives the router's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Router is a node's WAMP core: the session registry (session id →
// session) and the broker (topic → subscribers), shared by every protocol
// version. All its methods are safe for concurrent use.
type Router struct {
	handler   Handler
	ident     string
	nodeID    string
	legacy    string // "" when disabled
	maxSubs   int
	relay     func(*Publication)
	log       *slog.Logger
	ids       *idGenerator
	registry  *registry
	broker    *broker
	sessions  atomic.Int64
	published atomic.Uint64
	delivered atomic.Uint64
}

// NewRouter makes a router from cfg, filling in defaults.
func NewRouter(cfg RouterConfig) *Router {
	r := &Router{
		handler:  cfg.Handler,
		ident:    cfg.ServerIdent,
		legacy:   cfg.LegacyBroadcastTopic,
		maxSubs:  cfg.MaxSubscriptions,
		relay:    cfg.Relay,
		log:      cfg.Logger,
		registry: newRegistry(),
		broker:   newBroker(),
	}
	if r.handler == nil {
		r.handler = BaseHandler{}
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.ident == "" {
		r.ident = DefaultServerIdent
	}
	if strings.Contains(r.ident, "]") {
		r.log.Warn("wamp: ']' in server ident replaced by ')'", "ident", r.ident)
		r.ident = strings.ReplaceAll(r.ident, "]", ")")
	}
	switch r.legacy {
	case "":
		r.legacy = DefaultLegacyBroadcastTopic
	case LegacyBroadcastDisabled:
		r.legacy = ""
	}
	if r.maxSubs <= 0 {
		r.maxSubs = DefaultMaxSubscriptions
	}
	r.ids, r.nodeID = newIDGenerator(cfg.NodeID)
	if cfg.NodeID != "" && r.nodeID != cfg.NodeID {
		r.log.Warn("wamp: node id sanitized for use in session ids", "node_id", cfg.NodeID, "used", r.nodeID)
	}
	return r
}

// ServerIdent is the server name sent in v1's WELCOME.
func (r *Router) ServerIdent() string { return r.ident }

// NodeID is the node id used in session ids: the configured one
// (sanitized), or "" when it was generated at random.
func (r *Router) NodeID() string { return r.nodeID }

// Logger is the router's logger, for protocol packages.
func (r *Router) Logger() *slog.Logger { return r.log }

// Session returns the live session with id on this node.
func (r *Router) Session(id string) (Peer, bool) {
	s := r.registry.get(id)
	if s == nil {
		return nil, false
	}
	return s, true
}

// Publish delivers pub to the local subscribers of pub.Topic and, unless
// pub is Relayed or on the legacy broadcast topic, hands it to the Relay
// callback. An embedding program calls it to publish from the server side
// (Publisher nil); sessions reach it through Session.Publish, after the
// OnPublish hook.
//
// Publish takes ownership of pub: it may reorder Exclude and Eligible and
// caches the encoded frames in it; do not modify or reuse pub afterwards.
// The frame of each protocol is encoded once and the same bytes are
// queued to every subscriber.
func (r *Router) Publish(pub *Publication) {
	r.published.Add(1)
	everyone := r.legacy != "" && pub.Topic == r.legacy
	if !everyone {
		pub.normalize()
		if r.relay != nil && !pub.Relayed {
			r.relay(pub)
		}
	}
	if n := r.broker.deliver(pub, everyone, r.registry); n > 0 {
		r.delivered.Add(n)
	}
}

// Stats is a snapshot of a router's counters.
type Stats struct {
	Sessions      int64  // live sessions
	Topics        int64  // topics with at least one subscriber
	Subscriptions int64  // (session, topic) subscriptions
	Publications  uint64 // publications handed to Publish since start
	Deliveries    uint64 // event frames queued to subscribers since start
}

// Stats returns the router's counters. It is cheap: a few atomic loads.
func (r *Router) Stats() Stats {
	return Stats{
		Sessions:      r.sessions.Load(),
		Topics:        r.broker.topics.Load(),
		Subscriptions: r.broker.subscriptions.Load(),
		Publications:  r.published.Load(),
		Deliveries:    r.delivered.Load(),
	}
}
