package wamp

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
)

// Defaults of RouterConfig.
const (
	DefaultRealm            = "realm1"
	DefaultAgent            = "wampgate"
	DefaultMaxSubscriptions = 1024
	DefaultMaxRegistrations = 1024
	DefaultMaxCallsInFlight = 1000
)

// RouterConfig configures a Router. The zero value is usable: one realm,
// "realm1", which v1 sessions join.
type RouterConfig struct {
	// Handler receives the application hooks; nil means BaseHandler.
	Handler Handler
	// Realms lists the realms' names (WAMP URIs, e.g. "realm1"); empty
	// means []string{DefaultRealm}.
	Realms []string
	// V1Realm is the realm v1 sessions join; empty means the first of
	// Realms. It must be one of them.
	V1Realm string
	// NodeSlot is this node's slot in the cluster, in [0, MaxNodeSlot]:
	// the low bits of every session id it issues, which makes session ids
	// unique across the cluster by construction. The gateway gives each
	// node its index in the sorted pool; 0 on a single node.
	NodeSlot int
	// Agent is the server's name and version, e.g. "wampgate/1.0.0":
	// v1's WELCOME server ident, v2's WELCOME agent. Empty means
	// DefaultAgent.
	Agent string
	// LocalTopic, when set, names a topic whose publications are
	// delivered to every local subscriber (the publisher included,
	// exclude and eligible ignored), never relayed and never retained, in
	// every realm. The gateway sets it to v1.LegacyBroadcastTopic, the
	// original setup's broadcast/channel.
	LocalTopic string
	// MaxSubscriptions caps the subscriptions of one session; 0 means
	// DefaultMaxSubscriptions.
	MaxSubscriptions int
	// MaxRegistrations caps the registrations of one session; 0 means
	// DefaultMaxRegistrations.
	MaxRegistrations int
	// MaxCallsInFlight caps, per session, the calls in flight to callee
	// sessions it makes as a caller, and separately the invocations in
	// flight it serves as a callee; 0 means DefaultMaxCallsInFlight. A
	// call beyond either ends with ERROR wampgate.error.too_many_calls.
	MaxCallsInFlight int
	// MaxRetained caps the topics with a retained event, per realm; 0
	// means DefaultMaxRetained. Beyond it the oldest is evicted.
	MaxRetained int
	// Relay, when set, receives every publication that originated on this
	// node (from a client or from Router.Publish) and is not on the local
	// topic, after its hooks ran and before local delivery: the seam of
	// the cluster layer, which sends it to the other nodes. pub.Realm and
	// pub.ID are set, and Exclude already contains the publisher when
	// ExcludeMe was set. Relay must not block and must treat pub as
	// read-only; it may keep it.
	Relay func(pub *Publication)
	// MetaKill makes every realm serve the meta procedures
	// wamp.session.kill, kill_by_authid and kill_by_authrole. Off by
	// default: until sessions authenticate, any client could end any
	// other client's session with them.
	MetaKill bool
	// Hooks, when set, are the operation hooks (package hooks: HTTP
	// hooks) that decide subscriptions, publications and calls out of
	// process, after the Authorizer; nil: none, and sessions have no
	// OpQueue.
	Hooks OpHooks
	// Authorizer, when set, decides every subscribe, publish, call and
	// register of a session (see Authorizer); nil allows everything.
	// Router.SetAuthorizer replaces it while the router runs.
	Authorizer Authorizer
	// Logger receives the router's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Router is a node's WAMP core: the realms (each with its broker and
// sessions), the session registry of the node (one id space) and the
// relay seam, shared by every protocol version. All its methods are safe
// for concurrent use.
type Router struct {
	handler     Handler
	agent       string
	slot        uint64
	localTopic  string
	maxSubs     int
	maxRegs     int
	maxCalls    int
	maxRetained int
	relay       func(*Publication)
	hooks       OpHooks
	meta        map[string]metaProcedure // read-only after NewRouter
	log         *slog.Logger
	registry    *registry
	realms      map[string]*Realm // fixed after NewRouter: read without a lock
	order       []*Realm          // as configured
	v1Realm     *Realm

	authz        atomic.Pointer[authorizer] // nil: everything allowed
	unauthorized [NumActions]atomic.Uint64  // refusals, by action
	lastDenyLog  atomic.Int64               // unix nanoseconds of the last refusal logged

	sessions       atomic.Int64
	repliesDropped atomic.Uint64 // hook replies to a publisher not subscribed
	published      atomic.Uint64
	delivered      atomic.Uint64
	unknownRealm   atomic.Uint64
}

// NewRouter makes a router from cfg, filling in defaults. It fails when a
// realm name is not a WAMP URI or is listed twice, when V1Realm is not
// one of the realms, or when NodeSlot is out of range.
func NewRouter(cfg RouterConfig) (*Router, error) {
	r := &Router{
		handler:     cfg.Handler,
		agent:       cfg.Agent,
		localTopic:  cfg.LocalTopic,
		maxSubs:     cfg.MaxSubscriptions,
		maxRegs:     cfg.MaxRegistrations,
		maxCalls:    cfg.MaxCallsInFlight,
		maxRetained: cfg.MaxRetained,
		relay:       cfg.Relay,
		hooks:       cfg.Hooks,
		meta:        metaProcedures(cfg.MetaKill),
		log:         cfg.Logger,
		registry:    newRegistry(),
		realms:      make(map[string]*Realm),
	}
	if r.handler == nil {
		r.handler = BaseHandler{}
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.agent == "" {
		r.agent = DefaultAgent
	}
	if r.maxSubs <= 0 {
		r.maxSubs = DefaultMaxSubscriptions
	}
	if r.maxRegs <= 0 {
		r.maxRegs = DefaultMaxRegistrations
	}
	if r.maxCalls <= 0 {
		r.maxCalls = DefaultMaxCallsInFlight
	}
	if r.maxRetained <= 0 {
		r.maxRetained = DefaultMaxRetained
	}
	if cfg.NodeSlot < 0 || cfg.NodeSlot > MaxNodeSlot {
		return nil, fmt.Errorf("wamp: node slot %d out of range [0, %d]", cfg.NodeSlot, MaxNodeSlot)
	}
	r.slot = uint64(cfg.NodeSlot)
	r.SetAuthorizer(cfg.Authorizer)
	names := cfg.Realms
	if len(names) == 0 {
		names = []string{DefaultRealm}
	}
	for _, name := range names {
		if !ValidURI(name, MatchExact, false) {
			return nil, fmt.Errorf("wamp: realm %q is not a valid URI", name)
		}
		if r.realms[name] != nil {
			return nil, fmt.Errorf("wamp: realm %q listed twice", name)
		}
		rm := newRealm(r, name)
		r.realms[name] = rm
		r.order = append(r.order, rm)
	}
	v1 := cfg.V1Realm
	if v1 == "" {
		v1 = names[0]
	}
	if r.v1Realm = r.realms[v1]; r.v1Realm == nil {
		return nil, fmt.Errorf("wamp: v1 realm %q is not one of the realms %v", v1, names)
	}
	return r, nil
}

// errNoRealm is logged for relayed publications of a realm this node
// does not have.
var errNoRealm = errors.New("no such realm on this node")

// Realm returns the realm called name, or nil when there is none.
func (r *Router) Realm(name string) *Realm { return r.realms[name] }

// V1Realm is the realm v1 sessions join.
func (r *Router) V1Realm() *Realm { return r.v1Realm }

// Realms returns the realms in configuration order.
func (r *Router) Realms() []*Realm { return slices.Clone(r.order) }

// Agent is the server's name and version (v1 server ident, v2 agent).
func (r *Router) Agent() string { return r.agent }

// NodeSlot is the node's slot, the low bits of its session ids.
func (r *Router) NodeSlot() int { return int(r.slot) }

// Logger is the router's logger, for protocol packages.
func (r *Router) Logger() *slog.Logger { return r.log }

// Session returns the live session with id on this node, in any realm.
func (r *Router) Session(id ID) (Peer, bool) {
	s := r.registry.get(id)
	if s == nil || !s.Live() {
		return nil, false
	}
	return s, true
}

// Publish hands pub to the realm pub.Realm names ("" means the v1 realm):
// see Realm.Publish. A publication for a realm this node does not have
// (relayed from a node configured with more realms) is dropped, logged
// and counted in Stats.UnknownRealm.
func (r *Router) Publish(pub *Publication) {
	rm := r.v1Realm
	if pub.Realm != "" {
		rm = r.realms[pub.Realm]
	}
	if rm == nil {
		r.unknownRealm.Add(1)
		r.log.Debug("wamp: publication dropped", "realm", pub.Realm, "topic", pub.Topic, "err", errNoRealm)
		return
	}
	rm.Publish(pub)
}

// Stats is a snapshot of a router's counters, summed over its realms.
type Stats struct {
	Sessions        int64  // live sessions
	Topics          int64  // live subscriptions (a topic or a pattern with subscribers)
	Subscriptions   int64  // (session, subscription) pairs
	Publications    uint64 // publications handed to Publish since start
	Deliveries      uint64 // event frames queued to subscribers since start
	Retained        int64  // topics with a retained event
	RetainedEvicted uint64 // retained events evicted by MaxRetained
	UnknownRealm    uint64 // publications dropped for a realm this node lacks
	Registrations   int64  // live registrations
	CallsInFlight   int64  // invocations in flight to callee sessions
	// Unauthorized counts the operations the Authorizer refused, indexed
	// by Action.
	Unauthorized [NumActions]uint64
	// HookRepliesDropped counts publish hooks' replies to a publisher
	// that had no subscription matching the topic.
	HookRepliesDropped uint64
}

// Stats returns the router's counters. It is cheap: a few atomic loads
// per realm.
func (r *Router) Stats() Stats {
	st := Stats{
		Sessions:     r.sessions.Load(),
		Publications: r.published.Load(),
		Deliveries:   r.delivered.Load(),
		UnknownRealm: r.unknownRealm.Load(),

		HookRepliesDropped: r.repliesDropped.Load(),
	}
	for i := range st.Unauthorized {
		st.Unauthorized[i] = r.unauthorized[i].Load()
	}
	for _, rm := range r.order {
		rs := rm.Stats()
		st.Topics += rs.Subscriptions
		st.Subscriptions += rs.Subscribers
		st.Retained += rs.Retained
		st.RetainedEvicted += rs.RetainedEvicted
		st.Registrations += rs.Registrations
		st.CallsInFlight += rs.CallsInFlight
	}
	return st
}
