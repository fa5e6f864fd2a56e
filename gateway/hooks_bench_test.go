package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wampgate/wampgate/hooks"
	"github.com/wampgate/wampgate/wamp/value"
)

// trivialHookServer is an application whose every hook answers
// {"result":{}}.
func trivialHookServer(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"result":{}}`)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// latencyProbe is a v1 subscriber and a v1 publisher on one node; the
// event carries its send time.
type latencyProbe struct {
	pub, sub *wampClient
	got      []time.Duration
	done     chan struct{}
}

func newLatencyProbe(b *testing.B, addr string, n int) *latencyProbe {
	p := &latencyProbe{pub: dialWAMP(b, addr), sub: dialWAMP(b, addr), done: make(chan struct{})}
	p.sub.subscribe("price.bench")
	p.got = make([]time.Duration, 0, n)
	go func() {
		defer close(p.done)
		for len(p.got) < n {
			msg, err := p.sub.ReadText(waitLong)
			if err != nil {
				return
			}
			m := v1EventRE.FindStringSubmatch(msg)
			if m == nil {
				return
			}
			sent, _ := strconv.ParseInt(m[1], 10, 64)
			p.got = append(p.got, time.Duration(time.Now().UnixNano()-sent))
		}
	}()
	return p
}

func (p *latencyProbe) publish() {
	p.pub.publish("price.bench", `"`+strconv.FormatInt(time.Now().UnixNano(), 10)+`"`)
}

// p50 waits for every event and returns their median latency.
func (p *latencyProbe) p50(b *testing.B, n int) time.Duration {
	select {
	case <-p.done:
	case <-time.After(waitLong):
	}
	if len(p.got) != n {
		b.Fatalf("%d events of %d", len(p.got), n)
	}
	slices.Sort(p.got)
	return p.got[n/2]
}

// BenchmarkHookPublishLatency: publish→event latency on loopback at
// 1,000 publications/s, one v1 publisher and one v1 subscriber, on a node
// whose publish hook is a trivial in-process net/http server answering
// {"result":{}} and, in the same run and the same ticks, on a node
// without hooks. Reports p50-µs (hooked), base-p50-µs and
// hook-added-p50-µs.
//
//	go test -run '^$' -bench HookPublishLatency -benchtime 5000x ./gateway/
func BenchmarkHookPublishLatency(b *testing.B) {
	hooked := startNode(b, hookConfig(trivialHookServer(b), hooks.Config{Publish: []string{"price."}}))
	plain := startNode(b, testConfig("epoll"))
	hp, pp := newLatencyProbe(b, hooked.Addr(), b.N), newLatencyProbe(b, plain.Addr(), b.N)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for range b.N {
		<-tick.C
		hp.publish()
		pp.publish()
	}
	h, p := hp.p50(b, b.N), pp.p50(b, b.N)
	b.StopTimer()
	b.ReportMetric(float64(h.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p.Microseconds()), "base-p50-µs")
	b.ReportMetric(float64((h - p).Microseconds()), "hook-added-p50-µs")
}

// BenchmarkHookPublishThroughput: hooked publications per second on one
// node, 64 v2 (JSON) sessions each keeping one acknowledged publication
// in flight, the publish hook a trivial in-process net/http server
// answering {"result":{}}; nobody subscribes.
//
//	go test -run '^$' -bench HookPublishThroughput -benchtime 20000x ./gateway/
func BenchmarkHookPublishThroughput(b *testing.B) {
	const sessions = 64
	n := startNode(b, hookConfig(trivialHookServer(b), hooks.Config{Publish: []string{"*"}}))
	clients := make([]*v2Client, sessions)
	for i := range clients {
		clients[i] = joinV2(b, n.Addr(), value.JSON, "realm1")
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range clients {
		share := b.N / sessions
		if i < b.N%sessions {
			share++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for req := range share {
				if err := c.SendText(string(c.encode(publishMsg(uint64(req+1), dict{"acknowledge": true}, "price.bench", list{req}, nil)...))); err != nil {
					return
				}
				if _, err := c.ReadText(waitLong); err != nil { // PUBLISHED
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if got := n.Stats().Hooks.Kinds["publish"].Requests; got != uint64(b.N) {
		b.Fatalf("%d hook requests, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pubs/s")
}
