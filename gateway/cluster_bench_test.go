package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// BenchmarkPeerLink measures what one peer link carries: publications
// made on one node of a two-node cluster (no subscribers anywhere, so the
// link is the work) until the other node has received them all. Both
// directions are measured, since the dialing side writes masked frames
// from its own goroutine and the accepting side goes through the reactor.
func BenchmarkPeerLink(b *testing.B) {
	pool := freeAddrs(b, 2)
	nodes := startCluster(b, pool)
	dialer, acceptor := nodes[0], nodes[1]
	if pool[1] < pool[0] {
		dialer, acceptor = acceptor, dialer
	}
	args := wamp.Payload{Raw: []byte(`["` + strings.Repeat("x", 98) + `"]`), Format: value.JSON}
	for _, bc := range []struct {
		name     string
		from, to *Node
	}{{"dialer-to-acceptor", dialer, acceptor}, {"acceptor-to-dialer", acceptor, dialer}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			base := bc.to.Stats().Cluster.Links[0].Received
			frames := bc.from.Stats().Cluster.Links[0].FramesSent
			start := time.Now()
			for i := range b.N {
				bc.from.Router().Publish(&wamp.Publication{Topic: "bench/link", Args: args})
				// Stay under the queue limit: this measures throughput,
				// not the drop policy.
				if i%4096 == 0 {
					for bc.from.Stats().Cluster.Links[0].Queued > 32768 {
						time.Sleep(100 * time.Microsecond)
					}
				}
			}
			for bc.to.Stats().Cluster.Links[0].Received < base+uint64(b.N) {
				time.Sleep(100 * time.Microsecond)
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			sent := bc.from.Stats().Cluster.Links[0].FramesSent - frames
			b.ReportMetric(float64(b.N)/float64(max(sent, 1)), "events/frame")
		})
	}
}
