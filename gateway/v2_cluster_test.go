package gateway

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/wampgate/wampgate/wamp/value"
)

// nextEventArg reads the next message, requires it to be, byte for byte,
// an EVENT of subscription sub with details and one string argument, and
// returns the argument.
func (c *v2Client) nextEventArg(sub uint64, details dict) string {
	c.t.Helper()
	b := c.next()
	v, err := value.Decode(c.f, b)
	m, _ := v.(list)
	if err != nil || len(m) != 5 || m[0] != int64(36) {
		c.t.Fatalf("want EVENT, got %s", c.show(b))
	}
	pub, _ := m[2].(int64)
	args, _ := m[4].(list)
	arg, _ := args[0].(string)
	if want := c.encode(eventMsg(sub, uint64(pub), details, list{arg}, nil)...); string(b) != string(want) {
		c.t.Fatalf("got %s\nwant %s", c.show(b), c.show(want))
	}
	return arg
}

// v1EventRE matches a v1 EVENT with a string event.
var v1EventRE = regexp.MustCompile(`^\[8,"[^"]*","([^"]*)"\]$`)

// nextEventArg reads the next v1 EVENT of a string event and returns it.
func (w *wampClient) nextEventArg() string {
	w.t.Helper()
	got, err := w.ReadText(waitLong)
	m := v1EventRE.FindStringSubmatch(got)
	if err != nil || m == nil {
		w.t.Fatalf("want a v1 EVENT, got %q (%v)", got, err)
	}
	return m[1]
}

// checkSequences requires events "p:i" for each publisher p of pubs, i
// from 0 to burst-1, exactly once and in each publisher's order.
func checkSequences(t *testing.T, who string, burst int, pubs []string, next func() string) {
	t.Helper()
	seq := map[string]int{}
	for range burst * len(pubs) {
		ev := next()
		var p string
		var i int
		if _, err := fmt.Sscanf(ev, "%1s:%d", &p, &i); err != nil {
			t.Fatalf("%s: unexpected event %q", who, ev)
		}
		if seq[p] != i {
			t.Fatalf("%s: publisher %s event %d arrived when %d was due", who, p, i, seq[p])
		}
		seq[p]++
	}
}

// TestV2ClusterPubSub: v2 publications cross the peer links like v1 ones:
// every subscriber on every node, of either version and any serializer,
// through exact and pattern subscriptions (matched on every node), gets
// each publication exactly once and in each publisher's order; exclude
// and eligible lists name v1 and v2 sessions on any node.
func TestV2ClusterPubSub(t *testing.T) {
	const topic, burst = "com.example.cluster.t", 300
	nodes := startCluster(t, freeAddrs(t, 3))
	var v2Subs []clusterSub
	var v1Subs []*wampClient
	for i, n := range nodes {
		v2Subs = append(v2Subs, subscribeEveryMatch(t, n, i, topic)...)
		w := dialWAMP(t, n.Addr())
		w.subscribe(topic)
		v1Subs = append(v1Subs, w)
	}
	waitInterest(t, nodes, "realm1", topic) // the v1 subscribers get no SUBSCRIBED
	// Publishers on every node: v2 JSON, v2 CBOR, v1; in turn, as fast as
	// they can write.
	checkClusterDelivery(t, nodes, topic, burst, v2Subs, v1Subs)
	for _, n := range nodes {
		for _, l := range n.Stats().Cluster.Links {
			if l.Dropped != 0 || l.Lost != 0 || l.Duplicates != 0 {
				t.Errorf("node %s link %+v: nothing may be dropped, lost or duplicated", n.Addr(), l)
			}
		}
	}
}

// clusterSub is a v2 subscriber of a cluster test: its subscription and
// the details its events carry.
type clusterSub struct {
	c       *v2Client
	sub     uint64
	details dict
}

// subscribeEveryMatch subscribes three v2 clients on node n (the i-th, so
// their serializers rotate) to topic ("com.example.cluster.t"): exactly,
// by prefix and by wildcard.
func subscribeEveryMatch(t *testing.T, n *Node, i int, topic string) []clusterSub {
	var subs []clusterSub
	for j, opts := range []dict{{}, {"match": "prefix"}, {"match": "wildcard"}} {
		uri, details := topic, dict{}
		switch j {
		case 1:
			uri, details = "com.example.cluster", dict{"topic": topic}
		case 2:
			uri, details = "com.example..t", dict{"topic": topic}
		}
		c := joinV2(t, n.Addr(), v2Formats[(i+j)%3], "realm1")
		subs = append(subs, clusterSub{c, c.subscribe(1, opts, uri), details})
	}
	return subs
}

// checkClusterDelivery publishes burst events to topic from a v2 JSON, a
// v2 CBOR and a v1 publisher on nodes 0, 1 and 2 of a 3-node cluster and
// requires every subscriber to get each exactly once in each publisher's
// order; then an exclude list (a v2 session on node 1, the v1 session on
// node 2) and an eligible list (a v2 session on node 2, the v1 session on
// node 1) must reach exactly whom they name.
func checkClusterDelivery(t *testing.T, nodes []*Node, topic string, burst int, v2Subs []clusterSub, v1Subs []*wampClient) {
	t.Helper()
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
	pub0.publishAck(uint64(burst)+1, dict{"exclude": list{v2Subs[3].c.ID, v1ID(t, v1Subs[2])}}, topic, list{"excluded"}, nil)
	// eligible: a v2 session on node 2 and the v1 session on node 1.
	eligible := map[any]bool{v2Subs[7].c: true, v1Subs[1]: true}
	pub0.publishAck(uint64(burst)+2, dict{"eligible": list{v2Subs[7].c.ID, v1ID(t, v1Subs[1])}}, topic, list{"eligible"}, nil)
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
}
