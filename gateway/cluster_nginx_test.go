package gateway

import (
	"strings"
	"testing"

	"github.com/wampgate/wampgate/internal/nginxtest"
)

// TestClusterBehindNginx runs the production layout: three nodes joined
// by peer links, a real nginx in front (config from `wampgate
// nginx-config`), every client connected through nginx.
func TestClusterBehindNginx(t *testing.T) {
	pool := freeAddrs(t, 3)
	nodes := startCluster(t, pool)
	front := nginxtest.Start(t, pool...)
	subs := make([]*wampClient, 6)
	for i := range subs {
		subs[i] = dialWAMP(t, front)
		subs[i].subscribe("http://example.com/price")
	}
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
	pool := freeAddrs(t, 3)
	startCluster(t, pool)
	front := nginxtest.Start(t, pool...)
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
