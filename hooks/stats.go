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

// counters are one kind's.
type counters struct {
	requests  atomic.Uint64
	failures  [numReasons]atomic.Uint64
	latencyNS atomic.Uint64 // sum over answered requests
	answered  atomic.Uint64
	lastLog   atomic.Int64 // unix nanoseconds of the last failure logged
}

// KindStats are one kind's counters.
type KindStats struct {
	Requests uint64            `json:"requests"`
	Failures map[string]uint64 `json:"failures"`
	// LatencyAvgMicros is the mean time to an answer (µs), over the
	// requests that got an HTTP answer.
	LatencyAvgMicros float64 `json:"latency_avg_us"`
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
	if n := c.answered.Load(); n > 0 {
		ks.LatencyAvgMicros = float64(c.latencyNS.Load()) / float64(n) / float64(time.Microsecond)
	}
	return ks
}
