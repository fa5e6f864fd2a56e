package wamp

import (
	"sync"
)

// This file holds the seam between the dealer and the other nodes of a
// cluster: the control messages nodes exchange about registrations and
// calls, and what the router does when a peer's link comes up or goes
// down. The cluster layer (package broadcast) carries the messages; the
// router decides what they mean (cluster_registrations.go,
// cluster_calls.go).

// ClusterKind is the kind of a ClusterMsg.
type ClusterKind uint8

// The kinds of control message. State messages (RegAdd, RegRemove)
// describe what a node has; every other kind belongs to one transaction
// (a proposal, a call) that a link going down ends on both sides, so the
// cluster layer forgets them when a link drops instead of resending them
// (ClusterKind.Transient).
const (
	// ClusterRegPropose asks every up peer to consent to a new
	// registration (URI, Match, Invoke, Stamp, Token).
	ClusterRegPropose ClusterKind = iota + 1
	// ClusterRegVote answers a proposal (Token, OK).
	ClusterRegVote
	// ClusterRegDone closes a proposal, decided either way (Token).
	ClusterRegDone
	// ClusterRegAdd tells that Session is a callee of the registration
	// (URI, Match, Invoke, DiscloseCaller); also the resync when a link
	// comes up.
	ClusterRegAdd
	// ClusterRegRemove tells that Session left the registration (URI,
	// Match).
	ClusterRegRemove
	// ClusterCall asks the callee Session of the receiving node to serve
	// a call (Invocation is the caller node's id for it).
	ClusterCall
	// ClusterInterrupt cancels a call (Session, Invocation) in Mode, for
	// the reason Error.
	ClusterInterrupt
	// ClusterResult is a callee's result for a call (Progress: one of
	// several).
	ClusterResult
	// ClusterError is a callee's error (Error) for a call.
	ClusterError
	// ClusterInterestAdd tells that the sender has local subscribers of
	// (URI, Match); a Token asks for a ClusterInterestAck once it is
	// installed (cluster_interest.go).
	ClusterInterestAdd
	// ClusterInterestRemove tells that the sender's last local subscriber
	// of (URI, Match) left.
	ClusterInterestRemove
	// ClusterInterestReset starts the sender's full interest state of the
	// realm (a link came up): the receiver forgets what it knew of it and
	// relays everything of the realm until ClusterInterestSynced.
	ClusterInterestReset
	// ClusterInterestSynced ends the full state: from now on the receiver
	// relays to the sender only what matches it.
	ClusterInterestSynced
	// ClusterInterestAck answers a ClusterInterestAdd with a Token: the
	// interest is installed, so every publication the receiver relays
	// from now on that matches it goes to the sender.
	ClusterInterestAck
	// ClusterMetaQuery asks the receiver for its part of a meta
	// procedure's answer (Procedure, Args in JSON; Token names the query
	// on the sender): cluster_meta.go.
	ClusterMetaQuery
	// ClusterMetaAnswer answers a ClusterMetaQuery (Token): the result's
	// arguments (Args, JSON), or an error (Error, Args).
	ClusterMetaAnswer
	clusterKinds = ClusterMetaAnswer
)

// Transient reports whether k belongs to a transaction that a link going
// down ends (everything but the state records: RegAdd, RegRemove and
// the interest records other than the ack).
func (k ClusterKind) Transient() bool {
	return k != ClusterRegAdd && k != ClusterRegRemove && !k.Interest()
}

// Interest reports whether k is one of the interest state records the
// cluster layer handles itself (add, remove, reset, synced): they tell
// it where to relay publications.
func (k ClusterKind) Interest() bool { return k >= ClusterInterestAdd && k <= ClusterInterestSynced }

// Valid reports whether k is a known kind.
func (k ClusterKind) Valid() bool { return k >= ClusterRegPropose && k <= clusterKinds }

// ClusterMsg is one control message between two nodes; which fields
// count depends on Kind.
type ClusterMsg struct {
	Kind  ClusterKind
	Realm string

	// Registrations.
	URI            string
	Match          Match
	Invoke         InvokePolicy
	DiscloseCaller bool
	Stamp          int64  // a proposal's creation time, unix nanoseconds
	Token          uint64 // a proposal's id on its node
	OK             bool   // a vote's answer

	// Session is the callee session: on the sender for RegAdd and
	// RegRemove, on the receiver for Call and Interrupt, on the sender of
	// Result and Error.
	Session ID

	// Calls.
	Invocation      ID // the caller node's id for the call
	Procedure       string
	Caller          ID // disclosed caller, 0 otherwise
	CallerAuthID    string
	CallerAuthRole  string
	ReceiveProgress bool
	Progress        bool
	Mode            CancelMode
	Error           string // ClusterError's URI, ClusterInterrupt's reason
	Args, Kwargs    Payload
}

// ClusterLinks is how the router reaches the other nodes
// (RouterConfig.Cluster). broadcast.Mesh implements it.
type ClusterLinks interface {
	// Node is this node's name in the pool.
	Node() string
	// UpPeers appends the names of the peers whose links are up.
	UpPeers(dst []string) []string
	// Send queues m to peer, in order after everything queued to it
	// before. It fails when the link is down or m too large for it; it
	// never blocks, and m's payloads are copied before it returns.
	Send(peer string, m *ClusterMsg) error
	// Interested reports whether a publication to topic in realm would be
	// relayed to at least one peer (one has a matching subscriber, or its
	// interest is not known yet).
	Interested(realm, topic string) bool
}

// clusterState is a realm's view of the other nodes: the sessions that
// stand for their callees and callers, and the registration proposals in
// flight.
type clusterState struct {
	links ClusterLinks

	mu        sync.Mutex
	proxies   map[string]map[ID]*Session // peer → its callee sessions' stand-ins
	callers   map[string]*Session        // peer → the stand-in of its callers
	markers   map[regKey][]marker        // peers' proposals this node consented to
	proposals map[uint64]*proposal       // this node's proposals awaiting votes
	deferred  map[regKey][]deferredAdd   // peers' commits waiting for a local proposal to fail
	nextToken uint64
	conflicts uint64 // RegAdds that disagreed with a registration here (partition heal)

	interest interestState // the realm's subscriptions as the peers know them
	meta     metaQueries   // meta procedure calls waiting for the peers' parts
}

// regKey names a registration cluster-wide: its URI and match policy.
type regKey struct {
	uri   string
	match Match
}

func (c *clusterState) init(links ClusterLinks) {
	c.links = links
	c.proxies = make(map[string]map[ID]*Session)
	c.callers = make(map[string]*Session)
	c.markers = make(map[regKey][]marker)
	c.proposals = make(map[uint64]*proposal)
	c.deferred = make(map[regKey][]deferredAdd)
	c.interest.local = make(map[regKey]*localInterest)
	c.interest.waits = make(map[uint64]*interestWait)
	c.meta.pending = make(map[uint64]*metaQuery)
}

// ClusterReceive handles a control message from peer (the cluster
// layer calls it from the link's receiving goroutine, in the order the
// peer sent them). Messages for a realm this node lacks are dropped.
func (r *Router) ClusterReceive(peer string, m *ClusterMsg) {
	rm := r.realms[m.Realm]
	if rm == nil || rm.cluster == nil {
		r.unknownRealm.Add(1)
		if m.Kind == ClusterMetaQuery && r.cluster != nil { // no session of that realm here
			_ = r.cluster.Send(peer, &ClusterMsg{Kind: ClusterMetaAnswer, Realm: m.Realm, Token: m.Token,
				Error: errorNoSuchRealm, Args: errorArgs("no realm " + m.Realm + " on node " + r.cluster.Node())})
		}
		return
	}
	switch m.Kind {
	case ClusterRegPropose:
		rm.peerProposal(peer, m)
	case ClusterRegVote:
		rm.peerVote(peer, m)
	case ClusterRegDone:
		rm.peerDone(peer, m.Token)
	case ClusterRegAdd:
		rm.peerRegAdd(peer, m)
	case ClusterRegRemove:
		rm.peerRegRemove(peer, m)
	case ClusterCall:
		rm.peerCall(peer, m)
	case ClusterInterrupt:
		rm.peerInterrupt(peer, m)
	case ClusterResult, ClusterError:
		rm.peerAnswer(peer, m)
	case ClusterInterestAck:
		rm.interestAck(peer, m.Token)
	case ClusterMetaQuery:
		rm.peerMetaQuery(peer, m)
	case ClusterMetaAnswer:
		rm.peerMetaAnswer(peer, m)
	}
}

// ClusterPeerDown forgets everything peer told this node, in every
// realm: its registrations go, the calls waiting on its callees end with
// wamp.error.canceled, the calls its callers made here are canceled
// (their callees get INTERRUPT), proposals waiting for its vote fail,
// subscriptions waiting for its acknowledgement stop waiting for it, and
// so do the meta procedure calls waiting for its part.
// The cluster layer calls it when the link drops and before a new
// connection to the peer is used.
func (r *Router) ClusterPeerDown(peer string) {
	for _, rm := range r.order {
		if rm.cluster != nil {
			rm.peerDown(peer)
			rm.interestPeerDown(peer)
			rm.metaPeerDown(peer)
		}
	}
}

// ClusterPeerUp sends peer every registration of this node's sessions
// (ClusterRegAdd) and every topic and pattern they subscribe to (the
// interest state), in every realm: the resync after ClusterPeerDown.
func (r *Router) ClusterPeerUp(peer string) {
	for _, rm := range r.order {
		if rm.cluster != nil {
			rm.peerUp(peer)
			rm.interestPeerUp(peer)
		}
	}
}

// ClusterConflicts counts the registrations a peer announced that
// disagreed with one here (two owners after a partition healed): the
// one here was kept.
func (r *Router) ClusterConflicts() uint64 {
	var n uint64
	for _, rm := range r.order {
		if c := rm.cluster; c != nil {
			c.mu.Lock()
			n += c.conflicts
			c.mu.Unlock()
		}
	}
	return n
}

// send sends m (of this realm) to peer, logging a failure.
func (r *Realm) send(peer string, m *ClusterMsg) error {
	m.Realm = r.name
	err := r.cluster.links.Send(peer, m)
	if err != nil {
		r.router.log.Debug("cluster: control message not sent", "peer", peer, "kind", m.Kind, "err", err)
	}
	return err
}

// broadcast sends m to every up peer.
func (r *Realm) broadcast(m *ClusterMsg) {
	for _, p := range r.cluster.links.UpPeers(nil) {
		_ = r.send(p, m)
	}
}
