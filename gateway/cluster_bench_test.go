package gateway

import (
	"strings"
	"syscall"
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
// cpu-ns/event is the process's CPU time per event (both nodes), steadier
// than events/s on a shared machine.
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
			start, cpu := time.Now(), cpuTime(b)
			// A stalled link fails the benchmark instead of hanging it.
			deadline := start.Add(time.Minute)
			for i := range b.N {
				bc.from.Router().Publish(&wamp.Publication{Topic: "bench/link", Args: args})
				// Stay under the queue limit (records to send and
				// unacknowledged): this measures throughput, not the drop
				// policy. The sleep paces the publisher while the link
				// drains; it orders nothing.
				if i%4096 == 0 {
					for l := bc.from.Stats().Cluster.Links[0]; l.Queued+l.Unacked > 49152; l = bc.from.Stats().Cluster.Links[0] {
						if time.Now().After(deadline) {
							b.Fatalf("link queue stuck: %+v", l)
						}
						time.Sleep(100 * time.Microsecond)
					}
				}
			}
			for bc.to.Stats().Cluster.Links[0].Received < base+uint64(b.N) {
				if time.Now().After(deadline) {
					b.Fatalf("received %d of %d: %+v", bc.to.Stats().Cluster.Links[0].Received-base, b.N, bc.to.Stats().Cluster.Links[0])
				}
				if l := bc.from.Stats().Cluster.Links[0]; l.Dropped > 0 {
					b.Fatalf("the link dropped publications: %+v", l)
				}
				time.Sleep(100 * time.Microsecond) // poll interval
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/event")
			sent := bc.from.Stats().Cluster.Links[0].FramesSent - frames
			b.ReportMetric(float64(b.N)/float64(max(sent, 1)), "events/frame")
		})
	}
}

// cpuTime is the process's user and system CPU time so far: both nodes
// run in it, so its growth is what the link costs, however busy the
// machine is otherwise.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
