package httpapi

import (
	"strconv"
	"sync/atomic"
	"time"
)

// LatencyBuckets are the upper bounds, in seconds, of the buckets of the
// request latency histogram: from half a millisecond (a publication) to
// the longest call timeouts.
var LatencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Endpoints a request's latency is filed under: its path.
const (
	endpointPublish = iota
	endpointCall
	endpointOther // any other path
	numEndpoints
)

var endpointNames = [numEndpoints]string{"publish", "call", "other"}

func endpointOf(path string) int {
	switch path {
	case PathPublish:
		return endpointPublish
	case PathCall:
		return endpointCall
	}
	return endpointOther
}

// numClasses are the status classes, 1xx to 5xx, by hundreds (index 0
// holds anything else).
const numClasses = 6

// latencyHist is one endpoint's and status class's histogram: a count
// per bucket (the last one is +Inf) and the sum. Each request updates it
// once; API requests are not the delivery path.
type latencyHist struct {
	counts [len(LatencyBuckets) + 1]atomic.Uint64
	sumNS  atomic.Uint64
}

// latencies are the API's request latency histograms.
type latencies [numEndpoints][numClasses]latencyHist

// observe files a request to endpoint answered with status after d.
func (l *latencies) observe(endpoint, status int, d time.Duration) {
	class := status / 100
	if class < 1 || class >= numClasses {
		class = 0
	}
	h := &l[endpoint][class]
	s := d.Seconds()
	i := 0
	for i < len(LatencyBuckets) && s > LatencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNS.Add(uint64(max(d, 0)))
}

// LatencySeries is one endpoint's and status class's request latencies:
// Buckets[i] counts the requests answered within LatencyBuckets[i]
// seconds (cumulative), Count all of them, Sum their seconds.
type LatencySeries struct {
	Endpoint    string
	StatusClass string // "2xx", "4xx", …
	Count       uint64
	Sum         float64
	Buckets     [len(LatencyBuckets)]uint64
}

// Latencies returns the request latency histograms that saw a request.
// A request is timed from its complete head to its answer queued to the
// connection.
func (a *API) Latencies() []LatencySeries {
	var out []LatencySeries
	for e := range a.latency {
		for c := range a.latency[e] {
			h := &a.latency[e][c]
			s := LatencySeries{Endpoint: endpointNames[e], StatusClass: "other"}
			if c > 0 {
				s.StatusClass = strconv.Itoa(c) + "xx"
			}
			for i := range h.counts {
				s.Count += h.counts[i].Load()
				if i < len(s.Buckets) {
					s.Buckets[i] = s.Count
				}
			}
			if s.Count == 0 {
				continue
			}
			s.Sum = float64(h.sumNS.Load()) / 1e9
			out = append(out, s)
		}
	}
	return out
}
