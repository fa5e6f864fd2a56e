package suite

// WrkReport is what scripts/bench-wrk.sh prints: wrk through nginx in
// front of 1, 2 and 3 nodes (and against one node directly), per wrk
// script of scripts/wrk/.
type WrkReport struct {
	Tool string `json:"tool"` // "bench-wrk"
	Wrk  struct {
		Threads     int    `json:"threads"`
		Connections int    `json:"connections"`
		Duration    string `json:"duration"`
	} `json:"wrk"`
	Runs   []WrkRun `json:"runs"`
	Failed int      `json:"failed"`
}

// WrkRun is one wrk run of bench-wrk.sh.
type WrkRun struct {
	Nodes    int     `json:"nodes"`
	Target   string  `json:"target"` // "nginx" or "direct"
	Script   string  `json:"script"` // upgrade, healthz, session
	URL      string  `json:"url"`
	ExitCode int     `json:"exit_code"`
	Note     string  `json:"note,omitempty"`
	Wrk      *WrkRes `json:"wrk"` // nil when wrk printed no result
	// NodeCPUMicrosPerValid and NginxCPUMicrosPerValid are the nodes'
	// (summed) and nginx's CPU time ÷ valid responses; nil where unknown.
	NodeCPUMicrosPerValid  *float64 `json:"node_cpu_us_per_valid"`
	NginxCPUMicrosPerValid *float64 `json:"nginx_cpu_us_per_valid"`
}

// WrkRes is the WRK_RESULT line of a scripts/wrk script.
type WrkRes struct {
	Responses            uint64  `json:"responses"`
	Valid                uint64  `json:"valid"`
	ValidPerSec          float64 `json:"valid_per_sec"`
	Invalid              uint64  `json:"invalid"`
	UnexpectedReadErrors uint64  `json:"unexpected_read_errors"`
	Latency              struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"latency_ms"`
}
