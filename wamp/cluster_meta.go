package wamp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/wampgate/wampgate/wamp/value"
)

// The session meta procedures across a cluster.
//
// wamp.session.count, list and get answer for the whole cluster: the
// caller's node computes its own part, asks every up peer for theirs
// (ClusterMetaQuery, with the call's arguments in JSON; the peer answers
// ClusterMetaAnswer from its receiving goroutine), and combines the parts
// once every peer answered, went down, or metaQueryBound passed: counts
// add up, lists merge, get takes the node that has the session (and asks
// no peer when the session is on the caller's node). A node whose link is
// down, or that does not answer in time, is left out: its sessions are
// not counted, listed or found. A peer's error (other than
// no_such_session) is the answer, so that a part missing for a reason
// other than a link is never silently left out. The other meta procedures
// answer for their node (README, The meta API in a cluster).

// metaQueryBound bounds the wait for the peers' parts.
const metaQueryBound = 2 * time.Second

// errorNoSuchRealm answers a query for a realm the peer lacks: it has no
// session there, and its part is left out.
const errorNoSuchRealm = "wamp.error.no_such_realm"

// metaQueries is a realm's meta procedure calls waiting for the peers.
type metaQueries struct {
	mu      sync.Mutex
	next    uint64
	pending map[uint64]*metaQuery
}

// metaQuery is one call waiting for the peers' parts.
type metaQuery struct {
	token   uint64
	call    *Call
	combine func(parts []metaPart) metaPart
	peers   map[string]struct{} // yet to answer
	parts   []metaPart          // this node's first
	timer   *time.Timer
}

// metaPart is one node's part of an answer: a result's arguments or an
// error (URI and arguments), in JSON.
type metaPart struct {
	err  string
	args []byte
}

// partReplier captures what a meta procedure answers on this node.
type partReplier struct{ part metaPart }

// ReplyResult implements Replier.
func (p *partReplier) ReplyResult(args, _ Payload, _ bool) { p.part = metaPart{args: jsonCopy(args)} }

// ReplyError implements Replier.
func (p *partReplier) ReplyError(uri string, args, _ Payload) {
	p.part = metaPart{err: uri, args: jsonCopy(args)}
}

// jsonCopy returns p in JSON, in a buffer of its own (nil when absent or
// not convertible).
func jsonCopy(p Payload) []byte {
	raw, err := p.In(value.JSON)
	if err != nil {
		return nil
	}
	return bytes.Clone(raw)
}

// clusterMeta is a meta procedure answered for the whole cluster.
type clusterMeta struct {
	local   metaProcedure                   // this node's part
	combine func(parts []metaPart) metaPart // the answer from every part, this node's first
	enough  func(own metaPart) bool         // this node's part is the answer: ask no peer
}

// clusterMetaProcedures are the meta procedures answered cluster-wide.
var clusterMetaProcedures = map[string]*clusterMeta{
	"wamp.session.count": {local: metaSessionCount, combine: sumCounts},
	"wamp.session.list":  {local: metaSessionList, combine: mergeLists},
	"wamp.session.get": {local: metaSessionGet, combine: firstFound,
		enough: func(own metaPart) bool { return own.err == "" }},
}

// serve is the meta procedure: this node's part, then the peers'.
func (cm *clusterMeta) serve(r *Realm, caller *Session, call *Call) {
	own := localPart(r, caller, cm.local, call.Procedure, call.Args, call.Kwargs)
	c := r.cluster
	if c == nil || (own.err != "" && own.err != ErrorNoSuchSession) || (cm.enough != nil && cm.enough(own)) {
		answerPart(call, own)
		return
	}
	peers := c.links.UpPeers(nil)
	if len(peers) == 0 {
		answerPart(call, own)
		return
	}
	args, err := call.Args.In(value.JSON)
	if err != nil {
		answerPart(call, metaPart{err: ErrorInvalidArgument, args: errorArgs("the arguments have no JSON form").Raw})
		return
	}
	q := &metaQuery{call: call, combine: cm.combine, peers: make(map[string]struct{}, len(peers)), parts: []metaPart{own}}
	mq := &c.meta
	mq.mu.Lock()
	mq.next++
	q.token = mq.next
	for _, p := range peers {
		q.peers[p] = struct{}{}
	}
	mq.pending[q.token] = q
	q.timer = time.AfterFunc(metaQueryBound, func() { r.metaTimeout(q.token) })
	mq.mu.Unlock()
	m := ClusterMsg{Kind: ClusterMetaQuery, Token: q.token, Procedure: call.Procedure, Args: Payload{Raw: args, Format: value.JSON}}
	for _, p := range peers {
		if r.send(p, &m) != nil {
			r.metaPart(p, q.token, nil) // down already: left out
		}
	}
}

// localPart runs a meta procedure on this node and returns its answer.
func localPart(r *Realm, caller *Session, fn metaProcedure, procedure string, args, kwargs Payload) metaPart {
	rep := &partReplier{}
	fn(r, caller, &Call{Procedure: procedure, Args: args, Kwargs: kwargs, replier: rep})
	return rep.part
}

// answerPart answers call with part.
func answerPart(call *Call, part metaPart) {
	var args Payload
	if part.args != nil {
		args = Payload{Raw: part.args, Format: value.JSON}
	}
	if part.err != "" {
		_ = call.Raise(part.err, args, Payload{})
		return
	}
	_ = call.Yield(args, Payload{})
}

// peerMetaQuery answers a peer's query with this node's part.
func (r *Realm) peerMetaQuery(peer string, m *ClusterMsg) {
	answer := ClusterMsg{Kind: ClusterMetaAnswer, Token: m.Token}
	if cm := clusterMetaProcedures[m.Procedure]; cm == nil {
		answer.Error, answer.Args = ErrorNoSuchProcedure, errorArgs("no cluster-wide meta procedure "+m.Procedure)
	} else {
		part := localPart(r, nil, cm.local, m.Procedure, m.Args, Payload{})
		answer.Error, answer.Args = part.err, Payload{Raw: part.args, Format: value.JSON}
	}
	if err := r.send(peer, &answer); err != nil && answer.Error == "" {
		// Too large for the link: tell why rather than be left out.
		_ = r.send(peer, &ClusterMsg{Kind: ClusterMetaAnswer, Token: m.Token, Error: ErrorCanceled,
			Args: errorArgs(fmt.Sprintf("node %s: %v", r.cluster.links.Node(), err))})
	}
}

// peerMetaAnswer takes a peer's part.
func (r *Realm) peerMetaAnswer(peer string, m *ClusterMsg) {
	r.metaPart(peer, m.Token, &metaPart{err: m.Error, args: bytes.Clone(m.Args.Raw)})
}

// metaPart records peer's part of query token (nil: left out) and
// answers the call once no peer is left.
func (r *Realm) metaPart(peer string, token uint64, part *metaPart) {
	mq := &r.cluster.meta
	mq.mu.Lock()
	q := mq.pending[token]
	if q == nil {
		mq.mu.Unlock()
		return
	}
	if _, ok := q.peers[peer]; !ok {
		mq.mu.Unlock()
		return
	}
	delete(q.peers, peer)
	if part != nil {
		q.parts = append(q.parts, *part)
	}
	done := len(q.peers) == 0
	if done {
		delete(mq.pending, token)
	}
	mq.mu.Unlock()
	if done {
		q.finish()
	}
}

// metaTimeout answers query token with the parts it has.
func (r *Realm) metaTimeout(token uint64) {
	mq := &r.cluster.meta
	mq.mu.Lock()
	q := mq.pending[token]
	delete(mq.pending, token)
	mq.mu.Unlock()
	if q != nil {
		r.router.log.Warn("cluster: peers did not answer a meta procedure in time: answered without them",
			"realm", r.name, "procedure", q.call.Procedure, "bound", metaQueryBound, "peers", len(q.peers))
		q.finish()
	}
}

// metaPeerDown stops waiting for peer's parts.
func (r *Realm) metaPeerDown(peer string) {
	mq := &r.cluster.meta
	mq.mu.Lock()
	var tokens []uint64
	for t, q := range mq.pending {
		if _, ok := q.peers[peer]; ok {
			tokens = append(tokens, t)
		}
	}
	mq.mu.Unlock()
	for _, t := range tokens {
		r.metaPart(peer, t, nil)
	}
}

// finish answers the call: a peer's error, else the combined parts.
func (q *metaQuery) finish() {
	q.timer.Stop()
	for _, p := range q.parts[1:] {
		if p.err != "" && p.err != ErrorNoSuchSession && p.err != errorNoSuchRealm {
			answerPart(q.call, p)
			return
		}
	}
	answer := q.combine(q.parts)
	if answer.err == ErrorNoSuchSession {
		answer.args = bytes.Replace(answer.args, []byte(` on this node"`), []byte(` on any node of the cluster"`), 1)
	}
	answerPart(q.call, answer)
}

// sumCounts adds up wamp.session.count parts ([count] each).
func sumCounts(parts []metaPart) metaPart {
	var total uint64
	for _, p := range parts {
		var n []uint64
		if p.err == "" && json.Unmarshal(p.args, &n) == nil && len(n) == 1 {
			total += n[0]
		}
	}
	b, _ := json.Marshal([]uint64{total})
	return metaPart{args: b}
}

// mergeLists merges wamp.session.list parts ([[ids]] each), sorted.
func mergeLists(parts []metaPart) metaPart {
	all := []uint64{}
	for _, p := range parts {
		var l [][]uint64
		if p.err == "" && json.Unmarshal(p.args, &l) == nil && len(l) == 1 {
			all = append(all, l[0]...)
		}
	}
	slices.Sort(all)
	b, _ := json.Marshal([][]uint64{slices.Compact(all)})
	return metaPart{args: b}
}

// firstFound is the wamp.session.get part of the node that has the
// session, else this node's no_such_session.
func firstFound(parts []metaPart) metaPart {
	for _, p := range parts {
		if p.err == "" {
			return p
		}
	}
	return parts[0]
}
