package gateway

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/internal/wstest"
	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

const testSecret = "cluster-test-secret"

// freeAddrs reserves n loopback addresses for a pool: the pool must be
// known before its nodes start.
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = ln.Addr().String()
		ln.Close()
	}
	return addrs
}

// clusterConfig is node i of pool, with fast reconnects for tests.
func clusterConfig(pool []string, i int, secret string) Config {
	cfg := testConfig("epoll")
	cfg.Addr = pool[i]
	cfg.Cluster = broadcast.Config{
		Node:         pool[i],
		Pool:         pool,
		Secret:       secret,
		MinBackoff:   20 * time.Millisecond,
		MaxBackoff:   200 * time.Millisecond,
		PingInterval: time.Second,
	}
	return cfg
}

// startCluster starts one node per pool address and waits until every
// link is up.
func startCluster(t testing.TB, pool []string) []*Node {
	t.Helper()
	nodes := make([]*Node, len(pool))
	for i := range pool {
		nodes[i] = startNode(t, clusterConfig(pool, i, testSecret))
	}
	for _, n := range nodes {
		waitLinksUp(t, n, len(pool)-1)
	}
	return nodes
}

// waitLinksUp waits until node n reports want links up.
func waitLinksUp(t testing.TB, n *Node, want int) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		cs := n.Stats().Cluster
		if cs != nil && cs.LinksUp == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s: links up %+v, want %d", n.Addr(), cs, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitSubscribers waits until every node counts want subscriptions, so a
// publication made now reaches subscribers that subscribed on any node.
func waitSubscriptions(t testing.TB, nodes []*Node, want int64) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for _, n := range nodes {
		for n.Router().Stats().Subscriptions < want {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: %d subscriptions, want %d", n.Addr(), n.Router().Stats().Subscriptions, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestClusterDeliversAcrossNodes(t *testing.T) {
	pool := freeAddrs(t, 3)
	nodes := startCluster(t, pool)
	subs := make([]*wampClient, len(nodes))
	for i, n := range nodes {
		subs[i] = dialWAMP(t, n.Addr())
		subs[i].subscribe("http://example.com/chat")
		subs[i].subscribe("broadcast/channel")
	}
	waitInterest(t, nodes, "realm1", "http://example.com/chat")
	// Every node publishes in turn; every subscriber on every node gets
	// each event once, under its original topic.
	for i, n := range nodes {
		pub := dialWAMP(t, n.Addr())
		event := fmt.Sprintf(`{"from":%d}`, i)
		pub.publish("http://example.com/chat", event)
		for _, s := range subs {
			s.expectEvent("http://example.com/chat", event)
		}
		// excludeMe: the publisher is excluded on its node, the others
		// still get it.
		subs[i].send(fmt.Sprintf(`[7,"http://example.com/chat","x%d",true]`, i))
		for j, s := range subs {
			if j != i {
				s.expectEvent("http://example.com/chat", fmt.Sprintf(`"x%d"`, i))
			}
		}
	}
	// The legacy broadcast topic stays on its node: subscribers elsewhere
	// see the next event on the chat topic first.
	subs[0].publish("broadcast/channel", `"local"`)
	subs[0].expectEvent("broadcast/channel", `"local"`)
	subs[0].publish("http://example.com/chat", `"after"`)
	subs[0].expectEvent("http://example.com/chat", `"after"`)
	for _, s := range subs[1:] {
		s.expectEvent("http://example.com/chat", `"after"`)
	}
	for _, s := range subs {
		s.sync()
	}
	for _, n := range nodes {
		st := n.Stats().Cluster
		for _, l := range st.Links {
			if l.Dropped != 0 || l.Lost != 0 || l.Duplicates != 0 || l.Queued != 0 {
				t.Errorf("node %s link %+v: nothing should be dropped, lost or left", n.Addr(), l)
			}
		}
	}
}

func TestClusterBurstExactlyOnceInOrder(t *testing.T) {
	const burst = 10000
	pool := freeAddrs(t, 3)
	nodes := startCluster(t, pool)
	topic := "burst"
	var subs []*wampClient
	for _, n := range nodes {
		for range 2 {
			s := dialWAMP(t, n.Addr())
			s.subscribe(topic)
			subs = append(subs, s)
		}
	}
	waitInterest(t, nodes, "realm1", topic)
	// Two publishers on different nodes at once.
	pubs := []*wampClient{dialWAMP(t, nodes[0].Addr()), dialWAMP(t, nodes[1].Addr())}
	checkBurst(t, topic, burst, pubs, subs)
}

// checkBurst has every publisher send burst publications to topic at
// once, as fast as it can write, and requires every subscriber to receive
// each publisher's events exactly once and in that publisher's order.
func checkBurst(t *testing.T, topic string, burst int, pubs, subs []*wampClient) {
	t.Helper()
	wait := expectBursts(t, topic, burst, len(pubs), subs)
	var wg sync.WaitGroup
	for pi, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := publishRange(p, topic, pi, 0, burst); err != nil {
				t.Errorf("publisher %d: %v", pi, err)
			}
		}()
	}
	wg.Wait()
	wait()
}

// expectBursts starts a reader per subscriber that requires the events
// "p:0" … "p:burst-1" of each of npubs publishers on topic, exactly once
// and in each publisher's order. wait waits for the readers, reports
// their errors and then requires that nothing more arrived.
func expectBursts(t *testing.T, topic string, burst, npubs int, subs []*wampClient) (wait func()) {
	t.Helper()
	prefix := fmt.Sprintf(`[8,%s,"`, phpString(topic))
	var wg sync.WaitGroup
	errs := make(chan error, len(subs))
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := make([]int, npubs)
			for range npubs * burst {
				msg, err := s.ReadText(waitLong)
				if err != nil {
					errs <- fmt.Errorf("subscriber %s after %v: %w", s.ID, next, err)
					return
				}
				// [8,topic,"p:n"]
				body := strings.TrimSuffix(strings.TrimPrefix(msg, prefix), `"]`)
				p, seq, ok := strings.Cut(body, ":")
				pi, err1 := strconv.Atoi(p)
				n, err2 := strconv.Atoi(seq)
				if !ok || err1 != nil || err2 != nil || pi < 0 || pi >= npubs {
					errs <- fmt.Errorf("subscriber %s: unexpected %q", s.ID, wstest.Abbrev(msg, 80))
					return
				}
				if n != next[pi] {
					errs <- fmt.Errorf("subscriber %s: publisher %d event %d, want %d", s.ID, pi, n, next[pi])
					return
				}
				next[pi]++
			}
		}()
	}
	return func() {
		t.Helper()
		wg.Wait()
		close(errs)
		failed := false
		for err := range errs {
			t.Error(err)
			failed = true
		}
		if failed {
			return
		}
		for _, s := range subs {
			s.sync() // and nothing more: exactly once
		}
	}
}

// publishRange has publisher number pi publish its events from … to-1
// ("pi:n") to topic, many frames per write.
func publishRange(p *wampClient, topic string, pi, from, to int) error {
	var batch []byte
	for i := from; i < to; i++ {
		batch = append(batch, wstest.Encode(wstest.OutFrame{Op: wstest.OpText,
			Payload: fmt.Appendf(nil, `[7,%s,"%d:%d"]`, jsonString(topic), pi, i)})...)
		if len(batch) > 32<<10 || i == to-1 {
			if err := p.WriteRaw(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

func TestClusterExcludeEligibleAcrossNodes(t *testing.T) {
	pool := freeAddrs(t, 3)
	nodes := startCluster(t, pool)
	subs := make([]*wampClient, len(nodes))
	for i, n := range nodes {
		subs[i] = dialWAMP(t, n.Addr())
		subs[i].subscribe("t")
	}
	waitInterest(t, nodes, "realm1", "t")
	a, b, c := subs[0], subs[1], subs[2]
	// Session ids carry their node's slot, its index in the sorted pool,
	// so no two nodes can issue the same id.
	sorted := slices.Sorted(slices.Values(pool))
	for i, s := range subs {
		id, err := strconv.ParseUint(s.ID, 10, 64)
		slot := slices.Index(sorted, pool[i])
		if err != nil || int(id&1023) != slot || nodes[i].Router().NodeSlot() != slot {
			t.Errorf("node %d: session id %q, node slot %d; want slot %d", i, s.ID, nodes[i].Router().NodeSlot(), slot)
		}
	}
	pub := dialWAMP(t, nodes[0].Addr())
	// Exclude b (on node 1) and a (on node 0): only c gets it.
	pub.send(fmt.Sprintf(`[7,"t","e1",[%q,%q]]`, b.ID, a.ID))
	// Eligible: only b, and pub's own session id listed too.
	pub.send(fmt.Sprintf(`[7,"t","e2",[],[%q]]`, b.ID))
	// Exclude + eligible: eligible a and c, c excluded: only a.
	pub.send(fmt.Sprintf(`[7,"t","e3",[%q],[%q,%q]]`, c.ID, a.ID, c.ID))
	// The same ids as JSON integers (Ratchet's loose in_array matched
	// them): exclude a and c, so only b; eligible c only.
	pub.send(fmt.Sprintf(`[7,"t","e4",[%s,%s]]`, a.ID, c.ID))
	pub.send(fmt.Sprintf(`[7,"t","e5",[],[%s]]`, c.ID))
	pub.publish("t", `"end"`)
	c.expectEvent("t", `"e1"`)
	b.expectEvent("t", `"e2"`)
	a.expectEvent("t", `"e3"`)
	b.expectEvent("t", `"e4"`)
	c.expectEvent("t", `"e5"`)
	for _, s := range subs {
		s.expectEvent("t", `"end"`)
	}
}

func TestClusterRefusesWrongSecret(t *testing.T) {
	pool := freeAddrs(t, 2)
	good := startNode(t, clusterConfig(pool, 0, testSecret))
	bad := startNode(t, clusterConfig(pool, 1, "another secret"))
	deadline := time.Now().Add(waitLong)
	for good.Stats().Cluster.AuthFailures+bad.Stats().Cluster.AuthFailures == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no refusal counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, n := range []*Node{good, bad} {
		if st := n.Stats().Cluster; st.LinksUp != 0 {
			t.Fatalf("node %s: link up with a wrong secret: %+v", n.Addr(), st)
		}
	}
	// The peer that dials (the lower address) learns the acceptor did
	// not prove the secret; the acceptor refuses its proof.
	dialer := good
	if pool[1] < pool[0] {
		dialer = bad
	}
	if l := dialer.Stats().Cluster.Links[0]; !strings.Contains(l.LastError, "secret") {
		t.Errorf("dialer's last error %q does not mention the secret", l.LastError)
	}
}

func TestClusterRefusesUnauthenticatedInjection(t *testing.T) {
	pool := freeAddrs(t, 2)
	node := startNode(t, clusterConfig(pool, 0, testSecret))
	sub := dialWAMP(t, node.Addr())
	sub.subscribe("t")
	// A client that speaks the peer protocol but skips authentication and
	// sends a batch (one record: topic "t", event "injected").
	c, err := wstest.Connect(node.Addr(), wstest.UpgradeRequest(node.Addr(), broadcast.Protocol))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	batch := []byte{'P', 1, 1, 1, 't', 10, '"', 'i', 'n', 'j', 'e', 'c', 't', 'e', 'd', '"', 0, 0}
	if err := c.SendBinary(batch); err != nil {
		t.Fatal(err)
	}
	code, _, err := c.ExpectClose(waitLong)
	if err != nil || code != 1008 {
		t.Fatalf("close %d, %v; want 1008", code, err)
	}
	sub.sync() // nothing was delivered
	if n := node.Stats().Cluster.AuthFailures; n != 1 {
		t.Fatalf("auth failures %d, want 1", n)
	}
}

func TestClusterSurvivesNodeRestart(t *testing.T) {
	pool := freeAddrs(t, 3)
	nodes := startCluster(t, pool)
	subs := make([]*wampClient, 2)
	for i := range subs {
		subs[i] = dialWAMP(t, nodes[i].Addr())
		subs[i].subscribe("t")
	}
	waitInterest(t, nodes, "realm1", "t")
	// Node 2 goes away: the other two keep delivering to each other.
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := nodes[2].Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitLinksUp(t, nodes[0], 1)
	waitLinksUp(t, nodes[1], 1)
	pub := dialWAMP(t, nodes[0].Addr())
	pub.publish("t", `"while down"`)
	for _, s := range subs {
		s.expectEvent("t", `"while down"`)
	}
	// It comes back on the same address and rejoins by itself; its new
	// subscribers get what node 0 publishes.
	restarted := startNode(t, clusterConfig(pool, 2, testSecret))
	start := time.Now()
	waitLinksUp(t, restarted, 2)
	waitLinksUp(t, nodes[0], 2)
	waitLinksUp(t, nodes[1], 2)
	t.Logf("rejoined in %v", time.Since(start))
	late := dialWAMP(t, restarted.Addr())
	late.subscribe("t")
	waitSubscriptions(t, []*Node{restarted}, 1)
	waitInterest(t, []*Node{nodes[0], nodes[1], restarted}, "realm1", "t")
	pub.publish("t", `"after restart"`)
	late.expectEvent("t", `"after restart"`)
	for _, s := range subs {
		s.expectEvent("t", `"after restart"`)
	}
}

func TestClusterQueueDropsOldestWhilePeerIsDown(t *testing.T) {
	pool := freeAddrs(t, 2)
	cfg := clusterConfig(pool, 0, testSecret)
	cfg.Cluster.QueueLimit = 5
	first := startNode(t, cfg)
	for i := range 8 {
		pub := &wamp.Publication{Topic: "t"}
		pub.SetEvent([]byte(strconv.Itoa(i)))
		first.Router().Publish(pub)
	}
	l := first.Stats().Cluster.Links[0]
	if l.State != "down" || l.Queued != 5 || l.Dropped != 3 {
		t.Fatalf("link while the peer is down: %+v; want 5 queued, 3 dropped", l)
	}
	// The peer comes up. While the link was down everything was queued,
	// whatever the peer subscribes to; now the node's interest state (a
	// reset and the end of the state of its realm: no subscriber) is
	// queued after it and, unless the writer sent the publications first,
	// takes two slots: the newest three to five are delivered, the
	// others counted as dropped, and nothing else.
	second := startNode(t, clusterConfig(pool, 1, testSecret))
	waitLinksUp(t, first, 1)
	deadline := time.Now().Add(waitLong)
	for l := first.Stats().Cluster.Links[0]; l.Queued != 0 || l.Unacked != 0 || second.Stats().Cluster.Links[0].Received < l.Sent; l = first.Stats().Cluster.Links[0] {
		if time.Now().After(deadline) {
			t.Fatalf("sending link %+v, receiving link %+v", l, second.Stats().Cluster.Links[0])
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := second.Router().Stats().Publications
	if l := first.Stats().Cluster.Links[0]; got < 3 || got > 5 || l.Dropped+got != 8 || l.Sent != got+2 {
		t.Fatalf("the peer's router saw %d publications, want 3 to 5; sending link after the peer came up: %+v", got, l)
	}
}

// countingHandler counts OnPublish calls and tags the events it sees.
type countingHandler struct {
	wamp.BaseHandler
	calls atomic.Int64
}

func (h *countingHandler) OnPublish(_ wamp.Peer, pub *wamp.Publication) error {
	h.calls.Add(1)
	pub.SetEvent([]byte(`"rewritten on the publisher's node"`))
	return nil
}

func TestClusterPublishHookRunsOnceOnThePublishersNode(t *testing.T) {
	pool := freeAddrs(t, 3)
	handlers := make([]*countingHandler, len(pool))
	nodes := make([]*Node, len(pool))
	for i := range pool {
		handlers[i] = &countingHandler{}
		cfg := clusterConfig(pool, i, testSecret)
		cfg.Handler = handlers[i]
		nodes[i] = startNode(t, cfg)
	}
	for _, n := range nodes {
		waitLinksUp(t, n, len(pool)-1)
	}
	subs := make([]*wampClient, len(nodes))
	for i, n := range nodes {
		subs[i] = dialWAMP(t, n.Addr())
		subs[i].subscribe("t")
	}
	waitInterest(t, nodes, "realm1", "t")
	dialWAMP(t, nodes[1].Addr()).publish("t", `"original"`)
	for _, s := range subs {
		s.expectEvent("t", `"rewritten on the publisher's node"`)
	}
	for i, h := range handlers {
		want := int64(0)
		if i == 1 {
			want = 1
		}
		if h.calls.Load() != want {
			t.Errorf("node %d ran OnPublish %d times, want %d", i, h.calls.Load(), want)
		}
	}
}

// TestClusterCarriesRealmsAndRetainedEvents: a relayed publication stays
// in its realm on every node, keeps its ids, and is retained on every
// node when it asked to be.
func TestClusterCarriesRealmsAndRetainedEvents(t *testing.T) {
	pool := freeAddrs(t, 2)
	nodes := make([]*Node, len(pool))
	for i := range pool {
		cfg := clusterConfig(pool, i, testSecret)
		cfg.Realms, cfg.V1Realm = []string{"com.a", "com.b"}, "com.b"
		nodes[i] = startNode(t, cfg)
	}
	for _, n := range nodes {
		waitLinksUp(t, n, 1)
	}
	sub := dialWAMP(t, nodes[1].Addr())
	sub.subscribe("t")
	waitSubscriptions(t, nodes[1:], 1)
	waitInterest(t, nodes, "com.b", "t")
	for _, realm := range []string{"com.a", "com.b"} {
		pub := &wamp.Publication{Realm: realm, Topic: "t", Retain: true, DiscloseMe: true, PublisherID: 5 << 10}
		pub.SetEvent([]byte(`"in ` + realm + `"`))
		nodes[0].Router().Publish(pub)
	}
	sub.expectEvent("t", `"in com.b"`)
	sub.sync()
	for _, realm := range []string{"com.a", "com.b"} {
		deadline := time.Now().Add(waitLong)
		for nodes[1].Router().Realm(realm).Stats().Retained != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("%s on node 1: %+v", realm, nodes[1].Router().Realm(realm).Stats())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// What node 1 retained is the publication as node 0 made it.
	s := nodes[1].Router().Realm("com.a").NewSession(wamptest.NewConn("x"), v1.Protocol, nil)
	s.Join()
	defer s.Leave()
	sw, _, err := s.Subscribe("t", wamp.MatchWildcard)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Retained(sw, nil)
	if len(got) != 1 || string(got[0].Event()) != `"in com.a"` || !got[0].DiscloseMe || got[0].PublisherID != 5<<10 ||
		!got[0].ID.Valid() || !got[0].Relayed {
		t.Fatalf("retained on node 1: %+v", got)
	}
}
