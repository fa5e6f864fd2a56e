package gateway

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// BenchmarkGatewayFanOut publishes to 200 WAMP v1 subscribers on real
// sockets, through the gateway's connections (conn.SendFrame, netpoll's
// queue and writev), and waits after every 32 publications until each
// subscriber has read every event: the whole delivery path, ns/delivery.
//
//	go test -run '^$' -bench GatewayFanOut ./gateway/
func BenchmarkGatewayFanOut(b *testing.B) {
	const subscribers, batch = 200, 32
	n := startNode(b, testConfig("epoll"))
	const topic = "bench/gateway/fanout"
	var received atomic.Int64
	for range subscribers {
		w := dialWAMP(b, n.Addr())
		w.subscribe(topic)
		go func() {
			for {
				if _, err := w.ReadFrame(time.Minute); err != nil {
					return // the benchmark's cleanup closed the client
				}
				received.Add(1)
			}
		}()
	}
	args := wamp.Payload{Raw: []byte(`[{"price":1234,"item":"x"}]`), Format: value.JSON}
	b.ReportAllocs()
	sent := int64(0)
	wait := func() {
		deadline := time.Now().Add(time.Minute)
		for received.Load() < sent*subscribers {
			if time.Now().After(deadline) {
				b.Fatalf("%d events of %d after a minute", received.Load(), sent*subscribers)
			}
			runtime.Gosched()
		}
	}
	for b.Loop() {
		n.Router().Publish(&wamp.Publication{Topic: topic, Args: args})
		if sent++; sent%batch == 0 {
			wait()
		}
	}
	wait()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sent*subscribers), "ns/delivery")
}
