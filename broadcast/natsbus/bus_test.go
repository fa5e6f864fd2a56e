package natsbus

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/wamp"
)

const waitLong = 5 * time.Second

// startServer starts an embedded NATS server on a free loopback port.
func startServer(t *testing.T) *natsserver.Server {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(waitLong) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

// fakeRouter stands for a node's router: it has local subscribers of
// interest (exact topics of realm1), describes them when a peer comes up,
// and records the publications delivered to it.
type fakeRouter struct {
	bus      *Bus
	interest []string

	mu   sync.Mutex
	pubs []string // topics delivered
	up   map[string]bool
}

func (r *fakeRouter) ClusterReceive(string, *wamp.ClusterMsg) {}
func (r *fakeRouter) ClusterPeerDown(peer string) {
	r.mu.Lock()
	delete(r.up, peer)
	r.mu.Unlock()
}
func (r *fakeRouter) ClusterPeerUp(peer string) {
	_ = r.bus.Send(peer, &wamp.ClusterMsg{Kind: wamp.ClusterInterestReset, Realm: "realm1"})
	for _, topic := range r.interest {
		_ = r.bus.Send(peer, &wamp.ClusterMsg{Kind: wamp.ClusterInterestAdd, Realm: "realm1", URI: topic})
	}
	_ = r.bus.Send(peer, &wamp.ClusterMsg{Kind: wamp.ClusterInterestSynced, Realm: "realm1"})
	r.mu.Lock()
	r.up[peer] = true
	r.mu.Unlock()
}
func (r *fakeRouter) deliver(pub *wamp.Publication) {
	r.mu.Lock()
	r.pubs = append(r.pubs, pub.Topic)
	r.mu.Unlock()
}

// delivered returns the topics delivered so far.
func (r *fakeRouter) delivered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.pubs...)
}

// startBus starts a bus named node with a fake router.
func startBus(t *testing.T, url, node string, slot int, interest ...string) (*Bus, *fakeRouter) {
	t.Helper()
	b, err := New(Config{Node: node, Slot: slot, URLs: []string{url}, Heartbeat: 50 * time.Millisecond,
		PeerTimeout: time.Second, ReconnectWait: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeRouter{bus: b, interest: interest, up: map[string]bool{}}
	b.SetControl(r)
	if err := b.Start(r.deliver); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(t.Context()) })
	return b, r
}

// ghost publishes publications the way a node does, from a raw NATS
// connection that never announces itself.
type ghost struct {
	nc  *nats.Conn
	seq uint64
}

func (g *ghost) publish(t *testing.T, topic string) {
	t.Helper()
	g.seq++
	rec := broadcast.EncodePublication(&wamp.Publication{Realm: "realm1", Topic: topic, ID: wamp.ID(g.seq)})
	data := append(appendHeader(nil, header{kind: kindPublication, node: "ghost", boot: 42, seq: g.seq}), rec...)
	if err := g.nc.Publish(subjects{prefix: DefaultSubjectPrefix}.publication("realm1", topic), data); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCatchAllWhileAlone: a node with no peer up takes every
// publication (its router described its interest to nobody, so a node
// it has not seen yet must still reach its subscribers); once a peer is
// up and the router described its interest, it takes only what that
// interest covers.
func TestCatchAllWhileAlone(t *testing.T) {
	s := startServer(t)
	a, ra := startBus(t, s.ClientURL(), "a", 1, "wanted")
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	g := &ghost{nc: nc}
	waitFor(t, "a's subscriptions at the server", func() bool { return a.nc.FlushTimeout(waitLong) == nil })
	g.publish(t, "unwanted")
	waitFor(t, "the publication while alone", func() bool { return len(ra.delivered()) == 1 })

	startBus(t, s.ClientURL(), "b", 2)
	waitFor(t, "a's session with b", func() bool { return a.Status().LinksUp == 1 })
	waitFor(t, "the catch-all gone", func() bool {
		return !a.Status().Broker.CatchAll && a.nc.FlushTimeout(waitLong) == nil
	})
	g.publish(t, "unwanted")
	g.publish(t, "wanted")
	waitFor(t, "the wanted publication", func() bool { return len(ra.delivered()) == 2 })
	if got := ra.delivered(); got[1] != "wanted" {
		t.Fatalf("delivered %v, want [unwanted wanted]", got)
	}
}

// TestDuplicateCopiesDeliveredOnce: overlapping subscriptions (an exact
// topic and the catch-all, a prefix and a wildcard) bring several copies
// of a publication; the node delivers each once, in order.
func TestDuplicateCopiesDeliveredOnce(t *testing.T) {
	s := startServer(t)
	a, ra := startBus(t, s.ClientURL(), "a", 1)
	// Interest while alone: the catch-all stays, the exact subject adds
	// a second subscription of the same subjects.
	a.applyInterest("x", &wamp.ClusterMsg{Kind: wamp.ClusterInterestAdd, Realm: "realm1", URI: "t.1"})
	a.applyInterest("x", &wamp.ClusterMsg{Kind: wamp.ClusterInterestAdd, Realm: "realm1", URI: "t.", Match: wamp.MatchWildcard})
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	g := &ghost{nc: nc}
	waitFor(t, "a's subscriptions at the server", func() bool { return a.nc.FlushTimeout(waitLong) == nil })
	const n = 100
	for range n {
		g.publish(t, "t.1")
	}
	waitFor(t, "every publication", func() bool { return len(ra.delivered()) >= n })
	waitFor(t, "the copies", func() bool { return a.Status().Broker.Duplicates == 2*n })
	if got := len(ra.delivered()); got != n {
		t.Fatalf("delivered %d, want %d", got, n)
	}
	if bs := a.Status().Broker; bs.Delivered != n {
		t.Fatalf("broker status %+v", bs)
	}
}

// TestSlotConflictRefused: two nodes with one session id slot do not
// join each other, and say so.
func TestSlotConflictRefused(t *testing.T) {
	s := startServer(t)
	a, _ := startBus(t, s.ClientURL(), "a", 5)
	b, _ := startBus(t, s.ClientURL(), "b", 5)
	waitFor(t, "the conflict seen", func() bool {
		return a.Status().Broker.SlotConflicts > 0 && b.Status().Broker.SlotConflicts > 0
	})
	if a.Status().LinksUp != 0 || b.Status().LinksUp != 0 {
		t.Fatal("nodes with one slot joined")
	}
}

// blockingRouter is a fakeRouter whose deliver waits until release is
// closed: the node stops taking messages.
type blockingRouter struct {
	*fakeRouter
	release chan struct{}
}

func (r *blockingRouter) deliver(pub *wamp.Publication) {
	<-r.release
	r.fakeRouter.deliver(pub)
}

// TestSlowConsumerCounted: a node that does not take its messages fast
// enough loses those beyond its receive queue; the client library drops
// them and the bus counts them (lost_slow_consumer), then goes on.
func TestSlowConsumerCounted(t *testing.T) {
	s := startServer(t)
	b, err := New(Config{Node: "a", Slot: 1, URLs: []string{s.ClientURL()}, ReceiveQueue: 8,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r := &blockingRouter{fakeRouter: &fakeRouter{bus: b, up: map[string]bool{}}, release: make(chan struct{})}
	b.SetControl(r)
	if err := b.Start(r.deliver); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(t.Context()) })
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	g := &ghost{nc: nc}
	waitFor(t, "a's subscriptions at the server", func() bool { return b.nc.FlushTimeout(waitLong) == nil })
	const n = 100
	for range n {
		g.publish(t, "burst")
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drops counted", func() bool { return b.Status().Broker.SlowConsumer > 0 })
	close(r.release)
	waitFor(t, "what was kept delivered", func() bool {
		bs := b.Status().Broker
		return bs.Delivered+bs.SlowConsumer == n
	})
	if got := len(r.delivered()); got == n || got == 0 {
		t.Fatalf("delivered %d of %d", got, n)
	}
}

// TestControlGapResyncs: a control message from a peer that never
// arrives (its number skipped) ends the pair session — the router forgets
// the peer — and a new one comes up by itself, which resends the state.
func TestControlGapResyncs(t *testing.T) {
	s := startServer(t)
	a, ra := startBus(t, s.ClientURL(), "a", 1)
	b, _ := startBus(t, s.ClientURL(), "b", 2)
	waitFor(t, "the pair session", func() bool { return a.Status().LinksUp == 1 && b.Status().LinksUp == 1 })
	b.peersMu.RLock()
	p := b.peers["a"]
	b.peersMu.RUnlock()
	// b skips one number towards a, as if a message had been lost.
	p.mu.Lock()
	p.txSeq++
	p.mu.Unlock()
	if err := b.Send("a", &wamp.ClusterMsg{Kind: wamp.ClusterRegDone, Realm: "realm1", Token: 1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the gap seen and the session back", func() bool {
		st := a.Status()
		return st.Broker.ControlGaps == 1 && st.LinksUp == 1 && st.Links[0].Connects == 2
	})
	ra.mu.Lock()
	up := ra.up["b"]
	ra.mu.Unlock()
	if !up {
		t.Fatal("a's router does not have b up again")
	}
	if st := a.Status(); st.Links[0].Lost != 1 {
		t.Fatalf("lost %d, want 1", st.Links[0].Lost)
	}
}
