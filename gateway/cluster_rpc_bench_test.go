package gateway

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp/value"
)

// BenchmarkClusterRPC measures a v2 call's round trip (CALL sent to
// RESULT read, one call in flight, JSON) to a callee on node 0 of a
// two-node cluster, from a caller on node 0 ("local") and from a caller
// on node 1 ("cross": CALL, INVOCATION, YIELD and RESULT cross a peer
// link). The two alternate in blocks of 500 calls, so both see the same
// machine; each reports its p50 and p99 and the process's CPU per call
// (both nodes and the three test clients run in it: the clients cost the
// same in both, so the difference is what crossing the link costs).
//
//	go test -run '^$' -bench ClusterRPC -benchtime 20000x ./gateway/
func BenchmarkClusterRPC(b *testing.B) {
	nodes := startCluster(b, freeAddrs(b, 2))
	callee := joinRPC(b, nodes[0].Addr(), value.JSON)
	callee.register(1, dict{}, "com.bench.echo")
	waitProcedure(b, nodes, "com.bench.echo")
	stop := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- serveEcho(callee, stop) }()
	callers := []*v2Client{joinRPC(b, nodes[0].Addr(), value.JSON), joinRPC(b, nodes[1].Addr(), value.JSON)}
	names := []string{"local", "cross"}

	const block = 500
	rtts := [2][]time.Duration{}
	cpu := [2]time.Duration{}
	req := uint64(0)
	b.ResetTimer()
	for done := 0; done < b.N; {
		for k, c := range callers {
			n := min(block, b.N-done)
			if k == 1 {
				done += n
			}
			start := cpuTime(b)
			for range n {
				req++
				t0 := time.Now()
				if err := c.SendText(fmt.Sprintf(`[48,%d,{},"com.bench.echo",[%d]]`, req, req)); err != nil {
					b.Fatal(err)
				}
				msg, err := c.ReadText(waitLong)
				if err != nil {
					b.Fatalf("%s call %d: %v", names[k], req, err)
				}
				rtts[k] = append(rtts[k], time.Since(t0))
				if want := fmt.Sprintf(`[50,%d,{},[%d]]`, req, req); msg != want {
					b.Fatalf("%s: got %s, want %s", names[k], msg, want)
				}
			}
			cpu[k] += cpuTime(b) - start
		}
	}
	b.StopTimer()
	close(stop)
	callee.Close()
	<-served
	for k, name := range names {
		d := rtts[k]
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds()), name+"-p50-µs")
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), name+"-p99-µs")
		b.ReportMetric(float64(cpu[k].Microseconds())/float64(len(d)), name+"-cpu-µs/call")
	}
}

// serveEcho answers every INVOCATION the callee reads with a YIELD of its
// arguments, until stop is closed or the connection ends.
func serveEcho(callee *v2Client, stop <-chan struct{}) error {
	for {
		msg, err := callee.ReadText(time.Minute)
		select {
		case <-stop:
			return nil
		default:
		}
		if err != nil {
			return err
		}
		var m []json.RawMessage
		if err := json.Unmarshal([]byte(msg), &m); err != nil || len(m) != 5 || string(m[0]) != "68" {
			return fmt.Errorf("callee: not an INVOCATION: %s", msg)
		}
		if err := callee.SendText(`[70,` + string(m[1]) + `,{},` + string(m[4]) + `]`); err != nil {
			return err
		}
	}
}
