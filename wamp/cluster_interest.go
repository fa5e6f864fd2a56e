package wamp

import "sync"

// Interest across a cluster.
//
// Every node tells its peers which topics and patterns (URI and match)
// have local subscribers, so that a peer relays a publication only to
// the nodes where one matches (the cluster layer keeps each peer's
// interest and filters in Relay). The first local subscriber of a
// (URI, match) — a v1 or a v2 session, or one of the router's meta event
// topics — sends ClusterInterestAdd to every up peer; the last one
// leaving sends ClusterInterestRemove; a link coming up gets the full
// state (Reset, an Add per entry, Synced). A node relays everything of a
// realm to a peer until that peer's Synced for the realm arrived, so
// nothing is lost while the state travels.
//
// The subscribe race: a v2 subscriber whose SUBSCRIBE made the interest
// new (or found it still unacknowledged) is held: it is a member of the
// subscription that fan-outs skip, and SUBSCRIBED is sent only when
// every up peer acknowledged the Add (ClusterInterestAck: one link round
// trip; the peer installs the interest before it answers, and records on
// a link are ordered). So a publication made anywhere after the client
// saw SUBSCRIBED reaches it. A peer whose link drops stops being waited
// for: it relays everything to this node while the link is down and
// until this node's state reached it again. v1 has no SUBSCRIBED: a v1
// subscriber gets what is published on another node once its node's Add
// reached that node.
//
// Lock order: interestState.send, then interestState.mu. Messages are
// sent under send only, so their order on every link is the order of
// the decisions, and a link going down while a message is queued
// (ClusterPeerDown, which takes mu) cannot deadlock.

// interestState is a realm's side of the interest protocol.
type interestState struct {
	send sync.Mutex // orders the interest messages of the realm

	mu    sync.Mutex
	local map[regKey]*localInterest // (URI, match) with local subscribers
	waits map[uint64]*interestWait  // Adds awaiting acknowledgements
	next  uint64                    // the last Add token
}

// localInterest is one (URI, match) with local subscribers.
type localInterest struct {
	n    int           // local subscribers (session memberships)
	wait *interestWait // its Add awaiting acknowledgements, nil when none
}

// interestWait is an Add awaiting the peers' acknowledgements; the
// functions in done run once every peer acknowledged it or went down.
type interestWait struct {
	token uint64
	peers map[string]struct{}
	done  []func()
}

// interestJoined counts a new local subscriber of (uri, match): the
// first one announces the interest to the up peers. It returns the Add
// still awaiting acknowledgements, nil when there is none (a single
// node, no peer up, or acknowledged already).
func (r *Realm) interestJoined(uri string, match Match) *interestWait {
	if r.cluster == nil {
		return nil
	}
	is := &r.cluster.interest
	key := regKey{uri, match}
	is.send.Lock()
	defer is.send.Unlock()
	is.mu.Lock()
	if li := is.local[key]; li != nil {
		li.n++
		w := li.wait
		is.mu.Unlock()
		return w
	}
	li := &localInterest{n: 1}
	is.local[key] = li
	peers := r.cluster.links.UpPeers(nil)
	if len(peers) > 0 {
		is.next++
		li.wait = &interestWait{token: is.next, peers: make(map[string]struct{}, len(peers))}
		for _, p := range peers {
			li.wait.peers[p] = struct{}{}
		}
		is.waits[li.wait.token] = li.wait
	}
	w := li.wait
	is.mu.Unlock()
	if w == nil {
		return nil
	}
	m := ClusterMsg{Kind: ClusterInterestAdd, URI: uri, Match: match, Token: w.token}
	for _, p := range peers {
		if r.send(p, &m) != nil { // down already: it gets the state when it comes back
			r.interestAck(p, w.token)
		}
	}
	return w
}

// interestLeft counts a local subscriber of (uri, match) gone: the last
// one withdraws the interest from the up peers.
func (r *Realm) interestLeft(uri string, match Match) {
	if r.cluster == nil {
		return
	}
	is := &r.cluster.interest
	key := regKey{uri, match}
	is.send.Lock()
	defer is.send.Unlock()
	is.mu.Lock()
	li := is.local[key]
	if li == nil {
		is.mu.Unlock()
		return
	}
	if li.n--; li.n > 0 {
		is.mu.Unlock()
		return
	}
	delete(is.local, key)
	is.mu.Unlock()
	r.broadcast(&ClusterMsg{Kind: ClusterInterestRemove, URI: uri, Match: match})
}

// afterInterest runs fn once w (nil: none) is acknowledged by every up
// peer: at once when it is, else from the goroutine that gets the last
// acknowledgement or sees the last peer go down.
func (r *Realm) afterInterest(w *interestWait, fn func()) {
	if w != nil {
		is := &r.cluster.interest
		is.mu.Lock()
		if is.waits[w.token] == w {
			w.done = append(w.done, fn)
			is.mu.Unlock()
			return
		}
		is.mu.Unlock()
	}
	fn()
}

// interestWaitOf returns the unacknowledged Add of (uri, match), nil
// when there is none.
func (r *Realm) interestWaitOf(uri string, match Match) *interestWait {
	if r.cluster == nil {
		return nil
	}
	is := &r.cluster.interest
	is.mu.Lock()
	defer is.mu.Unlock()
	if li := is.local[regKey{uri, match}]; li != nil {
		return li.wait
	}
	return nil
}

// interestAck counts peer's acknowledgement of the Add token; the last
// one runs the Add's waiting functions.
func (r *Realm) interestAck(peer string, token uint64) {
	is := &r.cluster.interest
	is.mu.Lock()
	w := is.waits[token]
	if w == nil {
		is.mu.Unlock()
		return
	}
	delete(w.peers, peer)
	done := is.settleLocked(w)
	is.mu.Unlock()
	for _, fn := range done {
		fn()
	}
}

// settleLocked ends w when no peer is left to acknowledge it, returning
// the functions to run (after is.mu is released).
func (is *interestState) settleLocked(w *interestWait) []func() {
	if len(w.peers) > 0 {
		return nil
	}
	delete(is.waits, w.token)
	for _, li := range is.local {
		if li.wait == w {
			li.wait = nil
			break
		}
	}
	done := w.done
	w.done = nil
	return done
}

// interestPeerDown stops waiting for peer's acknowledgements: its link
// is down, and until this node's state reached it again it relays
// everything to this node.
func (r *Realm) interestPeerDown(peer string) {
	is := &r.cluster.interest
	var done []func()
	is.mu.Lock()
	for _, w := range is.waits {
		if _, ok := w.peers[peer]; ok {
			delete(w.peers, peer)
			done = append(done, is.settleLocked(w)...)
		}
	}
	is.mu.Unlock()
	for _, fn := range done {
		fn()
	}
}

// interestPeerUp sends peer the realm's full interest state.
func (r *Realm) interestPeerUp(peer string) {
	is := &r.cluster.interest
	is.send.Lock()
	defer is.send.Unlock()
	is.mu.Lock()
	keys := make([]regKey, 0, len(is.local))
	for k := range is.local {
		keys = append(keys, k)
	}
	is.mu.Unlock()
	if r.send(peer, &ClusterMsg{Kind: ClusterInterestReset}) != nil {
		return
	}
	for _, k := range keys {
		if r.send(peer, &ClusterMsg{Kind: ClusterInterestAdd, URI: k.uri, Match: k.match}) != nil {
			return
		}
	}
	_ = r.send(peer, &ClusterMsg{Kind: ClusterInterestSynced})
}

// peersInterested reports whether a publication to topic would be
// relayed to some peer: the session meta events are built only then
// (or for a local subscriber).
func (r *Realm) peersInterested(topic string) bool {
	if r.cluster == nil {
		return r.router.relay != nil // another bus: it relays everything
	}
	return r.cluster.links.Interested(r.name, topic)
}

// SubscribeAsync is Subscribe, answering through done: at once on a
// single node, else once the subscription's interest is known to every
// up peer of the cluster (one link round trip when the subscription is
// new on this node), from the goroutine that got the last
// acknowledgement. Until then the session receives no event of the
// subscription: done runs while fan-outs of it wait, so nothing of it
// reaches the session before what done sends (v2's SUBSCRIBED). done
// must not block.
func (s *Session) SubscribeAsync(topic string, match Match, done func(sub *Subscription, err error)) {
	r := s.realm
	if r.cluster == nil {
		sub, _, err := s.Subscribe(topic, match)
		done(sub, err)
		return
	}
	mem, already, w, err := s.subscribe(topic, match, true)
	if err != nil {
		done(nil, err)
		return
	}
	if already {
		sub := mem.sub
		r.afterInterest(r.interestWaitOf(sub.uri, sub.match), func() { done(sub, nil) })
		return
	}
	r.afterInterest(w, func() {
		if !r.broker.release(mem, func() { done(mem.sub, nil) }) {
			done(mem.sub, nil) // the session left meanwhile
		}
	})
}
