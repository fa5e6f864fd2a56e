package suite

import "github.com/wampgate/wampgate/bench"

// ClusterReport is what scripts/bench-cluster.sh prints: one node against
// an N-node cluster (scripts/cluster.sh), measured with wampbench cluster.
type ClusterReport struct {
	Tool     string                `json:"tool"` // "bench-cluster"
	Nodes    int                   `json:"nodes"`
	Subs     int                   `json:"subs"`
	Duration string                `json:"duration"`
	Rate     float64               `json:"rate"`      // publications/s of relay_latency
	RateSubs int                   `json:"rate_subs"` // its subscribers
	Runs     map[string]ClusterRun `json:"runs"`      // ClusterRunNames
	Summary  ClusterSummary        `json:"summary"`
	Failed   int                   `json:"failed"`
}

// ClusterRunNames are bench-cluster.sh's runs, in the order it runs them:
// one node at full speed, N nodes at full speed, N nodes at a fixed rate
// (relay latency), N nodes with one subscriber each (link capacity).
var ClusterRunNames = []string{"one_node", "cluster", "relay_latency", "link_capacity"}

// ClusterRun is one wampbench cluster run of bench-cluster.sh.
type ClusterRun struct {
	Nodes    int                  `json:"nodes"`
	ExitCode int                  `json:"exit_code"`
	Note     string               `json:"note,omitempty"`
	Result   *bench.ClusterResult `json:"result"`
}

// ClusterSummary holds DESIGN §5's relay figures; nil where a run failed.
type ClusterSummary struct {
	CPUPerDeliveryRatio *float64 `json:"cpu_per_delivery_ratio"` // N nodes ÷ 1, server CPU per delivery
	RelayAddedP99Ms     *float64 `json:"relay_added_p99_ms"`
	MaxLinkEventsPerSec float64  `json:"max_link_events_per_sec"`
	Lost                uint64   `json:"lost"`
	Extra               uint64   `json:"extra"`
}
