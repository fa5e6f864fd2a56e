package gateway

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// relayRig is a three-node cluster with v1 subscribers whose readers
// count the events they get.
type relayRig struct {
	nodes  []*Node
	events atomic.Int64
	topics []string
	perPub int // deliveries per publication
}

// newRelayRig starts a cluster (relayAll: broadcast.Config.RelayAll) and
// subscribes: sparse, one subscriber per topic, topic i on node i%3;
// dense, one topic with perNode subscribers on every node.
func newRelayRig(b *testing.B, relayAll, sparse bool, topics, perNode int) *relayRig {
	pool := freeAddrs(b, 3)
	rig := &relayRig{nodes: make([]*Node, len(pool))}
	for i := range pool {
		cfg := clusterConfig(pool, i, testSecret)
		cfg.Cluster.RelayAll = relayAll
		rig.nodes[i] = startNode(b, cfg)
	}
	for _, n := range rig.nodes {
		waitLinksUp(b, n, len(pool)-1)
	}
	subscribe := func(n *Node, topic string) {
		w := dialWAMP(b, n.Addr())
		w.subscribe(topic)
		go func() {
			for {
				if _, err := w.ReadText(time.Hour); err != nil {
					return
				}
				rig.events.Add(1)
			}
		}()
	}
	if sparse {
		for i := range topics {
			topic := fmt.Sprintf("com.bench.sparse.%d", i)
			rig.topics = append(rig.topics, topic)
			subscribe(rig.nodes[i%len(rig.nodes)], topic)
		}
		rig.perPub = 1
	} else {
		rig.topics = []string{"com.bench.dense"}
		for _, n := range rig.nodes {
			for range perNode {
				subscribe(n, rig.topics[0])
			}
		}
		rig.perPub = perNode * len(rig.nodes)
	}
	for _, topic := range rig.topics {
		waitInterest(b, rig.nodes, "realm1", topic)
	}
	return rig
}

// linkRecords is the publication records node 0 has relayed, every link.
func (r *relayRig) linkRecords() uint64 {
	var n uint64
	for _, l := range r.nodes[0].Stats().Cluster.Links {
		n += l.Sent
	}
	return n
}

// run publishes n publications on node 0 (round robin over the topics)
// and waits until every delivery arrived; it returns the process CPU
// time it took and the publication records sent over node 0's links.
func (r *relayRig) run(b *testing.B, n int, args wamp.Payload) (time.Duration, uint64) {
	want := r.events.Load() + int64(n*r.perPub)
	recs := r.linkRecords()
	start := cpuTime(b)
	for i := range n {
		r.nodes[0].Router().Publish(&wamp.Publication{Topic: r.topics[i%len(r.topics)], Args: args})
	}
	for deadline := time.Now().Add(time.Minute); r.events.Load() < want; time.Sleep(50 * time.Microsecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries", r.events.Load()-want+int64(n*r.perPub), n*r.perPub)
		}
	}
	return cpuTime(b) - start, r.linkRecords() - recs
}

// BenchmarkClusterRelay measures three-node fan-out with interest-based
// relay against relaying everything (broadcast.Config.RelayAll), two
// clusters in the same process, alternating in blocks: server CPU (the
// process: nodes and subscriber clients) per delivery, and publication
// records sent over the links per publication. sparse: 300 topics, each
// subscribed on one node of three, publications round robin over them
// (one delivery each); dense: one topic with 20 subscribers on every
// node (60 deliveries each). Publications are made on node 0 (128-byte
// payload).
//
//	go test -run '^$' -bench ClusterRelay -benchtime 20000x ./gateway/
func BenchmarkClusterRelay(b *testing.B) {
	args := wamp.Payload{Raw: []byte(`["` + strings.Repeat("x", 124) + `"]`), Format: value.JSON}
	for _, bc := range []struct {
		name   string
		sparse bool
		block  int
	}{{"sparse", true, 3000}, {"dense", false, 300}} {
		b.Run(bc.name, func(b *testing.B) {
			rigs := []*relayRig{newRelayRig(b, false, bc.sparse, 300, 20), newRelayRig(b, true, bc.sparse, 300, 20)}
			names := []string{"interest", "relayall"}
			var cpu [2]time.Duration
			var recs [2]uint64
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(bc.block, b.N-done)
				for k, rig := range rigs {
					c, r := rig.run(b, n, args)
					cpu[k] += c
					recs[k] += r
				}
				done += n
			}
			b.StopTimer()
			for k, name := range names {
				b.ReportMetric(float64(cpu[k].Nanoseconds())/float64(b.N*rigs[k].perPub), name+"-cpu-ns/delivery")
				b.ReportMetric(float64(recs[k])/float64(b.N), name+"-link-records/pub")
			}
		})
	}
}
