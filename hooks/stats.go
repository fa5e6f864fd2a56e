package hooks

import (
	"sync/atomic"
	"time"
)

// Kind is one of the four hooks.
type Kind uint8

// The hooks, by the path they POST to.
const (
	KindConnect Kind = iota
	KindSubscribe
	KindPublish
	KindCall
	numKinds
)

var kindNames = [numKinds]string{"connect", "subscribe", "publish", "call"}

// String is the kind's name and path, e.g. "publish".
func (k Kind) String() string { return kindNames[k] }

// Reason is why a hook failed.
type Reason uint8

// Failure reasons.
const (
	ReasonTimeout  Reason = iota // no answer within the timeout
	ReasonRefused                // the connection failed (refused, reset, …)
	ReasonStatus                 // an HTTP status other than 200
	ReasonJunk                   // an answer that is not the contract's
	ReasonOverload               // the FIFO of waiting requests was full
	numReasons
)

var reasonNames = [numReasons]string{"timeout", "refused", "status", "junk", "overload"}

// String is the reason's name in /healthz.
func (r Reason) String() string { return reasonNames[r] }

// LatencyBuckets are the upper bounds, in seconds, of the hooks' latency
// histogram (time from sending a request to its HTTP answer), as
// Prometheus buckets: 250 µs to 5 s.
var LatencyBuckets = [...]float64{0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// counters are one kind's.
type counters struct {
	requests  atomic.Uint64
	failures  [numReasons]atomic.Uint64
	latencyNS atomic.Uint64 // sum over answered requests
	answered  atomic.Uint64
	// buckets counts answered requests per latency bucket (the last one:
	// slower than every bound), not cumulative.
	buckets [len(LatencyBuckets) + 1]atomic.Uint64
	lastLog atomic.Int64 // unix nanoseconds of the last failure logged
}

// observe records one answered request's latency.
func (c *counters) observe(d time.Duration) {
	c.latencyNS.Add(uint64(d))
	c.answered.Add(1)
	i := 0
	for i < len(LatencyBuckets) && d.Seconds() > LatencyBuckets[i] {
		i++
	}
	c.buckets[i].Add(1)
}

// KindStats are one kind's counters.
type KindStats struct {
	Requests uint64            `json:"requests"`
	Failures map[string]uint64 `json:"failures"`
	// LatencyAvgMicros is the mean time to an answer (µs), over the
	// requests that got an HTTP answer.
	LatencyAvgMicros float64 `json:"latency_avg_us"`
	// Answered is how many requests got an HTTP answer; LatencySeconds
	// their summed latency; LatencyBuckets how many of them took at most
	// each bound of LatencyBuckets (cumulative, as Prometheus wants).
	Answered       uint64                      `json:"answered"`
	LatencySeconds float64                     `json:"-"`
	LatencyBuckets [len(LatencyBuckets)]uint64 `json:"-"`
}

// Stats are the hooks' counters, for /healthz.
type Stats struct {
	InFlight int                  `json:"in_flight"`
	Queued   int                  `json:"queued"`
	Kinds    map[string]KindStats `json:"kinds"`
}

func (c *counters) snapshot() KindStats {
	ks := KindStats{Requests: c.requests.Load(), Failures: make(map[string]uint64, numReasons)}
	for r := range numReasons {
		ks.Failures[r.String()] = c.failures[r].Load()
	}
	var cumulative uint64
	for i := range ks.LatencyBuckets {
		cumulative += c.buckets[i].Load()
		ks.LatencyBuckets[i] = cumulative
	}
	// Answered from the buckets, so that the histogram's count is never
	// below its largest bucket while requests are being answered.
	ks.Answered = cumulative + c.buckets[len(LatencyBuckets)].Load()
	ks.LatencySeconds = time.Duration(c.latencyNS.Load()).Seconds()
	if n := c.answered.Load(); n > 0 {
		ks.LatencyAvgMicros = ks.LatencySeconds * 1e6 / float64(n)
	}
	return ks
}
