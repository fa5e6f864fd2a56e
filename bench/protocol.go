package bench

import (
	"time"

	"github.com/wampgate/wampgate/bench/latency"
)

// The coordinating process drives each worker with one JSON request per
// line on the worker's stdin; the worker answers each with one JSON line
// on its stdout. The sequence is always:
//
//	setup → ready, then any of publish → published, churn → churned,
//	call → called, reset → ok, report → report, and finally close →
//	closed (or EOF).
const (
	opSetup     = "setup"
	opReady     = "ready"
	opPublish   = "publish"
	opPublished = "published"
	opChurn     = "churn"
	opChurned   = "churned"
	opCall      = "call"
	opCalled    = "called"
	opReset     = "reset"
	opOK        = "ok"
	opReport    = "report"
	opClose     = "close"
	opClosed    = "closed"
)

// request is a line from parent to worker.
type request struct {
	Op      string         `json:"op"`
	Setup   *workerSetup   `json:"setup,omitempty"`
	Publish *publishParams `json:"publish,omitempty"`
	Churn   *churnParams   `json:"churn,omitempty"`
	Call    *callParams    `json:"call,omitempty"`
}

// response is a line from worker to parent. Err set means the request
// failed.
type response struct {
	Op        string         `json:"op"`
	Err       string         `json:"err,omitempty"`
	Ready     *readyInfo     `json:"ready,omitempty"`
	Published *publishResult `json:"published,omitempty"`
	Report    *workerReport  `json:"report,omitempty"`
}

// workerSetup tells a worker what to open.
type workerSetup struct {
	Index            int           `json:"index"` // board slot
	Host             string        `json:"host"`
	Path             string        `json:"path"`
	IP               [4]byte       `json:"ip"`
	Port             int           `json:"port"`
	SrcIPs           []string      `json:"src_ips"`
	Topic            string        `json:"topic"`
	Subscribers      int           `json:"subscribers"`
	Publishers       int           `json:"publishers"`
	Callees          int           `json:"callees,omitempty"` // v2: sessions registering Procedure
	Callers          int           `json:"callers,omitempty"` // v2: sessions calling it
	Concurrency      int           `json:"concurrency"`       // handshakes in flight
	HandshakeTimeout time.Duration `json:"handshake_timeout"`
	ConnectTimeout   time.Duration `json:"connect_timeout"` // whole setup phase
	Lifetime         time.Duration `json:"lifetime"`        // the worker exits after this, whatever happens
	// Protocol is the subprotocol of every session but the publishers',
	// which speak PubProtocol ("" for both: "wamp"); v2 sessions join
	// Realm. Procedure is what callees register (shared with invoke
	// roundrobin when SharedRegistration) and callers call.
	Protocol           string `json:"protocol,omitempty"`
	PubProtocol        string `json:"pub_protocol,omitempty"`
	Realm              string `json:"realm,omitempty"`
	Procedure          string `json:"procedure,omitempty"`
	SharedRegistration bool   `json:"shared_registration,omitempty"`
	// TrackPublishers, when positive, makes subscribers check every
	// event's sequence number against the last one they received from the
	// same publisher, numbered TrackBase … TrackBase+TrackPublishers−1:
	// an event not above it is counted in workerReport.Repeats.
	TrackBase       int `json:"track_base,omitempty"`
	TrackPublishers int `json:"track_publishers,omitempty"`
}

// readyInfo answers setup.
type readyInfo struct {
	Subscribers int            `json:"subscribers"` // sessions open and subscribed
	Publishers  int            `json:"publishers"`  // publisher sessions open
	Callees     int            `json:"callees"`     // callee sessions open and registered
	Callers     int            `json:"callers"`     // caller sessions open
	Failed      int            `json:"failed"`
	Failures    map[string]int `json:"failures,omitempty"`
	Seconds     float64        `json:"seconds"`
}

// publishParams asks a worker's publishers to publish.
type publishParams struct {
	Count       uint64        `json:"count"` // stop after this many (0: no limit)
	Duration    time.Duration `json:"duration"`
	Rate        float64       `json:"rate"`        // publications/s over all publishers; 0: full speed
	Window      int           `json:"window"`      // publications in flight at most
	Batch       int           `json:"batch"`       // publications per write at full speed
	Subscribers int           `json:"subscribers"` // deliveries expected per publication
	SubSlots    []int         `json:"sub_slots"`   // board slots counting those deliveries
	Size        int           `json:"size"`        // event size in bytes of JSON
}

// publishResult answers publish.
type publishResult struct {
	Sent        uint64  `json:"sent"`
	Seconds     float64 `json:"seconds"`
	WindowWaits uint64  `json:"window_waits"` // times a publisher waited for the window
	Late        uint64  `json:"late"`         // fixed rate: publications sent > lateAfter behind schedule
	WriteCalls  uint64  `json:"write_calls"`
	Err         string  `json:"err,omitempty"`
}

// callParams asks a worker's callers to keep Concurrency calls each in
// flight for Duration, then to wait up to Drain for the last answers.
type callParams struct {
	Duration    time.Duration `json:"duration"`
	Drain       time.Duration `json:"drain"`
	Concurrency int           `json:"concurrency"` // calls in flight per caller
	Size        int           `json:"size"`        // bytes of the argument in the protocol's encoding
}

// churnParams asks a worker to repeat connect, WELCOME, close.
type churnParams struct {
	Duration time.Duration `json:"duration"`
}

// workerReport answers report: everything the worker counted.
type workerReport struct {
	Established int              `json:"established"`
	Failed      int              `json:"failed"`
	Failures    map[string]int   `json:"failures,omitempty"`
	Open        int              `json:"open"`
	Disconnects map[string]int   `json:"disconnects,omitempty"`
	Received    uint64           `json:"received"`
	Foreign     uint64           `json:"foreign"` // messages other than our stamped events
	Repeats     uint64           `json:"repeats"` // tracked events repeated or out of order (see workerSetup)
	Latency     latency.Snapshot `json:"latency"`
	Handshake   latency.Snapshot `json:"handshake"` // dial → WELCOME
	Churned     uint64           `json:"churned"`   // completed connect/WELCOME/close cycles
	Reads       uint64           `json:"reads"`     // read calls that returned data
	// RPC (Latency is then the round trip of each call answered).
	Calls         uint64         `json:"calls,omitempty"`       // answered with RESULT
	CallErrors    uint64         `json:"call_errors,omitempty"` // answered with ERROR
	CallErrorURIs map[string]int `json:"call_error_uris,omitempty"`
	CallsLeft     int            `json:"calls_left,omitempty"`   // still in flight
	CallsLost     uint64         `json:"calls_lost,omitempty"`   // in flight on a session that was lost
	CallSeconds   float64        `json:"call_seconds,omitempty"` // first call sent → last answer
	Invocations   uint64         `json:"invocations,omitempty"`  // callee: INVOCATIONs answered
}
