package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	dto "github.com/prometheus/client_model/go"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/broadcast/natsbus"
	"github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// startNATSServer starts an embedded NATS server on a loopback port (port
// 0: any free one) and stops it when the test ends.
func startNATSServer(t testing.TB, port int) *natsserver.Server {
	t.Helper()
	if port == 0 {
		port = -1
	}
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(waitLong) {
		s.Shutdown()
		t.Fatal("nats server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

// natsNodeConfig is node i of a cluster on the NATS server at url, with
// short heartbeats for tests.
func natsNodeConfig(t testing.TB, url string, i int) Config {
	t.Helper()
	bus, err := natsbus.New(natsbus.Config{
		Node:          "n" + strconv.Itoa(i),
		Slot:          i + 1,
		URLs:          []string{url},
		Heartbeat:     100 * time.Millisecond,
		PeerTimeout:   time.Second,
		ReconnectWait: 50 * time.Millisecond,
		Logger:        testLogger(),
	})
	if err != nil {
		t.Fatalf("natsbus.New: %v", err)
	}
	cfg := testConfig("epoll")
	cfg.NodeSlot = i + 1
	cfg.Bus = bus
	return cfg
}

// startNATSCluster starts n nodes on the NATS server at url and waits
// until each has a session with every other.
func startNATSCluster(t testing.TB, url string, n int) []*Node {
	t.Helper()
	nodes := make([]*Node, n)
	for i := range nodes {
		nodes[i] = startNode(t, natsNodeConfig(t, url, i))
	}
	for _, nd := range nodes {
		waitLinksUp(t, nd, n-1)
	}
	return nodes
}

// TestNATSClusterPubSub: on three nodes joined through a NATS server,
// every subscriber on every node (v1, and v2 of each serializer through
// exact, prefix and wildcard subscriptions) gets each publication of
// publishers on every node exactly once and in each publisher's order;
// exclude and eligible name sessions on other nodes.
func TestNATSClusterPubSub(t *testing.T) {
	const topic, burst = "com.example.cluster.t", 300
	s := startNATSServer(t, 0)
	nodes := startNATSCluster(t, s.ClientURL(), 3)
	var v2Subs []clusterSub
	var v1Subs []*wampClient
	for i, n := range nodes {
		// The v1 subscriber first: v1 gets no SUBSCRIBED, and a v2
		// SUBSCRIBED of the same topic on the node comes once the NATS
		// server confirmed the subscription both need.
		w := dialWAMP(t, n.Addr())
		w.subscribe(topic)
		v1Subs = append(v1Subs, w)
		v2Subs = append(v2Subs, subscribeEveryMatch(t, n, i, topic)...)
	}
	checkClusterDelivery(t, nodes, topic, burst, v2Subs, v1Subs)
	for _, n := range nodes {
		bs := n.Stats().Cluster.Broker
		if bs == nil || bs.SlowConsumer+bs.QueueFull+bs.PublishFailed+bs.ControlGaps != 0 || bs.CatchAll {
			t.Fatalf("node %s: broker %+v, want no loss and no catch-all", n.Addr(), bs)
		}
	}
}

// brokerOf returns node n's broker status.
func brokerOf(t testing.TB, n *Node) *broadcast.BrokerStatus {
	t.Helper()
	cs := n.Stats().Cluster
	if cs == nil || cs.Broker == nil {
		t.Fatalf("node %s: no broker status", n.Addr())
	}
	return cs.Broker
}

// TestNATSClusterInterest: a node receives only the publications its
// subscribers want — the NATS server sends node 2, which has none,
// nothing of what node 1 publishes to node 0's subscribers — and a
// retained publication reaches every node (each can answer
// get_retained).
func TestNATSClusterInterest(t *testing.T) {
	const topic, n = "com.example.sparse", 50
	s := startNATSServer(t, 0)
	nodes := startNATSCluster(t, s.ClientURL(), 3)
	sub := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	sid := sub.subscribe(1, dict{}, topic)
	pub := joinV2(t, nodes[1].Addr(), value.JSON, "realm1")
	for i := range n {
		pub.send(16, i+1, dict{}, topic, list{i})
	}
	for i := range n {
		sub.recvEvent(sid, dict{}, list{i}, nil)
	}
	// A retained publication to a topic nobody subscribes to, then one
	// more to the sparse topic: once node 0 has that one, node 2 has had
	// the time to get what the server sent it before.
	pub.publishAck(n+1, dict{"retain": true}, "com.example.kept", list{"kept"}, nil)
	pub.send(16, n+2, dict{}, topic, list{"last"})
	sub.recvEvent(sid, dict{}, list{"last"}, nil)
	if got := brokerOf(t, nodes[0]).Delivered; got != n+2 { // the retained one too
		t.Errorf("node 0 got %d publications, want %d", got, n+2)
	}
	deadline := time.Now().Add(waitLong)
	for brokerOf(t, nodes[2]).Delivered != 1 { // the retained one
		if time.Now().After(deadline) {
			t.Fatalf("node 2 got %d publications, want the retained one only", brokerOf(t, nodes[2]).Delivered)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The same figures in /metrics.
	mfs := scrape(t, nodes[0].Addr())
	if got := metricValue(t, mfs, "wampgate_broker_delivered_total", dto.MetricType_COUNTER, "kind", "nats"); got != n+2 {
		t.Errorf("wampgate_broker_delivered_total %v, want %d", got, n+2)
	}
	if got := metricValue(t, mfs, "wampgate_broker_connected", dto.MetricType_GAUGE, "kind", "nats"); got != 1 {
		t.Errorf("wampgate_broker_connected %v", got)
	}
	for _, reason := range []string{"slow_consumer", "queue_full", "publish_failed", "control_gap"} {
		if got := metricValue(t, mfs, "wampgate_broker_lost_total", dto.MetricType_COUNTER, "kind", "nats", "reason", reason); got != 0 {
			t.Errorf("wampgate_broker_lost_total{reason=%q} %v", reason, got)
		}
	}
	if got := metricValue(t, mfs, "wampgate_peer_link_up", dto.MetricType_GAUGE, "peer", "n1"); got != 1 {
		t.Errorf("wampgate_peer_link_up{peer=n1} %v", got)
	}
	reader := joinV2(t, nodes[2].Addr(), value.JSON, "realm1")
	rsid := reader.subscribe(1, dict{"get_retained": true}, "com.example.kept")
	reader.recvEvent(rsid, dict{"retained": true}, list{"kept"}, nil)
	if got := brokerOf(t, nodes[2]).Delivered; got != 1 {
		t.Fatalf("node 2 got %d publications, want the retained one only", got)
	}
}

// TestNATSClusterRPC: a procedure registered on one node is called from
// another, by a v2 caller (progressive results) and a v1 caller; a second
// registration elsewhere is refused; when the callee's node leaves, the
// other nodes drop its registration at once (its goodbye).
func TestNATSClusterRPC(t *testing.T) {
	s := startNATSServer(t, 0)
	nodes := startNATSCluster(t, s.ClientURL(), 3)
	callee := joinRPC(t, nodes[0].Addr(), value.JSON)
	reg := callee.register(1, dict{}, "com.example.add")
	waitProcedure(t, nodes, "com.example.add")

	caller := joinRPC(t, nodes[2].Addr(), value.MsgPack)
	caller.send(48, 1, dict{"receive_progress": true}, "com.example.add", list{2, 3})
	callee.expect(68, 1, reg, dict{"receive_progress": true}, list{2, 3})
	callee.send(70, 1, dict{"progress": true}, list{"half"})
	callee.send(70, 1, dict{}, list{5})
	caller.expect(50, 1, dict{"progress": true}, list{"half"})
	caller.expect(50, 1, dict{}, list{5})

	w := dialWAMP(t, nodes[1].Addr())
	w.send(`[2,"c1","com.example.add",1,2]`)
	callee.expect(68, 2, reg, dict{}, list{1, 2})
	callee.send(70, 2, dict{}, list{3})
	w.expectText(`[3,"c1",3]`)

	dup := joinRPC(t, nodes[1].Addr(), value.JSON)
	dup.send(64, 1, dict{}, "com.example.add")
	dup.expectErrorURI(64, 1, v2.ErrProcedureAlreadyExists)

	// A call in flight when the callee's node leaves ends with an error.
	caller.send(48, 2, dict{}, "com.example.add", list{1})
	callee.expect(68, 3, reg, dict{}, list{1})
	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		shutdown <- nodes[0].Shutdown(ctx)
	}()
	// The goodbye drops it well before the peer timeout (1 s here) would.
	waitNoProcedure(t, nodes[1:], "com.example.add", 900*time.Millisecond)
	m := caller.recv()
	if len(m) < 5 || m[0] != int64(8) || m[2] != int64(2) || m[4] != v2.ErrCanceled {
		t.Fatalf("want ERROR canceled for the call in flight, got %v", m)
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// TestNATSServerRestart: while the NATS server is down, each node goes
// on serving its own sessions; when it is back the nodes reconnect by
// themselves, the pair sessions come up again, registrations are
// re-announced and publications cross again.
func TestNATSServerRestart(t *testing.T) {
	const topic = "com.example.restart"
	s := startNATSServer(t, 0)
	port := s.Addr().(*net.TCPAddr).Port
	nodes := startNATSCluster(t, s.ClientURL(), 3)
	subs := make([]*v2Client, len(nodes))
	sids := make([]uint64, len(nodes))
	for i, n := range nodes {
		subs[i] = joinV2(t, n.Addr(), value.JSON, "realm1")
		sids[i] = subs[i].subscribe(1, dict{}, topic)
	}
	callee := joinRPC(t, nodes[0].Addr(), value.JSON)
	reg := callee.register(1, dict{}, "com.example.echo")
	waitProcedure(t, nodes, "com.example.echo")
	pub := joinV2(t, nodes[1].Addr(), value.JSON, "realm1")
	pub.publishAck(1, dict{}, topic, list{"before"}, nil)
	for i := range subs {
		subs[i].recvEvent(sids[i], dict{}, list{"before"}, nil)
	}

	s.Shutdown()
	for _, n := range nodes {
		waitLinksUp(t, n, 0)
	}
	// Local sessions are served: node 1's subscriber gets node 1's
	// publications; a new session joins and subscribes.
	pub.publishAck(2, dict{}, topic, list{"during"}, nil)
	subs[1].recvEvent(sids[1], dict{}, list{"during"}, nil)
	late := joinV2(t, nodes[2].Addr(), value.JSON, "realm1")
	lateSid := late.subscribe(1, dict{}, topic)

	startNATSServer(t, port)
	for _, n := range nodes {
		waitLinksUp(t, n, len(nodes)-1)
	}
	waitProcedure(t, nodes, "com.example.echo")
	pub.publishAck(3, dict{}, topic, list{"after"}, nil)
	// Node 1's subscriber got "during" at once. The others get it only if
	// their node reconnected before node 1 sent it from the client's
	// reconnect buffer: nothing waits for a node across an outage.
	expectAfter := func(who string, c *v2Client, sid uint64, duringSeen bool) {
		t.Helper()
		got := c.nextEventArg(sid, dict{})
		if got == "during" && !duringSeen {
			got = c.nextEventArg(sid, dict{})
		}
		if got != "after" {
			t.Fatalf("%s: got %q, want \"after\"", who, got)
		}
	}
	for i := range subs {
		expectAfter(fmt.Sprintf("subscriber on node %d", i), subs[i], sids[i], i == 1)
	}
	expectAfter("subscriber that joined node 2 during the outage", late, lateSid, false)
	caller := joinRPC(t, nodes[2].Addr(), value.JSON)
	caller.send(48, 1, dict{}, "com.example.echo", list{"x"})
	callee.expect(68, 1, reg, dict{}, list{"x"})
	callee.send(70, 1, dict{}, list{"x"})
	caller.expect(50, 1, dict{}, list{"x"})
	for _, n := range nodes {
		if bs := brokerOf(t, n); bs.Reconnects == 0 || !bs.Connected {
			t.Errorf("node %s: broker %+v, want connected again after a reconnection", n.Addr(), bs)
		}
	}
}

// TestNATSClusterV1Topics: v1 topics may hold what NATS subjects forbid
// (spaces, '*', '>', '/' and ':' of URLs, anything outside ASCII, empty
// components, more than a subject holds): each crosses the cluster to its
// subscribers, and only to them.
func TestNATSClusterV1Topics(t *testing.T) {
	s := startNATSServer(t, 0)
	nodes := startNATSCluster(t, s.ClientURL(), 2)
	topics := []string{"http://example.com/chat room", "a.*.>", "ünï cøde", "..", strings.Repeat("long/", 300)}
	subs := make([]*wampClient, len(topics))
	for i, topic := range topics {
		subs[i] = dialWAMP(t, nodes[0].Addr())
		subs[i].subscribe(topic)
	}
	// A v2 SUBSCRIBED on node 0 comes after the NATS server confirmed
	// every subscription node 0 made before it.
	barrier := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	barrier.subscribe(1, dict{}, "com.example.barrier")
	pub := dialWAMP(t, nodes[1].Addr())
	for i, topic := range topics {
		pub.publish(topic, `"`+strconv.Itoa(i)+`"`)
	}
	for i, topic := range topics {
		got, err := subs[i].ReadText(waitLong)
		var ev []any
		if err == nil {
			err = json.Unmarshal([]byte(got), &ev)
		}
		if err != nil || len(ev) != 3 || ev[0] != float64(8) || ev[1] != topic || ev[2] != strconv.Itoa(i) {
			t.Fatalf("subscriber of %q: got %q (%v)", topic, got, err)
		}
	}
	for _, c := range subs {
		c.sync() // nothing else came
	}
}
