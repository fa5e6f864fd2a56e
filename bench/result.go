package bench

import (
	"encoding/json"

	"github.com/wampgate/wampgate/bench/latency"
)

// ServerFigures is what wampbench read about the server process during a
// run. RSS is VmRSS of /proc/PID/status; CPU is utime+stime of
// /proc/PID/stat (all threads), in seconds.
type ServerFigures struct {
	PID          int     `json:"pid"`
	RSSBeforeKiB int64   `json:"rss_before_kib"`
	RSSAfterKiB  int64   `json:"rss_after_kib"`
	RSSPeakKiB   int64   `json:"rss_peak_kib"`
	CPUSeconds   float64 `json:"cpu_seconds"` // over the measured phase
	// UserCPUSeconds and SystemCPUSeconds split CPUSeconds into user
	// mode and kernel time (utime and stime).
	UserCPUSeconds   float64         `json:"user_cpu_seconds"`
	SystemCPUSeconds float64         `json:"system_cpu_seconds"`
	Healthz          json.RawMessage `json:"healthz,omitempty"` // GET /healthz at the end, if it answered JSON
}

// IdleResult is the outcome of RunIdle.
type IdleResult struct {
	Mode     string `json:"mode"` // "idle"
	Label    string `json:"label,omitempty"`
	URL      string `json:"url"`
	Protocol string `json:"protocol"` // WebSocket subprotocol of the sessions
	Topic    string `json:"topic"`
	Target   int    `json:"target_sessions"`
	Workers  int    `json:"workers"`

	Established  int            `json:"established"` // subscribed sessions opened
	Failed       int            `json:"failed"`
	Failures     map[string]int `json:"failures,omitempty"` // reason → count
	Disconnected int            `json:"disconnected"`       // established, then lost before the end
	Disconnects  map[string]int `json:"disconnects,omitempty"`
	// Verified counts sessions that received one event published after the
	// hold (-1 when verification was off): proof the subscriptions exist.
	Verified int `json:"verified"`

	ConnectSeconds   float64         `json:"connect_seconds"`
	HandshakesPerSec float64         `json:"handshakes_per_sec"`
	HandshakeLatency latency.Summary `json:"handshake_latency"` // dial → WELCOME, client side
	HoldSeconds      float64         `json:"hold_seconds"`

	Server ServerFigures `json:"server"` // CPUSeconds: connect + hold
	// Server CPU in the connect phase (TCP accept, upgrade, WELCOME,
	// SUBSCRIBE) and while merely holding the sessions.
	ServerCPUConnectSeconds float64 `json:"server_cpu_connect_seconds"`
	ServerCPUHoldSeconds    float64 `json:"server_cpu_hold_seconds"`
	ServerCPUMicrosPerConn  float64 `json:"server_cpu_us_per_session"` // connect phase CPU / established
	KiBPerSession           float64 `json:"server_kib_per_session"`    // (RSS after − before) / established

	ClientCPUSeconds float64 `json:"client_cpu_seconds"`
}

// FanoutResult is the outcome of RunFanout.
type FanoutResult struct {
	Mode        string `json:"mode"` // "fanout"
	Label       string `json:"label,omitempty"`
	URL         string `json:"url"`
	Protocol    string `json:"protocol"`     // the subscribers' WebSocket subprotocol
	PubProtocol string `json:"pub_protocol"` // the publishers'

	Topic   string `json:"topic"`
	Workers int    `json:"workers"`

	TargetSubscribers int            `json:"target_subscribers"`
	Subscribers       int            `json:"subscribers"` // sessions that received the warm-up event
	Publishers        int            `json:"publishers"`
	Failed            int            `json:"failed"`
	Failures          map[string]int `json:"failures,omitempty"`
	EventBytes        int            `json:"event_bytes"`           // the event element in the publishers' encoding
	FrameBytes        int            `json:"frame_bytes,omitempty"` // v1: one EVENT frame as the server sends it (if it does not re-encode)
	RateTarget        float64        `json:"rate_target"`           // publications/s; 0: full speed
	Window            int            `json:"window"`
	Batch             int            `json:"batch"`

	// The connect phase: every session dialled, upgraded and welcomed,
	// every subscriber subscribed (the workers' setup, in parallel).
	ConnectSeconds          float64 `json:"connect_seconds"`
	HandshakesPerSec        float64 `json:"handshakes_per_sec"` // sessions established ÷ ConnectSeconds
	ServerCPUConnectSeconds float64 `json:"server_cpu_connect_seconds"`
	RSSConnectedKiB         int64   `json:"rss_connected_kib"` // server RSS once every session is open

	Published      uint64  `json:"published"`
	PublishSeconds float64 `json:"publish_seconds"`
	PublishRate    float64 `json:"publish_rate"` // publications/s
	WindowWaits    uint64  `json:"window_waits"`
	Late           uint64  `json:"late"` // fixed rate: sent >2 ms behind schedule
	PublishError   string  `json:"publish_error,omitempty"`

	Expected         uint64  `json:"expected"` // published × subscribers
	Received         uint64  `json:"received"`
	Lost             uint64  `json:"lost"`
	Extra            uint64  `json:"extra"` // received beyond expected (duplicates)
	Foreign          uint64  `json:"foreign"`
	MeasureSeconds   float64 `json:"measure_seconds"` // first publish → last delivery
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`

	Latency latency.Summary `json:"latency"` // publish send → event read, wall clock

	Server              ServerFigures  `json:"server"` // CPUSeconds over the measure window
	ServerCPUPercent    float64        `json:"server_cpu_percent"`
	DeliveriesPerCPUSec float64        `json:"deliveries_per_server_cpu_sec"`
	ClientCPUSeconds    float64        `json:"client_cpu_seconds"` // all workers, measure window
	ClientReads         uint64         `json:"client_reads"`
	EventsPerClientRead float64        `json:"events_per_client_read"`
	Disconnected        int            `json:"disconnected"`
	Disconnects         map[string]int `json:"disconnects,omitempty"`

	// Net is the server's writes over the measured phase, from /healthz
	// before and after it (nil for a server without wampgate's counters).
	Net *NetFigures `json:"net,omitempty"`
}

// HandshakeResult is the outcome of RunHandshakes.
type HandshakeResult struct {
	Mode        string `json:"mode"` // "handshakes"
	Label       string `json:"label,omitempty"`
	URL         string `json:"url"`
	Protocol    string `json:"protocol"`
	Workers     int    `json:"workers"`
	Concurrency int    `json:"concurrency"` // per worker

	Handshakes       uint64          `json:"handshakes"` // connect + 101 + WELCOME completed (then closed)
	Failed           int             `json:"failed"`
	Failures         map[string]int  `json:"failures,omitempty"`
	CloseProblems    map[string]int  `json:"close_problems,omitempty"`
	Seconds          float64         `json:"seconds"`
	HandshakesPerSec float64         `json:"handshakes_per_sec"`
	Latency          latency.Summary `json:"latency"` // dial → WELCOME

	Server               ServerFigures `json:"server"`
	ServerCPUMicrosPerHS float64       `json:"server_cpu_us_per_handshake"`
	// ServerUserMicrosPerHS and ServerSystemMicrosPerHS split it into
	// user mode and kernel time.
	ServerUserMicrosPerHS   float64 `json:"server_user_us_per_handshake"`
	ServerSystemMicrosPerHS float64 `json:"server_system_us_per_handshake"`
	ClientCPUSeconds        float64 `json:"client_cpu_seconds"`
	ClientCPUMicrosPerHS    float64 `json:"client_cpu_us_per_handshake"`
}

// BackendResult is the outcome of RunBackend: one row of the backend
// table, and the fan-out run it was measured with.
type BackendResult struct {
	Mode             string  `json:"mode"` // "backend"
	Label            string  `json:"label,omitempty"`
	URL              string  `json:"url"`
	Conns            int     `json:"conns"`                       // sessions asked for
	Rate             float64 `json:"rate"`                        // publications/s
	DeliveriesBudget float64 `json:"deliveries_budget,omitempty"` // deliveries/s the rate came from (0: rate given)

	// KiBPerSession is (RSS with every session open − RSS before the
	// first) ÷ sessions: the subscribers that received the warm-up event
	// and the publisher.
	KiBPerSession float64 `json:"server_kib_per_session"`
	// ServerCPUMicrosPerSession is the connect phase's server CPU ÷
	// sessions (accept, upgrade, WELCOME, SUBSCRIBE).
	ServerCPUMicrosPerSession float64 `json:"server_cpu_us_per_session"`
	// ServerCPUMicrosPerDelivery is the publishing phase's server CPU ÷
	// events delivered.
	ServerCPUMicrosPerDelivery float64 `json:"server_cpu_us_per_delivery"`

	// Fanout holds every figure: the connect phase (handshake rate, RSS
	// connected), latency, loss, server CPU-seconds while publishing.
	Fanout *FanoutResult `json:"fanout"`
}

// RPCResult is the outcome of RunRPC.
type RPCResult struct {
	Mode      string `json:"mode"` // "rpc"
	Label     string `json:"label,omitempty"`
	URL       string `json:"url"`
	Protocol  string `json:"protocol"`
	Procedure string `json:"procedure"`
	Invoke    string `json:"invoke,omitempty"` // the shared registration's policy, with several callees

	TargetCallees int            `json:"target_callees"`
	TargetCallers int            `json:"target_callers"`
	Callees       int            `json:"callees"` // registered
	Callers       int            `json:"callers"`
	Failed        int            `json:"failed"`
	Failures      map[string]int `json:"failures,omitempty"`
	Concurrency   int            `json:"concurrency"` // calls in flight per caller
	ArgBytes      int            `json:"arg_bytes"`   // the call's argument, echoed in the result

	Calls       uint64          `json:"calls"`  // answered with RESULT
	Errors      uint64          `json:"errors"` // answered with ERROR
	ErrorURIs   map[string]int  `json:"error_uris,omitempty"`
	Unanswered  uint64          `json:"unanswered"`  // still in flight after the drain, or on a lost session
	Invocations uint64          `json:"invocations"` // INVOCATIONs the callees answered
	Foreign     uint64          `json:"foreign"`
	Seconds     float64         `json:"seconds"` // first call → last answer
	CallsPerSec float64         `json:"calls_per_sec"`
	Latency     latency.Summary `json:"latency"` // round trip: CALL sent → RESULT read

	Server                 ServerFigures  `json:"server"` // CPUSeconds over the calling phase
	RSSConnectedKiB        int64          `json:"rss_connected_kib"`
	ServerCPUMicrosPerCall float64        `json:"server_cpu_us_per_call"`
	ClientCPUSeconds       float64        `json:"client_cpu_seconds"`
	Disconnected           int            `json:"disconnected"`
	Disconnects            map[string]int `json:"disconnects,omitempty"`
}
