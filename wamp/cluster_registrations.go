package wamp

import (
	"errors"
	"slices"
)

// Registrations across a cluster.
//
// Every node holds every registration of the cluster in its dealer: its
// own sessions as callees, the other nodes' callees as stand-in sessions
// (cluster_calls.go). A session's REGISTER that creates a registration
// (none of that URI and match exists here) is a proposal: the
// registration is made pending (it takes no calls) and every up peer is
// asked to consent (ClusterRegPropose). A peer refuses when it holds a
// registration of that URI and match that would not admit the new one
// (single, or another policy), or when an earlier conflicting proposal is
// pending there: earlier by (creation time, node name), which every node
// computes the same way, so of two nodes registering the same URI at the
// same moment exactly the earlier one wins. Once every vote is in, the
// session gets REGISTERED (or procedure_already_exists), and the
// registration is announced (ClusterRegAdd) and installed everywhere; the
// proposal is then closed (ClusterRegDone). Joining a registration that
// exists already (a shared one) needs no vote: it is announced at once.
// A node also refuses at once a REGISTER that conflicts with a peer's
// proposal it consented to, so that no node consents to two conflicting
// proposals without one of them being refused.

// errPeerLost fails a proposal whose peer's link dropped before it voted:
// the peer may have consented to a conflicting one.
var errPeerLost = &URIError{URI: ErrorProcedureAlreadyExists,
	Message: "a node of the cluster went away before it answered: register again"}

// proposal is a registration of this node waiting for its peers' votes.
type proposal struct {
	token   uint64
	key     regKey
	invoke  InvokePolicy
	stamp   int64               // the registration's creation time, unix ns
	reg     *Registration       // set by dealer.add
	waiters []waiter            // the sessions waiting on it; guarded by dealer.mu
	waiting map[string]struct{} // peers yet to vote; guarded by clusterState.mu
	err     error               // the first refusal; guarded by clusterState.mu
}

// waiter is a session's REGISTER waiting on a proposal: done gets the
// outcome; created tells the session whose REGISTER made the proposal.
type waiter struct {
	done    func(reg *Registration, created bool, err error)
	created bool
}

// marker is a peer's proposal this node consented to, until the peer
// closes it or goes down.
type marker struct {
	peer   string
	token  uint64
	stamp  int64
	invoke InvokePolicy
}

// deferredAdd is a peer's announced registration that conflicts with a
// pending one here: it is installed if the pending one fails.
type deferredAdd struct {
	peer string
	m    ClusterMsg
}

// earlier orders two proposals: by creation time, then node name.
func earlier(stampA int64, nodeA string, stampB int64, nodeB string) bool {
	if stampA != stampB {
		return stampA < stampB
	}
	return nodeA < nodeB
}

// admits reports whether a registration of policy a admits a callee of
// policy b: both shared with the same policy.
func admits(a, b InvokePolicy) bool { return a != InvokeSingle && a == b }

// addClustered is dealer.add for a session in a cluster: a new
// registration becomes a proposal to the up peers (done runs when they
// voted), unless no peer is up; a registration that conflicts with a
// peer's proposal this node consented to is refused.
func (r *Realm) addClustered(uri string, opts RegisterOptions, s *Session, done func(*Registration, bool, error)) (reg *Registration, created, waits bool, err error) {
	c := r.cluster
	key := regKey{uri, opts.Match}
	c.mu.Lock()
	for _, mk := range c.markers[key] {
		if !admits(mk.invoke, opts.Invoke) {
			c.mu.Unlock()
			return nil, false, false, ErrProcedureAlreadyExists
		}
	}
	peers := c.links.UpPeers(nil)
	var p *proposal
	if len(peers) > 0 {
		c.nextToken++
		p = &proposal{token: c.nextToken, key: key, invoke: opts.Invoke, waiting: make(map[string]struct{})}
	}
	reg, created, waits, err = r.dealer.add(uri, opts, s, nil, p, done)
	if err != nil || !created || p == nil {
		c.mu.Unlock()
		return reg, created, waits, err
	}
	for _, peer := range peers {
		p.waiting[peer] = struct{}{}
	}
	c.proposals[p.token] = p
	c.mu.Unlock()
	m := ClusterMsg{Kind: ClusterRegPropose, URI: uri, Match: opts.Match, Invoke: opts.Invoke, Stamp: p.stamp, Token: p.token}
	for _, peer := range peers {
		if r.send(peer, &m) != nil { // down already: it resyncs when it comes back
			r.vote(p.token, peer, nil)
		}
	}
	return reg, created, waits, nil
}

// peerProposal answers a peer's proposal: consent unless a registration
// here, or an earlier pending proposal, conflicts with it.
func (r *Realm) peerProposal(peer string, m *ClusterMsg) {
	c := r.cluster
	key := regKey{m.URI, m.Match}
	ok := true
	c.mu.Lock()
	r.dealer.mu.RLock()
	if reg := r.dealer.find(m.URI, m.Match); reg != nil && !compatible(reg, m.Invoke, nil) {
		// Refuse, unless the registration here is a pending proposal of
		// this node's that the peer's precedes.
		ok = reg.pending != nil && earlier(m.Stamp, peer, reg.pending.stamp, c.links.Node())
	}
	r.dealer.mu.RUnlock()
	for _, mk := range c.markers[key] {
		if ok && mk.peer != peer && !admits(mk.invoke, m.Invoke) && earlier(mk.stamp, mk.peer, m.Stamp, peer) {
			ok = false
		}
	}
	if ok {
		c.markers[key] = append(c.markers[key], marker{peer: peer, token: m.Token, stamp: m.Stamp, invoke: m.Invoke})
	}
	c.mu.Unlock()
	_ = r.send(peer, &ClusterMsg{Kind: ClusterRegVote, Token: m.Token, OK: ok})
}

// peerVote counts a peer's vote on a proposal of this node's.
func (r *Realm) peerVote(peer string, m *ClusterMsg) {
	var err error
	if !m.OK {
		err = ErrProcedureAlreadyExists
	}
	r.vote(m.Token, peer, err)
}

// vote records peer's answer to proposal token (err nil: consent) and
// decides the proposal once every peer answered.
func (r *Realm) vote(token uint64, peer string, err error) {
	c := r.cluster
	c.mu.Lock()
	p := c.proposals[token]
	if p == nil {
		c.mu.Unlock()
		return
	}
	if _, ok := p.waiting[peer]; !ok {
		c.mu.Unlock()
		return
	}
	delete(p.waiting, peer)
	if err != nil && p.err == nil {
		p.err = err
	}
	last := len(p.waiting) == 0
	if last {
		delete(c.proposals, token)
	}
	c.mu.Unlock()
	if last {
		r.decide(p)
	}
}

// decide ends proposal p: the registration takes calls, or, refused,
// goes; the waiting sessions get their answers (and announce their
// registrations), then the peers forget the proposal. Peers' registrations
// that waited for a refused one are installed.
func (r *Realm) decide(p *proposal) {
	d := &r.dealer
	d.mu.Lock()
	p.reg.pending = nil
	waiters := p.waiters
	p.waiters = nil
	if p.err != nil && d.find(p.reg.uri, p.reg.match) == p.reg {
		d.unindex(p.reg)
		p.reg.callees = nil
	}
	d.mu.Unlock()
	for _, w := range waiters {
		w.done(p.reg, w.created, p.err)
	}
	r.broadcast(&ClusterMsg{Kind: ClusterRegDone, Token: p.token})
	if p.err != nil {
		c := r.cluster
		c.mu.Lock()
		adds := c.deferred[p.key]
		delete(c.deferred, p.key)
		c.mu.Unlock()
		for _, a := range adds {
			r.peerRegAdd(a.peer, &a.m)
		}
	}
}

// peerDone forgets a peer's proposal: it was decided.
func (r *Realm) peerDone(peer string, token uint64) {
	c := r.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, mks := range c.markers {
		mks = slices.DeleteFunc(mks, func(mk marker) bool { return mk.peer == peer && mk.token == token })
		if len(mks) == 0 {
			delete(c.markers, key)
		} else {
			c.markers[key] = mks
		}
	}
}

// announceAdd tells the up peers that s is a callee of reg.
func (r *Realm) announceAdd(reg *Registration, s *Session, discloseCaller bool) {
	if r.cluster == nil {
		return
	}
	r.broadcast(&ClusterMsg{Kind: ClusterRegAdd, URI: reg.uri, Match: reg.match, Invoke: reg.invoke,
		DiscloseCaller: discloseCaller, Session: s.id})
}

// announceRemove tells the up peers that s left reg.
func (r *Realm) announceRemove(reg *Registration, s *Session) {
	if r.cluster == nil || s.calls.peer != "" {
		return
	}
	r.broadcast(&ClusterMsg{Kind: ClusterRegRemove, URI: reg.uri, Match: reg.match, Session: s.id})
}

// peerRegAdd installs a peer's callee: its stand-in joins the
// registration (made when none exists), published to this node's
// listeners (wamp.registration.on_create, on_register) with the callee's
// session id and this node's registration id. A registration that conflicts
// with a pending one here waits for its proposal's outcome; one that
// conflicts with a decided one (two owners, after a partition healed) is
// ignored, logged and counted: the registration here is kept.
func (r *Realm) peerRegAdd(peer string, m *ClusterMsg) {
	c := r.cluster
	proxy := r.standIn(peer, m.Session)
	opts := RegisterOptions{Match: m.Match, Invoke: m.Invoke, DiscloseCaller: m.DiscloseCaller}
	c.mu.Lock()
	reg, created, _, err := r.dealer.add(m.URI, opts, proxy, nil, nil, nil)
	if errors.Is(err, ErrProcedureAlreadyExists) {
		r.dealer.mu.RLock()
		existing := r.dealer.find(m.URI, m.Match)
		mine := existing != nil && existing.index(proxy) >= 0
		pending := existing != nil && existing.pending != nil
		r.dealer.mu.RUnlock()
		switch {
		case mine:
		case pending:
			key := regKey{m.URI, m.Match}
			c.deferred[key] = append(c.deferred[key], deferredAdd{peer: peer, m: *m})
		default:
			c.conflicts++
			r.router.log.Warn("cluster: a peer's registration conflicts with one here: kept the one here",
				"peer", peer, "realm", r.name, "procedure", m.URI, "match", m.Match, "invoke", m.Invoke)
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if err != nil {
		return
	}
	if !proxy.calls.keep(reg) { // the peer went down meanwhile
		r.dealer.remove(reg, proxy)
		return
	}
	r.registrationJoined(proxy, reg, created)
}

// peerRegRemove takes a peer's callee off a registration (published:
// on_unregister, on_delete).
func (r *Realm) peerRegRemove(peer string, m *ClusterMsg) {
	c := r.cluster
	c.mu.Lock()
	proxy := c.proxies[peer][m.Session]
	c.mu.Unlock()
	if proxy == nil {
		return
	}
	t := proxy.calls
	var reg *Registration
	t.mu.Lock()
	for i, rg := range t.regs {
		if rg.uri == m.URI && rg.match == m.Match {
			reg = rg
			t.regs = slices.Delete(t.regs, i, i+1)
			break
		}
	}
	t.mu.Unlock()
	if reg != nil {
		if removed, deleted := r.dealer.remove(reg, proxy); removed {
			r.registrationLeft(proxy, reg, deleted)
		}
		r.dropIdle(peer, proxy)
	}
}

// peerUp announces every registration of this node's sessions to peer.
func (r *Realm) peerUp(peer string) {
	type entry struct {
		reg *Registration
		c   callee
	}
	var entries []entry
	d := &r.dealer
	d.mu.RLock()
	for _, m := range []map[string]*Registration{d.exact, d.prefix, d.wildcard} {
		for _, reg := range m {
			if reg.pending != nil || reg.fn != nil {
				continue // a pending one is announced when decided
			}
			for _, c := range reg.callees {
				if c.sess.calls.peer == "" {
					entries = append(entries, entry{reg, c})
				}
			}
		}
	}
	d.mu.RUnlock()
	for _, e := range entries {
		_ = r.send(peer, &ClusterMsg{Kind: ClusterRegAdd, URI: e.reg.uri, Match: e.reg.match, Invoke: e.reg.invoke,
			DiscloseCaller: e.c.discloseCaller, Session: e.c.sess.id})
	}
}
