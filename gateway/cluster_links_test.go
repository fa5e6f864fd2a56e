package gateway

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/internal/wstest"
)

// startProxiedCluster starts one node per listening address, each known
// to the pool by the address of a proxy in front of it, so that every
// peer link passes through a proxy; it waits until every link is up.
func startProxiedCluster(t *testing.T, n int, tune func(*Config)) ([]*Node, []*linkProxy) {
	t.Helper()
	addrs := freeAddrs(t, n)
	proxies := make([]*linkProxy, n)
	pool := make([]string, n)
	for i, a := range addrs {
		proxies[i] = startProxy(t, a)
		pool[i] = proxies[i].Addr()
	}
	nodes := make([]*Node, n)
	for i := range nodes {
		cfg := clusterConfig(pool, i, testSecret)
		cfg.Addr = addrs[i]
		if tune != nil {
			tune(&cfg)
		}
		nodes[i] = startNode(t, cfg)
	}
	for _, nd := range nodes {
		waitLinksUp(t, nd, n-1)
	}
	return nodes, proxies
}

// connects returns every link's connection count, node by node.
func connects(nodes []*Node) [][]uint64 {
	c := make([][]uint64, len(nodes))
	for i, nd := range nodes {
		for _, l := range nd.Stats().Cluster.Links {
			c[i] = append(c[i], l.Connects)
		}
	}
	return c
}

// waitReconnected waits until every link of every node is up on a newer
// connection than in before.
func waitReconnected(t *testing.T, nodes []*Node, before [][]uint64) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for i, nd := range nodes {
		for {
			links := nd.Stats().Cluster.Links
			done := true
			for j, l := range links {
				done = done && l.State == "up" && l.Connects > before[i][j]
			}
			if done {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s: links did not come back: %+v", nd.Addr(), links)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// waitSent waits until the node's links have taken every queued record
// (sent, or handed to the gateway's queue).
func waitSent(t *testing.T, nd *Node) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for slices.ContainsFunc(nd.Stats().Cluster.Links, func(l broadcast.LinkStatus) bool { return l.Queued > 0 }) {
		if time.Now().After(deadline) {
			t.Fatalf("node %s: records still queued: %+v", nd.Addr(), nd.Stats().Cluster.Links)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// requireNoLoss requires that no link of any node lost or dropped a
// publication.
func requireNoLoss(t *testing.T, nodes []*Node) {
	t.Helper()
	for _, nd := range nodes {
		for _, l := range nd.Stats().Cluster.Links {
			if l.Lost != 0 || l.Dropped != 0 || l.DroppedTooLarge != 0 {
				t.Errorf("node %s link %+v: lost or dropped publications", nd.Addr(), l)
			}
		}
	}
}

// While both nodes are up, a peer link whose TCP connection breaks loses
// nothing: what was in flight (kernel buffers, the gateway's queue, the
// network) is resent on the next connection, and the receiver's sequence
// numbers keep every delivery exactly once and in order.
func TestClusterLinkCutsLoseNothing(t *testing.T) {
	const (
		rounds = 5
		chunk  = 1000 // publications per publisher per round
		topic  = "flap"
	)
	nodes, proxies := startProxiedCluster(t, 3, nil)
	var subs []*wampClient
	for _, nd := range nodes {
		for range 2 {
			s := dialWAMP(t, nd.Addr())
			s.subscribe(topic)
			subs = append(subs, s)
		}
	}
	waitInterest(t, nodes, "realm1", topic)
	pubs := []*wampClient{dialWAMP(t, nodes[0].Addr()), dialWAMP(t, nodes[1].Addr())}
	wait := expectBursts(t, topic, rounds*chunk, len(pubs), subs)
	cut := 0
	for r := range rounds {
		// Stall the links, publish a chunk on two nodes, let their links
		// write it (into kernel buffers, the proxy and the gateway's
		// queue), then reset every link's TCP connection.
		for _, p := range proxies {
			p.pause()
		}
		for pi, p := range pubs {
			if err := publishRange(p, topic, pi, r*chunk, (r+1)*chunk); err != nil {
				t.Fatal(err)
			}
			p.sync() // the node has handled (and queued) every publication
			waitSent(t, nodes[pi])
		}
		if r == rounds-1 {
			for _, p := range proxies {
				p.resume()
			}
			break
		}
		before := connects(nodes)
		for _, p := range proxies {
			cut += p.cut()
		}
		waitReconnected(t, nodes, before)
	}
	wait()
	if cut < 3*(rounds-1) {
		t.Errorf("cut %d connections, want at least %d", cut, 3*(rounds-1))
	}
	requireNoLoss(t, nodes)
	var resent uint64
	for _, nd := range nodes {
		for _, l := range nd.Stats().Cluster.Links {
			resent += l.Resent
		}
	}
	if resent == 0 {
		t.Error("no publication was resent: the cuts found nothing in flight")
	}
	t.Logf("%d connections cut, %d publications resent", cut, resent)
}

// Every publication up to --max-message-size crosses the cluster, from
// whichever side of a link it starts, and both ends agree on the bound.
func TestClusterCarriesPublicationsUpToMaxMessageSize(t *testing.T) {
	const maxMessage = 1 << 20
	pool := freeAddrs(t, 3)
	nodes := make([]*Node, len(pool))
	for i := range pool {
		cfg := clusterConfig(pool, i, testSecret)
		cfg.MaxMessageSize = maxMessage
		nodes[i] = startNode(t, cfg)
	}
	for _, nd := range nodes {
		waitLinksUp(t, nd, len(pool)-1)
	}
	subs := make([]*wampClient, len(nodes))
	for i, nd := range nodes {
		subs[i] = dialWAMP(t, nd.Addr())
		subs[i].subscribe("big")
	}
	waitInterest(t, nodes, "realm1", "big")
	for i, nd := range nodes {
		pub := dialWAMP(t, nd.Addr())
		// 256 KiB, and a PUBLISH of exactly the maximum message size.
		for _, size := range []int{256 << 10, maxMessage - len(`[7,"big",""]`)} {
			event := fmt.Sprintf(`"%d%s"`, i, strings.Repeat("x", size-1))
			pub.publish("big", event)
			for _, s := range subs {
				s.expectEvent("big", event)
			}
		}
	}
	requireNoLoss(t, nodes)
	for _, nd := range nodes {
		for _, l := range nd.Stats().Cluster.Links {
			if l.Connects != 1 || l.PeerMaxMessage <= maxMessage {
				t.Errorf("node %s link %+v: want one connection and a bound above %d", nd.Addr(), l, maxMessage)
			}
		}
	}
}

// A publication larger than the peer accepts is dropped at the sender,
// counted on both sides and logged; the link stays up and carries what
// follows.
func TestClusterDropsWhatThePeerCannotAccept(t *testing.T) {
	pool := freeAddrs(t, 2)
	var logs lockedLog
	big := clusterConfig(pool, 0, testSecret)
	big.MaxMessageSize = 1 << 20
	big.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	big.Cluster.Logger = big.Logger
	small := clusterConfig(pool, 1, testSecret)
	small.MaxMessageSize = 64 << 10
	nodes := []*Node{startNode(t, big), startNode(t, small)}
	for _, nd := range nodes {
		waitLinksUp(t, nd, 1)
	}
	sub := dialWAMP(t, nodes[1].Addr())
	sub.subscribe("t")
	waitInterest(t, nodes, "realm1", "t")
	pub := dialWAMP(t, nodes[0].Addr())
	pub.publish("t", `"before"`)
	pub.publish("t", `"`+strings.Repeat("x", 512<<10)+`"`)
	pub.publish("t", `"after"`)
	sub.expectEvent("t", `"before"`)
	sub.expectEvent("t", `"after"`)
	from, to := nodes[0].Stats().Cluster.Links[0], nodes[1].Stats().Cluster.Links[0]
	if from.DroppedTooLarge != 1 || from.Connects != 1 || to.Lost != 1 || to.Connects != 1 {
		t.Fatalf("sending link %+v\nreceiving link %+v\nwant one drop, one loss, one connection", from, to)
	}
	if !strings.Contains(logs.String(), "publication too large for the peer link: dropped") {
		t.Fatalf("the drop was not logged:\n%s", logs.String())
	}
}

// lockedLog collects log output from several goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The client slow-consumer rule (--write-queue-limit) never applies to a
// peer link: a burst of publications larger than the limit lets queue
// crosses in both directions without cutting the link.
func TestClusterLinkIsNoSlowConsumer(t *testing.T) {
	const limit = 64 << 10
	pool := freeAddrs(t, 2)
	nodes := make([]*Node, 2)
	for i := range nodes {
		cfg := clusterConfig(pool, i, testSecret)
		cfg.WriteQueueLimit = limit
		cfg.MaxMessageSize = limit
		cfg.Cluster.RelayAll = true // no subscriber anywhere, yet the links carry everything
		nodes[i] = startNode(t, cfg)
	}
	for _, nd := range nodes {
		waitLinksUp(t, nd, 1)
	}
	// Each node publishes 400 events of 40 KB (16 MB) at once; no
	// subscriber (they would be slow consumers): the links are the work.
	// Each link also carries the publisher's wamp.session.on_join (a
	// cluster relays the session meta events) and the peer's interest
	// state (a reset and the end of the state of its realm).
	const events = 400 + 1 + 2 // received on each link
	frame := wstest.Encode(wstest.OutFrame{Op: wstest.OpText,
		Payload: []byte(`[7,"burst","` + strings.Repeat("y", 40<<10) + `"]`)})
	for _, nd := range nodes {
		pub := dialWAMP(t, nd.Addr())
		// 16 MB take a while to go in while the node relays them on a
		// loaded machine: a minute, not the default 5 s.
		if err := pub.WriteRawTimeout(bytes.Repeat(frame, 400), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute) // 32 MB relayed: more than waitLong under load
	for _, nd := range nodes {
		for l := nd.Stats().Cluster.Links[0]; l.Received < events; l = nd.Stats().Cluster.Links[0] {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: link %+v: received %d of %d", nd.Addr(), l, l.Received, events)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	requireNoLoss(t, nodes)
	for _, nd := range nodes {
		if l := nd.Stats().Cluster.Links[0]; l.Connects != 1 || l.Received != events || nd.Stats().SlowConsumers != 0 {
			t.Errorf("node %s: link %+v, %d slow consumers closed: the link was cut", nd.Addr(), l, nd.Stats().SlowConsumers)
		}
	}
}

// Nodes of different peer-protocol versions do not link, and say why:
// the accepting side refuses an older dialer with 1008 and a log line,
// the dialing side explains an older acceptor's 426.
func TestClusterRefusesOtherProtocolVersions(t *testing.T) {
	t.Run("older dialer", func(t *testing.T) {
		pool := freeAddrs(t, 2)
		var logs lockedLog
		cfg := clusterConfig(pool, 0, testSecret)
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		cfg.Cluster.Logger = cfg.Logger
		node := startNode(t, cfg)
		c, err := wstest.Connect(node.Addr(), wstest.UpgradeRequest(node.Addr(), "wampgate.peer.1"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SendBinary([]byte("H0123456789abcdef")); err != nil {
			t.Fatal(err)
		}
		code, reason, err := c.ExpectClose(waitLong)
		if err != nil || code != 1008 || reason != "this node speaks "+broadcast.Protocol {
			t.Fatalf("close %d %q, %v", code, reason, err)
		}
		want := "the peer speaks wampgate.peer.1, this node " + broadcast.Protocol + ": nodes of different versions do not link"
		if !strings.Contains(logs.String(), want) || node.Stats().Cluster.AuthFailures != 1 {
			t.Fatalf("refusals %d, logs:\n%s", node.Stats().Cluster.AuthFailures, logs.String())
		}
	})
	t.Run("older acceptor", func(t *testing.T) {
		pool := freeAddrs(t, 2)
		slices.Sort(pool) // this node sorts first: it dials the other
		old := startOldNode(t, pool[1])
		node := startNode(t, clusterConfig(pool, 0, testSecret))
		deadline := time.Now().Add(waitLong)
		for {
			l := node.Stats().Cluster.Links[0]
			if strings.Contains(l.LastError, "the peer speaks wampgate.peer.1, this node "+broadcast.Protocol) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("link %+v: the version mismatch is not explained (%d requests answered)", l, old.answered())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// oldNode answers every request like a node of the previous release: a
// 426 offering its own subprotocols.
type oldNode struct {
	mu sync.Mutex
	n  int
}

func (o *oldNode) answered() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// startOldNode listens on addr until the test ends.
func startOldNode(t *testing.T, addr string) *oldNode {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	o := &oldNode{}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(waitLong))
			head := make([]byte, 0, 1024)
			buf := make([]byte, 1024)
			for !bytes.Contains(head, []byte("\r\n\r\n")) && len(head) < 8192 {
				n, err := c.Read(buf)
				head = append(head, buf[:n]...)
				if err != nil {
					break
				}
			}
			_, _ = io.WriteString(c, "HTTP/1.1 426 No Sec-WebSocket-Protocols requested supported\r\n"+
				"Connection: close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"+
				"Sec-WebSocket-Protocol: wamp, wampgate.peer.1\r\nContent-Length: 0\r\n\r\n")
			c.Close()
			o.mu.Lock()
			o.n++
			o.mu.Unlock()
		}
	}()
	return o
}
