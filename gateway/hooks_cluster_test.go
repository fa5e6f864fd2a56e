package gateway

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/hooks"
	"github.com/wampgate/wampgate/wamp/value"
)

// A publication the publish hook rewrote on the publisher's node is what
// every node of a 3-node cluster delivers, to v1 and v2 subscribers; the
// other nodes, configured with the same hook, never call it; a skipped
// publication reaches no node.
func TestHookPublishRewrittenAcrossCluster(t *testing.T) {
	hs := newHookServer(t, answerByEvent)
	pool := freeAddrs(t, 3)
	nodes := make([]*Node, len(pool))
	for i := range pool {
		cfg := clusterConfig(pool, i, testSecret)
		cfg.Hooks = hooks.Config{URL: hs.URL, Publish: []string{"price."}}
		nodes[i] = startNode(t, cfg)
	}
	for _, n := range nodes {
		waitLinksUp(t, n, len(pool)-1)
	}
	v1s := make([]*wampClient, len(nodes))
	v2s := make([]*v2Client, len(nodes))
	v2subs := make([]uint64, len(nodes))
	for i, n := range nodes {
		v1s[i] = dialWAMP(t, n.Addr())
		v1s[i].subscribe("price.x")
		v2s[i] = joinV2(t, n.Addr(), value.MsgPack, "realm1")
		v2subs[i] = v2s[i].subscribe(1, dict{}, "price.x")
	}
	waitSubscriptions(t, nodes, 2)
	pub := dialWAMP(t, nodes[1].Addr())
	pub.publish("price.x", `"skip"`)
	hs.next()
	pub.publish("price.x", `"rewrite"`)
	hs.next()
	for i := range nodes {
		v1s[i].expectEvent("price.x", `"rewritten"`)
		v2s[i].recvEvent(v2subs[i], dict{}, list{"rewritten", 1}, dict{"k": "v"})
	}
	for i, n := range nodes {
		want := uint64(0)
		if i == 1 {
			want = 2
		}
		if got := n.Stats().Hooks.Kinds["publish"].Requests; got != want {
			t.Errorf("node %d made %d publish hook requests, want %d", i, got, want)
		}
		v1s[i].sync()
		v2s[i].sync()
	}
}

// TestHookSubscribeRaceAcrossCluster: a v2 SUBSCRIBE decided by the
// subscribe hook in a cluster is answered SUBSCRIBED only once the hook
// allowed it and every peer knows the topic, so a publication made on
// another node right after SUBSCRIBED arrives; a refused one leaves no
// interest behind.
func TestHookSubscribeRaceAcrossCluster(t *testing.T) {
	const rounds = 50
	hs := newHookServer(t, func(_, body string) string {
		if strings.Contains(body, `"topic":"price.secret"`) {
			return `{"error":{"uri":"app.error.no_such_topic","message":"no such topic"}}`
		}
		return `{"result":{}}`
	})
	pool := freeAddrs(t, 2)
	nodes := make([]*Node, len(pool))
	for i := range pool {
		cfg := clusterConfig(pool, i, testSecret)
		cfg.Hooks = hooks.Config{URL: hs.URL, Subscribe: []string{"price."}}
		nodes[i] = startNode(t, cfg)
	}
	for _, n := range nodes {
		waitLinksUp(t, n, len(pool)-1)
	}
	sub := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	pub := joinV2(t, nodes[1].Addr(), value.MsgPack, "realm1")
	for i := range rounds {
		topic := fmt.Sprintf("price.race.%d", i)
		id := sub.subscribe(uint64(i+1), dict{}, topic)
		hs.next()
		pub.send(16, i+1, dict{}, topic, list{i})
		sub.recvEvent(id, dict{}, list{i}, nil)
	}
	sub.send(32, rounds+1, dict{}, "price.secret")
	sub.expect(8, 32, rounds+1, dict{}, "app.error.no_such_topic", list{"no such topic"})
	hs.next()
	pub.send(16, rounds+1, dict{}, "price.secret", list{"hidden"})
	pub.sync()
	sub.sync()
	if l := linkTo(t, nodes[1], nodes[0]); l.Lost != 0 || l.Dropped != 0 {
		t.Errorf("link %+v", l)
	}
}
