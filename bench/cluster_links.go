package bench

import "encoding/json"

// LinkCounters are the counters of one peer link, as wampgate's /healthz
// shows them in its "cluster" object (or their growth over a phase).
type LinkCounters struct {
	// Reconnects counts the link's reconnections.
	Reconnects uint64 `json:"reconnects"`
	// Sent counts publications relayed to the peer, in FramesSent
	// batches; Received those the peer relayed to this node.
	Sent       uint64 `json:"sent"`
	FramesSent uint64 `json:"frames_sent"`
	Received   uint64 `json:"received"`
	// Dropped (queue full), Lost (gaps in the peer's sequence) and
	// Duplicates (records received twice) are the link's own loss
	// accounting.
	Dropped    uint64 `json:"dropped"`
	Lost       uint64 `json:"lost"`
	Duplicates uint64 `json:"duplicates"`
}

// since returns c − before, or c itself when a counter went backwards
// (the node restarted in between).
func (c LinkCounters) since(before LinkCounters) LinkCounters {
	if c.Reconnects < before.Reconnects || c.Sent < before.Sent || c.FramesSent < before.FramesSent ||
		c.Received < before.Received || c.Dropped < before.Dropped || c.Lost < before.Lost || c.Duplicates < before.Duplicates {
		return c
	}
	return LinkCounters{
		Reconnects: c.Reconnects - before.Reconnects,
		Sent:       c.Sent - before.Sent,
		FramesSent: c.FramesSent - before.FramesSent,
		Received:   c.Received - before.Received,
		Dropped:    c.Dropped - before.Dropped,
		Lost:       c.Lost - before.Lost,
		Duplicates: c.Duplicates - before.Duplicates,
	}
}

// ClusterLink is one node's link to one peer over a measured phase.
type ClusterLink struct {
	From  string `json:"from"`  // the node reporting (its pool address)
	Peer  string `json:"peer"`  // the other end
	State string `json:"state"` // at the end: "up" or "down"
	LinkCounters
	// EventsPerSec is Sent per second of publishing; EventsPerFrame is
	// Sent ÷ FramesSent.
	EventsPerSec   float64 `json:"events_per_sec"`
	EventsPerFrame float64 `json:"events_per_frame"`
}

// healthzCluster is the part of wampgate's /healthz body that
// describes the peer links.
type healthzCluster struct {
	Cluster *struct {
		Node  string `json:"node"`
		Links []struct {
			Peer  string `json:"peer"`
			State string `json:"state"`
			LinkCounters
		} `json:"links"`
	} `json:"cluster"`
}

// linksBetween returns the links of one node between two /healthz
// bodies, with rates over seconds of publishing, and whether the end
// body had a "cluster" object at all. A link missing from start counts
// from zero.
func linksBetween(start, end json.RawMessage, seconds float64) ([]ClusterLink, bool) {
	var a, b healthzCluster
	if json.Unmarshal(end, &b) != nil || b.Cluster == nil {
		return nil, false
	}
	before := map[string]LinkCounters{}
	if json.Unmarshal(start, &a) == nil && a.Cluster != nil {
		for _, l := range a.Cluster.Links {
			before[l.Peer] = l.LinkCounters
		}
	}
	links := make([]ClusterLink, 0, len(b.Cluster.Links))
	for _, l := range b.Cluster.Links {
		link := ClusterLink{From: b.Cluster.Node, Peer: l.Peer, State: l.State, LinkCounters: l.since(before[l.Peer])}
		if seconds > 0 {
			link.EventsPerSec = float64(link.Sent) / seconds
		}
		if link.FramesSent > 0 {
			link.EventsPerFrame = float64(link.Sent) / float64(link.FramesSent)
		}
		links = append(links, link)
	}
	return links, true
}
