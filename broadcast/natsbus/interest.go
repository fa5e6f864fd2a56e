package natsbus

import (
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wampgate/wampgate/wamp"
)

// Interest: a node subscribes in NATS to the subjects of the topics and
// patterns its local sessions subscribe to, so the NATS server sends it
// only those publications. The router describes its local interest as it
// does to the peers of a mesh: an Add for the first local subscriber of
// a (URI, match), a Remove for the last one leaving, and, whenever a peer
// comes up, the full state (Reset, an Add per entry, Synced). The bus
// takes these records from Send instead of sending them (they describe
// this node, whichever peer they are addressed to) and keeps one NATS
// subscription per subject, counted.
//
// The router sends nothing while no peer is up, so then the bus
// subscribes to every publication subject (the catch-all): a node alone
// still gets what a node it has not seen yet publishes. The first peer
// coming up brings the full state, and the catch-all goes.
//
// The subscribe race: an Add carrying a token waits for this peer's
// acknowledgement before the router answers SUBSCRIBED. The bus
// acknowledges it for the peer once the NATS server confirmed the
// subscription (a flush: a PING after the SUB, answered by a PONG), so
// a publication made after SUBSCRIBED by a node on the same NATS server
// reaches the subscriber. On a NATS cluster of several servers the
// subscription reaches the other servers asynchronously, shortly after.

// ikey is one (URI, match) of a realm with local subscribers.
type ikey struct {
	realm, uri string
	match      wamp.Match
}

// subRef is one NATS subscription and the keys that need it.
type subRef struct {
	sub *nats.Subscription
	n   int
}

// pendingAck is an Add to acknowledge for a peer once flushed.
type pendingAck struct {
	peer, realm string
	token       uint64
}

// applyInterest applies an interest record the router addressed to peer.
func (b *Bus) applyInterest(peer string, m *wamp.ClusterMsg) {
	in := &b.interest
	in.mu.Lock()
	defer in.mu.Unlock()
	k := ikey{m.Realm, m.URI, m.Match}
	switch m.Kind {
	case wamp.ClusterInterestReset:
		in.sweep[m.Realm] = make(map[ikey]struct{})
	case wamp.ClusterInterestAdd:
		if s := in.sweep[m.Realm]; s != nil {
			s[k] = struct{}{}
		}
		if _, ok := in.keys[k]; !ok {
			in.keys[k] = struct{}{}
			for _, subj := range b.subj.patternSubjects(k.realm, k.uri, k.match) {
				b.subscribeLocked(subj)
			}
		}
		if m.Token != 0 {
			in.acks = append(in.acks, pendingAck{peer, m.Realm, m.Token})
			select {
			case in.ackReady <- struct{}{}:
			default:
			}
		}
	case wamp.ClusterInterestRemove:
		b.removeKeyLocked(k)
	case wamp.ClusterInterestSynced:
		seen := in.sweep[m.Realm]
		delete(in.sweep, m.Realm)
		if seen == nil {
			return
		}
		for k := range in.keys {
			if _, ok := seen[k]; !ok && k.realm == m.Realm {
				b.removeKeyLocked(k) // left while no peer was up to hear it
			}
		}
	}
}

// removeKeyLocked drops k and the subscriptions only it needed.
func (b *Bus) removeKeyLocked(k ikey) {
	in := &b.interest
	if _, ok := in.keys[k]; !ok {
		return
	}
	delete(in.keys, k)
	for _, subj := range b.subj.patternSubjects(k.realm, k.uri, k.match) {
		b.unsubscribeLocked(subj)
	}
}

// subscribeLocked counts one more need of subject, subscribing at the
// first.
func (b *Bus) subscribeLocked(subject string) {
	in := &b.interest
	if r := in.subs[subject]; r != nil {
		r.n++
		return
	}
	sub, err := b.nc.ChanSubscribe(subject, b.in)
	if err != nil {
		b.log.Error("nats bus: subscribe failed", "subject", subject, "err", err)
		in.failed++
		return
	}
	in.subs[subject] = &subRef{sub: sub, n: 1}
}

// unsubscribeLocked counts one need of subject less, unsubscribing at
// the last.
func (b *Bus) unsubscribeLocked(subject string) {
	in := &b.interest
	r := in.subs[subject]
	if r == nil {
		return
	}
	if r.n--; r.n > 0 {
		return
	}
	delete(in.subs, subject)
	b.retireSub(r.sub)
}

// retireSub unsubscribes sub, keeping its count of dropped messages.
func (b *Bus) retireSub(sub *nats.Subscription) {
	b.interest.droppedGone += dropped(sub)
	if err := sub.Unsubscribe(); err != nil && b.nc.IsConnected() {
		b.log.Debug("nats bus: unsubscribe failed", "subject", sub.Subject, "err", err)
	}
}

// setCatchAll subscribes to every publication subject (on) or drops
// that subscription (off).
func (b *Bus) setCatchAll(on bool) {
	in := &b.interest
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case on && in.catchAll == nil:
		sub, err := b.nc.ChanSubscribe(b.subj.allPublications(), b.in)
		if err != nil {
			b.log.Error("nats bus: subscribe failed", "subject", b.subj.allPublications(), "err", err)
			return
		}
		in.catchAll = sub
	case !on && in.catchAll != nil:
		b.retireSub(in.catchAll)
		in.catchAll = nil
	}
}

// ackLoop acknowledges Adds once the NATS server confirmed what was
// subscribed before them; while the connection is down it retries.
func (b *Bus) ackLoop() {
	defer b.wg.Done()
	in := &b.interest
	for {
		select {
		case <-b.done:
			return
		case <-in.ackReady:
		}
		for {
			in.mu.Lock()
			acks := in.acks
			in.acks = nil
			in.mu.Unlock()
			if len(acks) == 0 {
				break
			}
			for b.nc.FlushTimeout(b.cfg.PeerTimeout) != nil {
				select {
				case <-b.done:
					return
				case <-time.After(b.cfg.ReconnectWait):
				}
			}
			for _, a := range acks {
				b.control.ClusterReceive(a.peer, &wamp.ClusterMsg{Kind: wamp.ClusterInterestAck, Realm: a.realm, Token: a.token})
			}
		}
	}
}

// dropped is what sub's client side dropped (slow consumer).
func dropped(sub *nats.Subscription) uint64 {
	d, err := sub.Dropped()
	if err != nil || d < 0 {
		return 0
	}
	return uint64(d)
}
