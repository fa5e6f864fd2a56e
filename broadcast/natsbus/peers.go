package natsbus

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/wamp"
)

// Peers. Every node publishes a heartbeat on the presence subject each
// Config.Heartbeat; a node it has heard within Config.PeerTimeout is
// alive. Two live nodes open a pair session, as a mesh link comes up:
// the node whose name sorts first sends hello with a random half, the
// other answers welcome with its own half and is up; the first is up
// when the welcome arrives. Each then hands the router the peer
// (ClusterPeerUp: its registrations and interest state go to the peer)
// and sends control messages on the peer's subject, numbered from 1 and
// marked with both halves. A pair session ends — the router forgets the
// peer (ClusterPeerDown: its registrations go, calls through it fail) —
// when the peer falls silent, says goodbye, restarts (another boot id),
// when a control message from it is missing (its number skipped: lost
// in a disconnection or by a slow consumer), or when this node's NATS
// connection drops. The side that ended it then opens a new one (hello)
// or asks the other to (reset), and both resynchronize, as a mesh link
// does when it reconnects.

// peer is another node of the cluster.
type peer struct {
	name    string
	subject string
	lower   bool // this node's name sorts first: it sends hello

	mu       sync.Mutex // Send's side: the pair session
	up       bool
	myHalf   uint64
	peerHalf uint64
	txSeq    uint64
	since    time.Time
	lastErr  string

	// loop only
	boot        uint64
	slot        uint64
	lastSeen    time.Time
	rxSeq       uint64
	lastAttempt time.Time
	conflict    bool
	left        bool // said goodbye (boot)

	connects atomic.Uint64
	sent     atomic.Uint64
	received atomic.Uint64
	lost     atomic.Uint64
}

// peerFor returns the peer named name, adding it (loop only).
func (b *Bus) peerFor(name string) *peer {
	b.peersMu.RLock()
	p := b.peers[name]
	b.peersMu.RUnlock()
	if p != nil {
		return p
	}
	p = &peer{name: name, subject: b.subj.node(name), lower: b.cfg.Node < name, since: time.Now()}
	b.peersMu.Lock()
	b.peers[name] = p
	b.order = append(b.order, p)
	b.peersMu.Unlock()
	return p
}

// loop handles everything received, the connection's changes and the
// heartbeat timer, one at a time: the pair sessions' state is its own.
func (b *Bus) loop() {
	defer b.wg.Done()
	tick := time.NewTicker(b.cfg.Heartbeat)
	defer tick.Stop()
	b.heartbeat()
	for {
		select {
		case <-b.done:
			return
		case m := <-b.in:
			b.receive(m)
		case ev := <-b.events:
			if ev == evDisconnected {
				b.allDown("NATS connection lost")
			} else {
				b.heartbeat()
			}
		case <-tick.C:
			b.heartbeat()
			b.checkPeers(time.Now())
		}
	}
}

// heartbeat announces this node.
func (b *Bus) heartbeat() {
	b.out.push(outMsg{subject: b.subj.presence(),
		data: appendHeader(nil, header{kind: kindHeartbeat, node: b.cfg.Node, boot: b.boot, slot: uint64(b.cfg.Slot)})})
}

// checkPeers ends the sessions of silent peers, opens sessions with live
// ones, and forgets peers long gone.
func (b *Bus) checkPeers(now time.Time) {
	var gone []string
	b.peersMu.RLock()
	peers := append([]*peer(nil), b.order...)
	b.peersMu.RUnlock()
	for _, p := range peers {
		silent := now.Sub(p.lastSeen)
		switch {
		case p.isUp() && silent > b.cfg.PeerTimeout:
			b.down(p, fmt.Sprintf("silent for %s", silent.Round(time.Millisecond)))
		case !p.isUp() && silent <= b.cfg.PeerTimeout && !p.left:
			b.open(p, now)
		case !p.isUp() && silent > 10*b.cfg.PeerTimeout:
			gone = append(gone, p.name)
		}
	}
	for boot, ps := range b.pubSeen {
		if now.Sub(ps.seen) > 10*b.cfg.PeerTimeout {
			delete(b.pubSeen, boot)
		}
	}
	if len(gone) > 0 {
		b.peersMu.Lock()
		for _, name := range gone {
			delete(b.peers, name)
		}
		order := b.order[:0]
		for _, p := range b.order {
			if b.peers[p.name] == p {
				order = append(order, p)
			}
		}
		clear(b.order[len(order):])
		b.order = order
		b.peersMu.Unlock()
	}
}

func (p *peer) isUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up
}

// open asks for a pair session with p, at most once a heartbeat: hello
// from the node whose name sorts first, reset from the other (the first
// may still think the old session is up).
func (b *Bus) open(p *peer, now time.Time) {
	if p.conflict || now.Sub(p.lastAttempt) < b.cfg.Heartbeat {
		return
	}
	p.lastAttempt = now
	h := header{node: b.cfg.Node, boot: b.boot}
	p.mu.Lock()
	if p.lower {
		p.myHalf = rand.Uint64() | 1
		h.kind, h.half = kindHello, p.myHalf
	} else {
		h.kind, h.yourHalf = kindReset, p.peerHalf
	}
	p.mu.Unlock()
	b.out.push(outMsg{subject: p.subject, data: appendHeader(nil, h)})
}

// receive handles one message from NATS.
func (b *Bus) receive(m *nats.Msg) {
	h, rest, err := parseHeader(m.Data)
	if err != nil {
		b.malformed.Add(1)
		if b.errLog.allow(time.Second) {
			b.log.Warn("nats bus: malformed message", "subject", m.Subject, "err", err)
		}
		return
	}
	if h.node == b.cfg.Node { // NoEcho: another process has this node's name
		b.conflicts.Add(1)
		if b.errLog.allow(10 * time.Second) {
			b.log.Error("nats bus: another node uses this node's name: give each node its own --node", "node", h.node)
		}
		return
	}
	if h.kind == kindPublication {
		b.receivePublication(h, rest)
		return
	}
	p := b.peerFor(h.node)
	now := time.Now()
	if p.boot != h.boot { // a new process under that name
		if p.isUp() {
			b.down(p, "restarted")
		}
		p.boot, p.left, p.conflict, p.lastAttempt = h.boot, false, false, time.Time{}
	}
	if p.left {
		return
	}
	p.lastSeen = now
	switch h.kind {
	case kindHeartbeat:
		p.slot = h.slot
		if h.slot == uint64(b.cfg.Slot) && !p.conflict {
			p.conflict = true
			b.conflicts.Add(1)
			b.log.Error("nats bus: another node has this node's session id slot: not joining it (give each node its own --node-slot)",
				"peer", p.name, "slot", h.slot)
		}
		if !p.isUp() {
			b.open(p, now)
		}
	case kindGoodbye:
		p.left = true
		b.down(p, "left")
	case kindHello:
		b.hello(p, h)
	case kindWelcome:
		b.welcome(p, h)
	case kindReset:
		b.reset(p, h, now)
	case kindControl:
		b.receiveControl(p, h, rest)
	}
}

// hello opens a session the peer asked for (this node sorts second).
func (b *Bus) hello(p *peer, h header) {
	if p.lower || p.conflict {
		return
	}
	if p.isUp() {
		b.down(p, "peer opened a new session")
	}
	p.mu.Lock()
	p.up, p.peerHalf, p.myHalf, p.txSeq = true, h.half, rand.Uint64()|1, 0
	p.since, p.lastErr = time.Now(), ""
	// The welcome goes first: Send queues after it, under p.mu.
	b.out.push(outMsg{subject: p.subject, data: appendHeader(nil,
		header{kind: kindWelcome, node: b.cfg.Node, boot: b.boot, half: p.myHalf, yourHalf: h.half})})
	p.mu.Unlock()
	b.peerUp(p)
}

// welcome completes the session this node opened.
func (b *Bus) welcome(p *peer, h header) {
	p.mu.Lock()
	if !p.lower || p.up || p.conflict || h.yourHalf != p.myHalf {
		p.mu.Unlock()
		return
	}
	p.up, p.peerHalf, p.txSeq = true, h.half, 0
	p.since, p.lastErr = time.Now(), ""
	p.mu.Unlock()
	b.peerUp(p)
}

// reset ends the session the peer dropped, and opens another.
func (b *Bus) reset(p *peer, h header, now time.Time) {
	if !p.lower {
		return
	}
	p.mu.Lock()
	current := p.up && h.yourHalf == p.myHalf
	p.mu.Unlock()
	if current {
		b.down(p, "peer ended the session")
		p.lastAttempt = time.Time{}
	}
	if !p.isUp() {
		b.open(p, now)
	}
}

// peerUp hands the new session to the router; once the router has sent
// the peer its state (which told the bus this node's interest), the
// catch-all subscription goes.
func (b *Bus) peerUp(p *peer) {
	p.rxSeq = 0
	p.connects.Add(1)
	b.log.Info("cluster: nats peer up", "peer", p.name)
	b.control.ClusterPeerUp(p.name)
	b.setCatchAll(false)
}

// down ends p's session: the router forgets it.
func (b *Bus) down(p *peer, reason string) {
	p.mu.Lock()
	wasUp := p.up
	p.up = false
	if wasUp {
		p.since, p.lastErr = time.Now(), reason
	}
	p.mu.Unlock()
	if !wasUp {
		return
	}
	if len(b.UpPeers(nil)) == 0 {
		b.setCatchAll(true) // the router stops describing its interest to anyone
	}
	b.log.Info("cluster: nats peer down", "peer", p.name, "reason", reason)
	b.control.ClusterPeerDown(p.name)
}

// allDown ends every session: this node's NATS connection dropped.
func (b *Bus) allDown(reason string) {
	b.peersMu.RLock()
	peers := append([]*peer(nil), b.order...)
	b.peersMu.RUnlock()
	for _, p := range peers {
		b.down(p, reason)
		p.lastAttempt = time.Time{}
	}
}

// receiveControl hands a control message of the current session to the
// router; a gap ends the session.
func (b *Bus) receiveControl(p *peer, h header, rec []byte) {
	p.mu.Lock()
	current := p.up && h.half == p.peerHalf && h.yourHalf == p.myHalf
	p.mu.Unlock()
	if !current {
		return // an earlier session's
	}
	if h.seq != p.rxSeq+1 {
		if h.seq > p.rxSeq {
			p.lost.Add(h.seq - p.rxSeq - 1)
		}
		b.controlGaps.Add(1)
		b.down(p, fmt.Sprintf("control messages lost (got %d, want %d)", h.seq, p.rxSeq+1))
		p.lastAttempt = time.Time{}
		b.open(p, time.Now())
		return
	}
	p.rxSeq = h.seq
	m, err := broadcast.DecodeControl(rec)
	if err != nil {
		b.malformed.Add(1)
		b.down(p, fmt.Sprintf("malformed control message: %v", err))
		return
	}
	b.control.ClusterReceive(p.name, m)
}

// receivePublication delivers another node's publication once: in
// increasing seq per sender (overlapping subscriptions bring copies).
func (b *Bus) receivePublication(h header, rec []byte) {
	ps := b.pubSeen[h.boot]
	if ps == nil {
		ps = &pubState{}
		b.pubSeen[h.boot] = ps
	}
	ps.seen = time.Now()
	if h.seq <= ps.seq {
		b.duplicates.Add(1)
		return
	}
	ps.seq = h.seq
	pub, err := broadcast.DecodePublication(rec)
	if err != nil {
		b.malformed.Add(1)
		if b.errLog.allow(time.Second) {
			b.log.Warn("nats bus: malformed publication", "from", h.node, "err", err)
		}
		return
	}
	b.delivered.Add(1)
	b.peersMu.RLock()
	if p := b.peers[h.node]; p != nil {
		p.received.Add(1)
	}
	b.peersMu.RUnlock()
	b.deliver(pub)
}

// Node implements wamp.ClusterLinks.
func (b *Bus) Node() string { return b.cfg.Node }

// UpPeers implements wamp.ClusterLinks: the peers with a session.
func (b *Bus) UpPeers(dst []string) []string {
	b.peersMu.RLock()
	defer b.peersMu.RUnlock()
	for _, p := range b.order {
		if p.isUp() {
			dst = append(dst, p.name)
		}
	}
	return dst
}

// Interested implements wamp.ClusterLinks: always, since the NATS server
// knows the other nodes' subscriptions and this node does not.
func (b *Bus) Interested(string, string) bool { return true }

// Send implements wamp.ClusterLinks. Interest records describe this
// node's subscriptions: the bus applies them to its NATS subscriptions
// (interest.go). Everything else goes on the peer's subject, after what
// was sent to it before.
func (b *Bus) Send(peerName string, m *wamp.ClusterMsg) error {
	b.peersMu.RLock()
	p := b.peers[peerName]
	b.peersMu.RUnlock()
	if p == nil {
		return fmt.Errorf("peer %s: unknown", peerName)
	}
	if m.Kind.Interest() {
		if !p.isUp() {
			return fmt.Errorf("peer %s: %w", peerName, errPeerDown)
		}
		b.applyInterest(peerName, m)
		return nil
	}
	rec := broadcast.EncodeControl(m)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.up {
		return fmt.Errorf("peer %s: %w", peerName, errPeerDown)
	}
	data := appendHeader(make([]byte, 0, 64+len(rec)), header{kind: kindControl, node: b.cfg.Node, boot: b.boot,
		half: p.myHalf, yourHalf: p.peerHalf, seq: p.txSeq + 1})
	data = append(data, rec...)
	if limit := b.nc.MaxPayload(); limit > 0 && int64(len(data)) > limit {
		return fmt.Errorf("peer %s: control message of %d bytes exceeds the NATS server's max_payload %d", peerName, len(data), limit)
	}
	if !b.out.push(outMsg{subject: p.subject, data: data}) {
		return fmt.Errorf("peer %s: outgoing queue full", peerName)
	}
	p.txSeq++
	p.sent.Add(1)
	return nil
}
