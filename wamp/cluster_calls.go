package wamp

import (
	"fmt"
	"math"
)

// Calls across a cluster.
//
// A callee on another node is, in this node's dealer, a stand-in session
// (standIn): it has the callee's session id and a dealer table like a
// local callee's, and its Callee sends the INVOCATION to the callee's
// node (ClusterCall) and the INTERRUPT (ClusterInterrupt). So a call
// from here to there is an ordinary invocation on the caller's side: its
// timeout runs here, where the call entered, and CANCEL, the caller
// leaving and the callee's answers (ClusterResult, ClusterError, applied
// to the stand-in like a local callee's YIELD and ERROR) work as for a
// local callee. On the callee's node, the calls of one peer's callers
// are invocations of one stand-in caller session per peer (callerFor),
// answered through a peerReplier that sends the result back.
//
// When a peer's link drops, both sides end what they share: the stand-in
// callees go (their registrations with them) and their calls end with
// wamp.error.canceled; the stand-in caller goes and the calls its peer
// made here end, their callees getting INTERRUPT (killnowait).

// peerCallerCalls bounds the calls a peer's callers have in flight here:
// each caller is bounded on its own node already.
const peerCallerCalls = math.MaxInt32

// standIn returns the stand-in session of peer's callee sess, making it
// on first use.
func (r *Realm) standIn(peer string, sess ID) *Session {
	c := r.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.proxies[peer]
	if m == nil {
		m = make(map[ID]*Session)
		c.proxies[peer] = m
	}
	s := m[sess]
	if s == nil {
		s = &Session{id: sess, realm: r, auth: anonymous}
		s.calls = &sessionCalls{peer: peer, canceling: true,
			callee: &peerCallee{realm: r, peer: peer, sess: sess}}
		s.state.Store(sessionJoined)
		m[sess] = s
	}
	return s
}

// dropIdle forgets stand-in s when it has no registration and no call in
// flight left.
func (r *Realm) dropIdle(peer string, s *Session) {
	c := r.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	s.calls.mu.Lock()
	idle := len(s.calls.regs) == 0 && len(s.calls.invocations) == 0
	s.calls.mu.Unlock()
	if idle && c.proxies[peer][s.id] == s {
		delete(c.proxies[peer], s.id)
	}
}

// callerFor returns the stand-in session of peer's callers, making it on
// first use.
func (r *Realm) callerFor(peer string) *Session {
	c := r.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.callers[peer]
	if s == nil {
		s = &Session{realm: r, auth: anonymous, calls: &sessionCalls{peer: peer}}
		s.state.Store(sessionJoined)
		c.callers[peer] = s
	}
	return s
}

// peerCallee is the Callee of a stand-in: it forwards INVOCATION and
// INTERRUPT to the callee's node.
type peerCallee struct {
	realm *Realm
	peer  string
	sess  ID
}

// Invoke implements Callee: the call goes to the callee's node. A link
// that is down, or a payload too large for it, fails the call.
func (p *peerCallee) Invoke(inv *Invocation) error {
	err := p.realm.send(p.peer, &ClusterMsg{Kind: ClusterCall, Session: p.sess, Invocation: inv.ID,
		Procedure: inv.procedure, Caller: inv.Caller, CallerAuthID: inv.CallerAuthID, CallerAuthRole: inv.CallerAuthRole,
		ReceiveProgress: inv.ReceiveProgress, Args: inv.Args, Kwargs: inv.Kwargs})
	if err != nil {
		return &URIError{URI: ErrorCanceled, Message: fmt.Sprintf("the callee's node %s: %v", p.peer, err)}
	}
	return nil
}

// Interrupt implements Callee: the callee's node cancels the call.
func (p *peerCallee) Interrupt(id ID, mode CancelMode, reason string) {
	_ = p.realm.send(p.peer, &ClusterMsg{Kind: ClusterInterrupt, Session: p.sess, Invocation: id, Mode: mode, Error: reason})
}

// peerReplier sends a callee's answers to a call from another node back
// to that node.
type peerReplier struct {
	realm  *Realm
	peer   string
	callee ID
	inv    ID // the caller node's id for the call
}

// ReplyResult implements Replier.
func (p *peerReplier) ReplyResult(args, kwargs Payload, progress bool) {
	_ = p.realm.send(p.peer, &ClusterMsg{Kind: ClusterResult, Session: p.callee, Invocation: p.inv,
		Progress: progress, Args: args, Kwargs: kwargs})
}

// ReplyError implements Replier.
func (p *peerReplier) ReplyError(uri string, args, kwargs Payload) {
	_ = p.realm.send(p.peer, &ClusterMsg{Kind: ClusterError, Session: p.callee, Invocation: p.inv,
		Error: uri, Args: args, Kwargs: kwargs})
}

// peerCall serves a call a peer's caller made to a callee session here:
// an INVOCATION, unless the session is gone or no longer a callee of the
// registration the call matches here (then no_such_procedure).
func (r *Realm) peerCall(peer string, m *ClusterMsg) {
	rep := &peerReplier{realm: r, peer: peer, callee: m.Session, inv: m.Invocation}
	refuse := func(uri, why string) { rep.ReplyError(uri, errorArgs(why), Payload{}) }
	s := r.Session(m.Session)
	var reg *Registration
	if s != nil && s.calls != nil {
		r.dealer.mu.RLock()
		if reg = r.dealer.match(m.Procedure); reg != nil && (reg.fn != nil || reg.index(s) < 0) {
			reg = nil
		}
		r.dealer.mu.RUnlock()
	}
	if reg == nil {
		refuse(ErrorNoSuchProcedure, "the callee is no longer registered for "+m.Procedure)
		return
	}
	call := &Call{Procedure: m.Procedure, Request: m.Invocation, ReceiveProgress: m.ReceiveProgress, replier: rep}
	caller := r.callerFor(peer)
	inv := &invocation{call: call, caller: caller, callee: s}
	inv.Registration = reg.id
	if reg.match != MatchExact {
		inv.Procedure = m.Procedure
	}
	inv.Caller, inv.CallerAuthID, inv.CallerAuthRole = m.Caller, m.CallerAuthID, m.CallerAuthRole
	inv.ReceiveProgress = m.ReceiveProgress
	inv.procedure = m.Procedure
	inv.Args, inv.Kwargs = m.Args, m.Kwargs
	if !caller.calls.addCall(inv, peerCallerCalls) {
		refuse(ErrorCanceled, "the caller's node went away")
		return
	}
	inFlight := &r.dealer.inFlight
	inFlight.Add(1)
	if uri, why := s.calls.addInvocation(inv, r.router.maxCalls); uri != "" {
		inFlight.Add(-1)
		caller.calls.dropCall(inv)
		refuse(uri, why)
		return
	}
	err := inv.c.Invoke(&inv.Invocation)
	inv.Args, inv.Kwargs = Payload{}, Payload{}
	if err != nil && inv.end() {
		rep.ReplyError(ErrorInvalidArgument, errorArgs(err.Error()), Payload{})
	}
}

// peerInterrupt applies the caller node's cancel (or timeout) to a call
// from that node: kill interrupts the callee and waits for its answer;
// killnowait ends the call and interrupts the callee with the reason.
func (r *Realm) peerInterrupt(peer string, m *ClusterMsg) {
	c := r.cluster
	c.mu.Lock()
	caller := c.callers[peer]
	c.mu.Unlock()
	if caller == nil {
		return
	}
	var inv *invocation
	t := caller.calls
	t.mu.Lock()
	for _, in := range t.calls {
		if in.call.Request == m.Invocation && in.callee.id == m.Session {
			inv = in
			break
		}
	}
	t.mu.Unlock()
	switch {
	case inv == nil:
	case m.Mode == CancelKill:
		inv.cancel(CancelKill)
	case inv.end():
		inv.interrupt(CancelKillNoWait, m.Error)
	}
}

// peerAnswer applies a callee's answer from another node to the call
// waiting for it here, through the callee's stand-in.
func (r *Realm) peerAnswer(peer string, m *ClusterMsg) {
	c := r.cluster
	c.mu.Lock()
	s := c.proxies[peer][m.Session]
	c.mu.Unlock()
	if s == nil {
		return
	}
	if m.Kind == ClusterResult {
		s.Yield(m.Invocation, m.Args, m.Kwargs, m.Progress)
	} else {
		s.InvocationError(m.Invocation, m.Error, m.Args, m.Kwargs)
	}
	if !m.Progress {
		r.dropIdle(peer, s)
	}
}

// peerDown ends everything this realm shares with peer: its stand-in
// callees leave their registrations and their calls end with
// wamp.error.canceled; the calls its callers made here end, their
// callees interrupted; proposals waiting for its vote fail; its
// proposals and deferred registrations are forgotten.
func (r *Realm) peerDown(peer string) {
	c := r.cluster
	c.mu.Lock()
	proxies := c.proxies[peer]
	delete(c.proxies, peer)
	caller := c.callers[peer]
	delete(c.callers, peer)
	for key, mks := range c.markers {
		kept := mks[:0]
		for _, mk := range mks {
			if mk.peer != peer {
				kept = append(kept, mk)
			}
		}
		if len(kept) == 0 {
			delete(c.markers, key)
		} else {
			c.markers[key] = kept
		}
	}
	for key, adds := range c.deferred {
		kept := adds[:0]
		for _, a := range adds {
			if a.peer != peer {
				kept = append(kept, a)
			}
		}
		if len(kept) == 0 {
			delete(c.deferred, key)
		} else {
			c.deferred[key] = kept
		}
	}
	var decided []*proposal
	for token, p := range c.proposals {
		if _, ok := p.waiting[peer]; !ok {
			continue
		}
		delete(p.waiting, peer)
		if p.err == nil {
			p.err = errPeerLost
		}
		if len(p.waiting) == 0 {
			delete(c.proposals, token)
			decided = append(decided, p)
		}
	}
	c.mu.Unlock()
	why := errorArgs("the callee's node " + peer + " is unreachable")
	for _, s := range proxies {
		t := s.calls
		t.mu.Lock()
		regs, invs := t.regs, t.invocations
		t.regs, t.invocations, t.left = nil, nil, true
		t.mu.Unlock()
		for _, reg := range regs {
			if removed, deleted := r.dealer.remove(reg, s); removed {
				r.registrationLeft(s, reg, deleted)
			}
		}
		for _, inv := range inOrder(invs) {
			if inv.end() {
				inv.call.replier.ReplyError(ErrorCanceled, why, Payload{})
			}
		}
	}
	if caller != nil {
		t := caller.calls
		t.mu.Lock()
		calls := t.calls
		t.calls, t.left = nil, true
		t.mu.Unlock()
		for _, inv := range inOrder(calls) {
			if inv.end() {
				inv.interrupt(CancelKillNoWait, ErrorCanceled)
			}
		}
	}
	for _, p := range decided {
		r.decide(p)
	}
}
