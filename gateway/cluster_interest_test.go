package gateway

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/wamp/value"
)

// waitNoInterest waits until node from no longer relays topic in realm
// to node to.
func waitNoInterest(t testing.TB, from, to *Node, realm, topic string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for from.bus.(*broadcast.Mesh).PeerWants(to.cfg.Cluster.Node, realm, topic) {
		if time.Now().After(deadline) {
			t.Fatalf("node %s still relays %s to %s", from.Addr(), topic, to.Addr())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// linkTo returns node n's link to peer.
func linkTo(t testing.TB, n, peer *Node) broadcast.LinkStatus {
	t.Helper()
	for _, l := range n.Stats().Cluster.Links {
		if l.Peer == peer.cfg.Cluster.Node {
			return l
		}
	}
	t.Fatalf("node %s has no link to %s", n.Addr(), peer.Addr())
	return broadcast.LinkStatus{}
}

// TestClusterSubscribeRace: a v2 SUBSCRIBED comes only once every other
// node knows the new subscription, so a publication made on another node
// right after it arrives always reaches the subscriber — 200 times, each
// time a topic new to the cluster, from a publisher on either other node
// (one of them the node that dials, one the node that accepts), and
// each subscription ended again.
func TestClusterSubscribeRace(t *testing.T) {
	const rounds = 200
	nodes := startCluster(t, freeAddrs(t, 3))
	sub := joinV2(t, nodes[0].Addr(), value.MsgPack, "realm1")
	pubs := []*v2Client{joinV2(t, nodes[1].Addr(), value.JSON, "realm1"), joinV2(t, nodes[2].Addr(), value.CBOR, "realm1")}
	for i := range rounds {
		topic := fmt.Sprintf("com.example.race.%d", i)
		id := sub.subscribe(uint64(2*i+1), dict{}, topic)
		p := pubs[i%2]
		p.send(16, i+1, dict{}, topic, list{i})
		sub.recvEvent(id, dict{}, list{i}, nil)
		sub.send(34, 2*i+2, id)
		sub.expect(35, 2*i+2)
	}
	// Every topic was withdrawn again: nothing is relayed to node 0 now.
	for _, n := range nodes[1:] {
		waitNoInterest(t, n, nodes[0], "realm1", "com.example.race.0")
		if l := linkTo(t, n, nodes[0]); l.Lost != 0 || l.Dropped != 0 {
			t.Errorf("node %s: link %+v", n.Addr(), l)
		}
	}
}

// TestClusterRelaysOnlyToInterestedNodes: a publication crosses a link
// only to a node with a matching subscriber — exact, prefix or wildcard,
// v1 or v2 —; a node where nobody subscribes receives no publication at
// all (its router sees none, its links count the ones skipped), and when
// the last subscriber of a topic leaves, the topic stops crossing.
func TestClusterRelaysOnlyToInterestedNodes(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 3))
	a, b, idle := nodes[0], nodes[1], nodes[2]
	v2sub := joinV2(t, a.Addr(), value.JSON, "realm1")
	exact := v2sub.subscribe(1, dict{}, "com.example.exact")
	prefix := v2sub.subscribe(2, dict{"match": "prefix"}, "com.example.p.")
	wild := v2sub.subscribe(3, dict{"match": "wildcard"}, "com..w")
	v1sub := dialWAMP(t, a.Addr())
	v1sub.subscribe("legacy/topic")
	waitInterest(t, nodes, "realm1", "legacy/topic")

	pub := joinV2(t, b.Addr(), value.CBOR, "realm1")
	v1pub := dialWAMP(t, b.Addr())
	for i, topic := range []string{"com.example.exact", "com.example.p.x", "com.z.w", "com.example.none", "legacy/topic"} {
		pub.send(16, i+1, dict{}, topic, list{topic})
	}
	v1pub.publish("legacy/topic", `"v1"`)
	v2sub.recvEvent(exact, dict{}, list{"com.example.exact"}, nil)
	v2sub.recvEvent(prefix, dict{"topic": "com.example.p.x"}, list{"com.example.p.x"}, nil)
	v2sub.recvEvent(wild, dict{"topic": "com.z.w"}, list{"com.z.w"}, nil)
	// Two publishers' events: their order between them is not defined.
	if got := []string{v1sub.nextEventArg(), v1sub.nextEventArg()}; !slices.Contains(got, "legacy/topic") || !slices.Contains(got, "v1") {
		t.Fatalf("v1 subscriber got %q, want the v2 and the v1 publisher's events", got)
	}
	v2sub.sync()

	// The publications that match went to a and nowhere else; the one
	// that matches nothing went nowhere. The idle node got none, not even
	// the session meta events (nobody there listens to them).
	waitSent(t, b)
	if l := linkTo(t, b, a); l.Skipped != 1 {
		t.Errorf("link b→a: %+v: want 1 publication skipped (com.example.none)", l)
	}
	if l := linkTo(t, b, idle); l.Skipped != 6 {
		t.Errorf("link b→idle: %+v: want all 6 publications skipped", l)
	}
	if got := idle.Router().Stats().Publications; got != 0 {
		t.Errorf("the idle node's router saw %d publications, want none", got)
	}
	for _, n := range []*Node{a, b} {
		if l := linkTo(t, n, idle); l.PeerInterests != 0 || l.PeerRealmsSynced != 1 {
			t.Errorf("node %s: link to the idle node %+v: want its empty state", n.Addr(), l)
		}
	}
	if l := linkTo(t, b, a); l.PeerInterests != 4 || l.PeerRealmsSynced != 1 {
		t.Errorf("link b→a %+v: want 4 topics and patterns of a", l)
	}

	// The last subscribers leave: the topics stop crossing.
	v1sub.send(`[6,"legacy/topic"]`)
	v2sub.send(34, 4, prefix)
	v2sub.expect(35, 4)
	waitNoInterest(t, b, a, "realm1", "legacy/topic")
	waitNoInterest(t, b, a, "realm1", "com.example.p.x")
	if l := linkTo(t, b, a); l.PeerInterests != 2 {
		t.Errorf("link b→a %+v: want 2 topics and patterns of a left", l)
	}
}

// TestClusterSessionMetaEventsGoWhereSomeoneListens: the session meta
// events of a node reach a node where a session subscribed to them (and
// only once SUBSCRIBED said so), and no other.
func TestClusterSessionMetaEventsGoWhereSomeoneListens(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 3))
	watcher := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	onJoin := watcher.subscribe(1, dict{}, "wamp.session.on_join")
	onLeave := watcher.subscribe(2, dict{}, "wamp.session.on_leave")
	joined := joinV2(t, nodes[1].Addr(), value.JSON, "realm1")
	m := watcher.recv()
	if len(m) != 5 || m[0] != int64(36) || m[1] != int64(onJoin) {
		t.Fatalf("want EVENT of wamp.session.on_join, got %v", m)
	}
	if d, _ := m[4].(list)[0].(dict); d["session"] != int64(joined.ID) {
		t.Fatalf("on_join details %v, want session %d", d, joined.ID)
	}
	joined.Close()
	m = watcher.recv()
	if len(m) != 5 || m[0] != int64(36) || m[1] != int64(onLeave) || m[4].(list)[0] != int64(joined.ID) {
		t.Fatalf("want EVENT of wamp.session.on_leave for %d, got %v", joined.ID, m)
	}
	if got := nodes[2].Router().Stats().Publications; got != 0 {
		t.Errorf("node 2, where nobody listens, saw %d publications", got)
	}
}

// TestClusterSubscribedBeforeFirstEvent: while the other node has not
// acknowledged a new subscription (its link stalled), the subscriber gets
// neither SUBSCRIBED nor the events published on its own node meanwhile;
// once the acknowledgement arrives SUBSCRIBED comes, and then the events.
func TestClusterSubscribedBeforeFirstEvent(t *testing.T) {
	nodes, proxies := startProxiedCluster(t, 2, nil)
	sub := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	pub := joinV2(t, nodes[0].Addr(), value.CBOR, "realm1")
	for _, p := range proxies {
		p.pause()
	}
	sub.send(32, 1, dict{}, "com.example.held")
	pub.publishAck(1, dict{}, "com.example.held", list{"while held"}, nil)
	sub.sync() // nothing: no SUBSCRIBED, no EVENT
	for _, p := range proxies {
		p.resume()
	}
	m := sub.recv()
	if len(m) != 3 || m[0] != int64(33) || m[1] != int64(1) {
		t.Fatalf("want SUBSCRIBED 1, got %v", m)
	}
	pub.publishAck(2, dict{}, "com.example.held", list{"after"}, nil)
	sub.recvEvent(uint64(m[2].(int64)), dict{}, list{"after"}, nil)
}
