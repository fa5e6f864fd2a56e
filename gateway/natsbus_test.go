package gateway

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/wampgate/wampgate/broadcast/natsbus"
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
	type v2Sub struct {
		c       *v2Client
		sub     uint64
		details dict
	}
	var v2Subs []v2Sub
	var v1Subs []*wampClient
	for i, n := range nodes {
		// The v1 subscriber first: v1 gets no SUBSCRIBED, and a v2
		// SUBSCRIBED of the same topic on the node comes once the NATS
		// server confirmed the subscription both need.
		w := dialWAMP(t, n.Addr())
		w.subscribe(topic)
		v1Subs = append(v1Subs, w)
		for j, opts := range []dict{{}, {"match": "prefix"}, {"match": "wildcard"}} {
			uri, details := topic, dict{}
			switch j {
			case 1:
				uri, details = "com.example.cluster", dict{"topic": topic}
			case 2:
				uri, details = "com.example..t", dict{"topic": topic}
			}
			c := joinV2(t, n.Addr(), v2Formats[(i+j)%3], "realm1")
			v2Subs = append(v2Subs, v2Sub{c, c.subscribe(1, opts, uri), details})
		}
	}
	pub0 := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	pub1 := joinV2(t, nodes[1].Addr(), value.CBOR, "realm1")
	pub2 := dialWAMP(t, nodes[2].Addr())
	for i := range burst {
		pub0.send(16, i+1, dict{}, topic, list{"a:" + strconv.Itoa(i)})
		pub1.send(16, i+1, dict{}, topic, list{"b:" + strconv.Itoa(i)})
		pub2.publish(topic, `"c:`+strconv.Itoa(i)+`"`)
	}
	pubs := []string{"a", "b", "c"}
	for i, s := range v2Subs {
		checkSequences(t, fmt.Sprintf("v2 subscriber %d (%s)", i, s.c.f), burst, pubs,
			func() string { return s.c.nextEventArg(s.sub, s.details) })
	}
	for i, w := range v1Subs {
		checkSequences(t, fmt.Sprintf("v1 subscriber on node %d", i), burst, pubs, w.nextEventArg)
	}

	// exclude: a v2 session on node 1 and the v1 session on node 2.
	excluded := map[any]bool{v2Subs[3].c: true, v1Subs[2]: true}
	pub0.publishAck(burst+1, dict{"exclude": list{v2Subs[3].c.ID, v1ID(t, v1Subs[2])}}, topic, list{"excluded"}, nil)
	// eligible: a v2 session on node 2 and the v1 session on node 1.
	eligible := map[any]bool{v2Subs[7].c: true, v1Subs[1]: true}
	pub0.publishAck(burst+2, dict{"eligible": list{v2Subs[7].c.ID, v1ID(t, v1Subs[1])}}, topic, list{"eligible"}, nil)
	for _, s := range v2Subs {
		if !excluded[s.c] {
			if got := s.c.nextEventArg(s.sub, s.details); got != "excluded" {
				t.Fatalf("got %q, want the event with the exclude list", got)
			}
		}
		if eligible[s.c] {
			if got := s.c.nextEventArg(s.sub, s.details); got != "eligible" {
				t.Fatalf("got %q, want the event with the eligible list", got)
			}
		}
		s.c.sync()
	}
	for _, w := range v1Subs {
		if !excluded[w] {
			w.expectEvent(topic, `"excluded"`)
		}
		if eligible[w] {
			w.expectEvent(topic, `"eligible"`)
		}
		w.sync()
	}
	for _, n := range nodes {
		bs := n.Stats().Cluster.Broker
		if bs == nil || bs.SlowConsumer+bs.QueueFull+bs.PublishFailed+bs.ControlGaps != 0 || bs.CatchAll {
			t.Fatalf("node %s: broker %+v, want no loss and no catch-all", n.Addr(), bs)
		}
	}
}
