package natsbus

import (
	"slices"
	"strings"

	"github.com/wampgate/wampgate/broadcast"
)

// Status implements broadcast.Bus: the peers known from presence, one
// entry each (State "up" while a pair session is), and the NATS
// connection with what it lost (Status.Broker).
func (b *Bus) Status() broadcast.Status {
	s := broadcast.Status{Node: b.cfg.Node, Bus: "nats"}
	b.peersMu.RLock()
	peers := append([]*peer(nil), b.order...)
	b.peersMu.RUnlock()
	slices.SortFunc(peers, func(x, y *peer) int { return strings.Compare(x.name, y.name) })
	for _, p := range peers {
		ls := broadcast.LinkStatus{Peer: p.name, State: "down", Dials: p.lower}
		p.mu.Lock()
		if p.up {
			ls.State = "up"
			s.LinksUp++
		}
		ls.Since, ls.LastError = p.since, p.lastErr
		p.mu.Unlock()
		ls.Connects = p.connects.Load()
		ls.Reconnects = max(ls.Connects, 1) - 1
		ls.Sent = p.sent.Load()
		ls.Received = p.received.Load()
		ls.Lost = p.lost.Load()
		s.Links = append(s.Links, ls)
	}
	s.Peers = len(s.Links)
	bs := &broadcast.BrokerStatus{
		Kind:          "nats",
		Disconnects:   b.disconnects.Load(),
		Reconnects:    b.reconnects.Load(),
		Delivered:     b.delivered.Load(),
		Duplicates:    b.duplicates.Load(),
		QueueFull:     b.out.drops(),
		PublishFailed: b.publishFailed.Load(),
		ControlGaps:   b.controlGaps.Load(),
		SlotConflicts: b.conflicts.Load(),
	}
	b.connMu.Lock()
	bs.Connected, bs.Since = b.connected, b.connSince
	b.connMu.Unlock()
	if bs.Connected {
		bs.Server = b.nc.ConnectedUrlRedacted()
	}
	st := b.nc.Stats()
	bs.Published, bs.PublishedBytes, bs.Received, bs.ReceivedBytes = st.OutMsgs, st.OutBytes, st.InMsgs, st.InBytes
	in := &b.interest
	in.mu.Lock()
	bs.SlowConsumer = in.droppedGone
	bs.Subscriptions = len(in.subs) + len(b.fixed)
	subs := make([]*subRef, 0, len(in.subs)+1)
	for _, r := range in.subs {
		subs = append(subs, r)
	}
	if in.catchAll != nil {
		bs.CatchAll = true
		bs.Subscriptions++
		bs.SlowConsumer += dropped(in.catchAll)
	}
	for _, r := range subs {
		bs.SlowConsumer += dropped(r.sub)
	}
	in.mu.Unlock()
	for _, sub := range b.fixed {
		bs.SlowConsumer += dropped(sub)
	}
	s.Broker = bs
	return s
}
