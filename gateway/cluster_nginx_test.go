package gateway

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/internal/nginxtest"
	"github.com/wampgate/wampgate/internal/wstest"
)

// TestClusterBehindNginx runs the production layout: three nodes joined
// by peer links, a real nginx in front (config from `wampgate
// nginx-config`), every client connected through nginx.
func TestClusterBehindNginx(t *testing.T) {
	_, nodes, front := startClusterBehindNginx(t)
	subs := make([]*wampClient, 6)
	for i := range subs {
		subs[i] = dialWAMP(t, front)
		subs[i].subscribe("http://example.com/price")
	}
	waitInterest(t, nodes, "realm1", "http://example.com/price")
	// least_conn spreads the sessions: every node got some.
	for _, n := range nodes {
		if s := n.Router().Stats().Sessions; s == 0 {
			t.Fatalf("node %s got no session through nginx", n.Addr())
		}
	}
	pub := dialWAMP(t, front)
	for i, event := range []string{`{"price":101}`, `"second"`, `[1,2,3]`} {
		pub.publish("http://example.com/price", event)
		for _, s := range subs {
			s.expectEvent("http://example.com/price", event)
		}
		if i == 0 {
			// excludeMe through nginx: the publisher is excluded wherever
			// it landed, everyone else still gets it.
			subs[0].send(`[7,"http://example.com/price","not me",true]`)
			for _, s := range subs[1:] {
				s.expectEvent("http://example.com/price", `"not me"`)
			}
		}
	}
	for _, s := range subs {
		s.sync() // exactly once: nothing else arrived
	}
}

// TestReplayNginxTranscripts replays the transcripts recorded through the
// original nginx through a real nginx in front of a three-node cluster.
func TestReplayNginxTranscripts(t *testing.T) {
	tf := loadTranscripts(t)
	_, _, front := startClusterBehindNginx(t)
	ran := 0
	for _, tc := range tf.Cases {
		if !strings.HasSuffix(tc.Name, "_via_nginx") {
			continue
		}
		ran++
		t.Run(tc.Name, func(t *testing.T) {
			t.Logf("[%s] %s", tc.Group, tc.Description)
			d := differences[tc.Name]
			if tc.HTTPRequest != "" {
				replayRefusal(t, front, tc, d)
				return
			}
			runReplay(&replayer{t: t, addr: front, nodes: map[string]string{"nginx": front}, tc: tc,
				clients: map[string]*replayClient{}}, d)
		})
	}
	if ran == 0 {
		t.Fatal("no *_via_nginx transcript found")
	}
}

// TestClusterBehindNginxBurstAndOutage puts a burst of 10,000 publications
// from two publishers through nginx (exactly once, in order), then takes a
// node away and brings it back while clients keep using nginx.
func TestClusterBehindNginxBurstAndOutage(t *testing.T) {
	pool, nodes, front := startClusterBehindNginx(t)
	subs := make([]*wampClient, 6)
	for i := range subs {
		subs[i] = dialWAMP(t, front)
		subs[i].subscribe("burst")
	}
	waitInterest(t, nodes, "realm1", "burst")
	checkBurst(t, "burst", 10000, []*wampClient{dialWAMP(t, front), dialWAMP(t, front)}, subs)

	// Node 2 goes away: its clients get 1001 through nginx, everyone else
	// keeps receiving, and new clients are routed to the live nodes.
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := nodes[2].Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitLinksUp(t, nodes[0], 1)
	pub := dialWAMP(t, front)
	pub.publish("burst", `"after the outage"`)
	var live []*wampClient
	for _, s := range subs {
		f, err := s.ReadFrame(waitLong)
		switch {
		case err != nil:
			t.Fatalf("subscriber %s: %v", s.ID, err)
		case f.Op == wstest.OpClose:
			if code := binary.BigEndian.Uint16(f.Payload); code != 1001 {
				t.Fatalf("subscriber %s on the stopped node: close %d, want 1001", s.ID, code)
			}
		case f.Text() == `[8,"burst","after the outage"]`:
			live = append(live, s)
		default:
			t.Fatalf("subscriber %s: unexpected %q", s.ID, f.Text())
		}
	}
	if len(live) == 0 || len(live) == len(subs) {
		t.Fatalf("%d of %d subscribers kept receiving; least_conn should have put some on every node", len(live), len(subs))
	}

	// It comes back and rejoins; its new subscribers get what is
	// published through nginx.
	back := startNode(t, clusterConfig(pool, 2, testSecret))
	waitLinksUp(t, back, 2)
	waitLinksUp(t, nodes[0], 2)
	late := dialWAMP(t, back.Addr())
	late.subscribe("burst")
	waitInterest(t, []*Node{nodes[0], nodes[1], back}, "realm1", "burst")
	pub.publish("burst", `"rejoined"`)
	late.expectEvent("burst", `"rejoined"`)
	for _, s := range live {
		s.expectEvent("burst", `"rejoined"`)
	}
}

// startClusterBehindNginx starts three nodes joined by peer links and a
// real nginx in front of them; it returns the pool, the nodes and nginx's
// address.
func startClusterBehindNginx(t *testing.T) ([]string, []*Node, string) {
	t.Helper()
	pool := freeAddrs(t, 3)
	nodes := startCluster(t, pool)
	return pool, nodes, nginxtest.Start(t, pool...)
}
