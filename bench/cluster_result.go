package bench

import (
	"fmt"
	"io"

	"github.com/wampgate/wampgate/bench/latency"
)

// ClusterResult is the outcome of RunCluster: subscribers spread over the
// nodes of a cluster, publishers on the first node.
type ClusterResult struct {
	Mode  string   `json:"mode"` // "cluster"
	Label string   `json:"label,omitempty"`
	URLs  []string `json:"urls"` // one per node; publishers on the first
	Topic string   `json:"topic"`

	TargetSubscribers int            `json:"target_subscribers"`
	Subscribers       int            `json:"subscribers"` // sessions open and subscribed, all nodes
	WarmedUp          int            `json:"warmed_up"`   // of those, reached by the warm-up event
	Publishers        int            `json:"publishers"`
	Workers           int            `json:"workers"`
	Failed            int            `json:"failed"`
	Failures          map[string]int `json:"failures,omitempty"`
	EventBytes        int            `json:"event_bytes"`
	RateTarget        float64        `json:"rate_target"` // publications/s; 0: full speed within the window
	Window            int            `json:"window"`
	Batch             int            `json:"batch"`

	Published      uint64  `json:"published"`
	PublishSeconds float64 `json:"publish_seconds"`
	PublishRate    float64 `json:"publish_rate"` // publications/s
	WindowWaits    uint64  `json:"window_waits"`
	Late           uint64  `json:"late"`
	PublishError   string  `json:"publish_error,omitempty"`

	// Deliveries over all nodes (see ClusterNode).
	Deliveries       DeliveryCount `json:"deliveries"`
	MeasureSeconds   float64       `json:"measure_seconds"` // first publish → last delivery
	DeliveriesPerSec float64       `json:"deliveries_per_sec"`

	// Latency is publish→event over every subscriber; Local over the
	// publishers' node only, Relayed over the other nodes (their events
	// crossed one peer link). RelayAddedP99Ms is Relayed.P99Ms −
	// Local.P99Ms: what the relay adds at p99 (DESIGN §5: ≤ 2 ms).
	Latency         latency.Summary `json:"latency"`
	Local           latency.Summary `json:"latency_local"`
	Relayed         latency.Summary `json:"latency_relayed"`
	RelayAddedP99Ms float64         `json:"relay_added_p99_ms"`

	// ServerCPUSeconds sums the nodes' CPU time (each process once) over
	// the measured phase; DeliveriesPerCPUSec is all deliveries divided
	// by it, and ServerCPUMicrosPerDelivery its inverse: the figure to
	// compare between 1 and 3 nodes (DESIGN §5: ≤ 1.3×).
	ServerCPUSeconds float64 `json:"server_cpu_seconds"`
	// BrokerCPUSeconds is the part of ServerCPUSeconds spent by
	// ClusterOptions.BrokerPIDs (a nats-server).
	BrokerCPUSeconds           float64 `json:"broker_cpu_seconds,omitempty"`
	DeliveriesPerCPUSec        float64 `json:"deliveries_per_server_cpu_sec"`
	ServerCPUMicrosPerDelivery float64 `json:"server_cpu_us_per_delivery"`

	// Links are the peer links' counters over the measured phase, from
	// each node's /healthz "cluster" object; LinksNote says why there are
	// none. MaxLinkEventsPerSec is the most publications one link sent
	// per second of publishing (DESIGN §5: a link carries ≥ 500,000/s).
	Links               []ClusterLink `json:"links,omitempty"`
	LinksNote           string        `json:"links_note,omitempty"`
	MaxLinkEventsPerSec float64       `json:"max_link_events_per_sec"`

	Nodes []ClusterNode `json:"nodes"`

	ClientCPUSeconds float64        `json:"client_cpu_seconds"`
	Foreign          uint64         `json:"foreign"`
	Disconnected     int            `json:"disconnected"`
	Disconnects      map[string]int `json:"disconnects,omitempty"`
}

// DeliveryCount checks exactly-once delivery. Expected is publications ×
// subscribers open when publishing began; Received counts every stamped
// event; Repeats those whose sequence number was not above the last one
// the same session had from the same publisher (duplicates, or
// reordering). Lost is Expected − (Received − Repeats) when positive;
// Extra is Repeats plus any surplus of distinct events.
type DeliveryCount struct {
	Expected uint64 `json:"expected"`
	Received uint64 `json:"received"`
	Repeats  uint64 `json:"repeats"`
	Lost     uint64 `json:"lost"`
	Extra    uint64 `json:"extra"`
}

// newDeliveryCount derives Lost and Extra.
func newDeliveryCount(expected, received, repeats uint64) DeliveryCount {
	d := DeliveryCount{Expected: expected, Received: received, Repeats: repeats, Extra: repeats}
	distinct := received - min(repeats, received)
	if distinct < expected {
		d.Lost = expected - distinct
	} else {
		d.Extra += distinct - expected
	}
	return d
}

// ClusterNode is one node's share of a cluster run.
type ClusterNode struct {
	URL         string `json:"url"`
	Publisher   bool   `json:"publisher"` // the publishers' node (its deliveries are local)
	Workers     int    `json:"workers"`
	Subscribers int    `json:"subscribers"`

	Deliveries       DeliveryCount   `json:"deliveries"`
	DeliveriesPerSec float64         `json:"deliveries_per_sec"`
	Latency          latency.Summary `json:"latency"`

	// Server figures; PID 0 when the process was not found. CPUSeconds
	// covers all the node's work (its own deliveries, decoding the
	// publications or receiving them from a link, relaying).
	PID         int     `json:"pid"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	RSSAfterKiB int64   `json:"rss_after_kib"`
}

// WriteText writes a human-readable summary of r.
func (r *ClusterResult) WriteText(w io.Writer) {
	p := printer{w: w}
	p.title("cluster", r.Label, fmt.Sprintf("%d node(s), publishers on %s", len(r.URLs), first(r.URLs)))
	mode := "full speed"
	if r.RateTarget > 0 {
		mode = fmt.Sprintf("%.0f/s", r.RateTarget)
	}
	p.line("sessions", "%d subscribers (of %d; %d warmed up), %d publishers, %d workers, %d failed",
		r.Subscribers, r.TargetSubscribers, r.WarmedUp, r.Publishers, r.Workers, r.Failed)
	p.counts("failures", r.Failures)
	p.line("published", "%d in %.2f s (%.0f/s, %s, window %d), window waits %d, late %d",
		r.Published, r.PublishSeconds, r.PublishRate, mode, r.Window, r.WindowWaits, r.Late)
	if r.PublishError != "" {
		p.line("publish error", "%s", r.PublishError)
	}
	p.deliveries("deliveries", r.Deliveries)
	p.line("throughput", "%s deliveries/s over %.2f s", FormatRate(r.DeliveriesPerSec), r.MeasureSeconds)
	p.latency("latency", r.Latency)
	p.latency("  local", r.Local)
	p.latency("  relayed", r.Relayed)
	if r.Local.Count > 0 && r.Relayed.Count > 0 {
		p.line("relay adds", "%s at p99", ms(r.RelayAddedP99Ms))
	}
	if r.ServerCPUSeconds > 0 {
		p.line("server CPU", "%.2f s in all → %s deliveries per CPU-second (%.3f µs per delivery)",
			r.ServerCPUSeconds, FormatRate(r.DeliveriesPerCPUSec), r.ServerCPUMicrosPerDelivery)
	}
	for _, n := range r.Nodes {
		role := "relayed"
		if n.Publisher {
			role = "local"
		}
		p.line("node", "%s (%s, pid %d): %d subscribers, %s/s, CPU %.2f s, p50 %s p99 %s",
			n.URL, role, n.PID, n.Subscribers, FormatRate(n.DeliveriesPerSec), n.CPUSeconds, ms(n.Latency.P50Ms), ms(n.Latency.P99Ms))
		p.deliveries("", n.Deliveries)
	}
	if len(r.Links) == 0 {
		p.line("peer links", "%s", r.LinksNote)
	}
	for _, l := range r.Links {
		if l.Sent == 0 && l.Received == 0 && l.Dropped == 0 && l.Lost == 0 && l.Duplicates == 0 {
			continue // idle direction; the JSON keeps it
		}
		p.line("peer link", "%s → %s: %d sent (%s/s, %.1f per frame), %d received, %d dropped, %d lost, %d duplicates",
			l.From, l.Peer, l.Sent, FormatRate(l.EventsPerSec), l.EventsPerFrame, l.Received, l.Dropped, l.Lost, l.Duplicates)
	}
	if len(r.Links) > 0 {
		p.line("busiest link", "%s publications/s", FormatRate(r.MaxLinkEventsPerSec))
	}
	p.line("client CPU", "%.2f s", r.ClientCPUSeconds)
	p.line("lost sessions", "%d", r.Disconnected)
	p.counts("disconnects", r.Disconnects)
}

func (p printer) deliveries(name string, d DeliveryCount) {
	p.line(name, "%d expected, %d received, %d lost, %d extra (%d repeated)", d.Expected, d.Received, d.Lost, d.Extra, d.Repeats)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
