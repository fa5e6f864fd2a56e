package gateway

import (
	"testing"
	"time"
)

// clusterDifferences are the frames wampgate's cluster delivers where the
// original setup's relay differed: the relay is transparent (DESIGN §4).
// A relayed event reaches the other nodes' subscribers of its own topic,
// exclude and eligible included, and never arrives as broadcast/channel;
// only a publication to broadcast/channel itself stays on its node.
var clusterDifferences = map[string]difference{
	"cross_node_relay": {
		why: "the relayed event arrives under its own topic price/channel (to A and A2 on node1), not re-labelled broadcast/channel (so D, subscribed to broadcast/channel only, gets nothing)",
		frames: map[string][]expFrame{
			"A":  {welcome("A"), after(10, text(`[8,"price\/channel",{"price":101}]`))},
			"A2": {welcome("A2"), after(10, text(`[8,"price\/channel",{"price":101}]`))},
			"D":  {welcome("D")},
		},
	},
	"relay_ignores_exclude_eligible": {
		why:    "exclude/eligible hold across nodes, and the relay keeps the topic: A on node1 (subscribed to broadcast/channel only) gets neither event",
		frames: map[string][]expFrame{"A": {welcome("A")}},
	},
	"relay_curie_topic": {
		why:    "the relayed event keeps its resolved topic http://example.com/ev#price; A (broadcast/channel only) gets nothing",
		frames: map[string][]expFrame{"A": {welcome("A")}},
	},
}

// after sets the step after which a frame is expected.
func after(step int, f expFrame) expFrame {
	f.AfterStep = step
	return f
}

// replayOnCluster replays a whole cluster case on three nodes joined by
// peer links, one per recorded node. Before every barrier the replayer
// waits until each link has delivered everything sent over it, so a
// relayed event is attributed to the step that caused it.
func replayOnCluster(t *testing.T, poller string, tc *tcase) {
	names := []string{"node1", "node2", "node3"}
	pool := freeAddrs(t, len(names))
	nodes := make([]*Node, len(pool))
	addrs := map[string]string{}
	for i := range pool {
		cfg := clusterConfig(pool, i, testSecret)
		base := caseConfig(poller, tc, difference{})
		cfg.Poller, cfg.Handler, cfg.PingInterval = base.Poller, base.Handler, base.PingInterval
		nodes[i] = startNode(t, cfg)
		addrs[names[i]] = pool[i]
	}
	for _, n := range nodes {
		waitLinksUp(t, n, len(pool)-1)
	}
	d := clusterDifferences[tc.Name]
	if d.why != "" {
		t.Logf("deliberate difference from the original relay: %s", d.why)
	}
	r := &replayer{t: t, addr: pool[0], nodes: addrs, tc: tc, clients: map[string]*replayClient{},
		settle: func() { waitClusterQuiet(t, nodes) }}
	runReplay(r, d)
	for _, n := range nodes {
		assertNodeServes(t, n.Addr())
	}
}

// waitClusterQuiet waits until no link has anything queued and every
// publication a node sent to a peer has been delivered there.
func waitClusterQuiet(t testing.TB, nodes []*Node) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !clusterQuiet(nodes) {
		if time.Now().After(deadline) {
			t.Fatal("the cluster's links did not go quiet")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func clusterQuiet(nodes []*Node) bool {
	sent := map[[2]string]uint64{}
	received := map[[2]string]uint64{}
	for _, n := range nodes {
		st := n.Stats().Cluster
		for _, l := range st.Links {
			if l.Queued > 0 {
				return false
			}
			sent[[2]string{st.Node, l.Peer}] = l.Sent
			received[[2]string{l.Peer, st.Node}] = l.Received
		}
	}
	for k, v := range sent {
		if received[k] != v {
			return false
		}
	}
	return true
}
