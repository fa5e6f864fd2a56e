package gateway

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/wampgate/wampgate/internal/buildinfo"
	"github.com/wampgate/wampgate/wamp"
)

// TopTopics is how many topics per realm the status page lists: those
// with the most subscribers on this node.
const TopTopics = 20

// topicsTTL is how long a computed topic ranking is served again: the
// ranking visits every subscription of every realm, so however often
// /status.json is asked for, it runs at most once per topicsTTL.
const topicsTTL = time.Second

// StatusReport is what /status.json serves and the status page shows.
// It names no secret: no cluster secret, API key, token or credential.
type StatusReport struct {
	// Node is the node's pool address in a cluster, else its listen
	// address.
	Node          string  `json:"node"`
	Version       string  `json:"version"`
	Revision      string  `json:"revision,omitempty"`
	GoVersion     string  `json:"go_version"`
	Status        string  `json:"status"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	// Time is when the report was made, for rates between two reports.
	Time time.Time `json:"time"`
	// Connections are the node's open connections: ClientConnections
	// (WebSocket clients, handshakes, plain HTTP and API requests) and
	// PeerConnections (peer links other nodes opened to this one; the
	// links this node opened are in Cluster).
	Connections        int64            `json:"connections"`
	ClientConnections  int64            `json:"client_connections"`
	PeerConnections    int64            `json:"peer_connections"`
	Sessions           int64            `json:"sessions"`
	SessionsByProtocol map[string]int64 `json:"sessions_by_protocol"`
	Handshakes         uint64           `json:"handshakes"`
	HandshakesRefused  uint64           `json:"handshakes_refused"`
	SlowConsumers      uint64           `json:"slow_consumers_closed"`
	Publications       uint64           `json:"publications"`
	Deliveries         uint64           `json:"deliveries"`
	Realms             []RealmReport    `json:"realms"`
	// Cluster is absent on a single node.
	Cluster *ClusterReport `json:"cluster,omitempty"`
	// Recent lists the last slow-consumer cuts and refused handshakes,
	// newest first (at most 64).
	Recent []RecentEvent `json:"recent"`
}

// RealmReport is one realm's sessions and its busiest topics.
type RealmReport struct {
	Name          string `json:"name"`
	Sessions      int64  `json:"sessions"`
	Subscriptions int64  `json:"subscriptions"`
	// TopTopics are the TopTopics subscriptions with the most
	// subscribers, most first.
	TopTopics []TopicReport `json:"top_topics"`
}

// TopicReport is a subscription and its subscriber count on this node.
type TopicReport struct {
	URI         string `json:"uri"`
	Match       string `json:"match"`
	Subscribers int    `json:"subscribers"`
}

// ClusterReport is the state of the node's peer links.
type ClusterReport struct {
	Peers   int          `json:"peers"`
	LinksUp int          `json:"links_up"`
	Links   []LinkReport `json:"links"`
}

// LinkReport is one peer link. Lag is how many publications wait for
// the peer: queued and sent but not yet acknowledged. The page derives
// events per second from Sent and Received between two reports.
type LinkReport struct {
	Peer       string    `json:"peer"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	Lag        int       `json:"lag"`
	Sent       uint64    `json:"sent"`
	Received   uint64    `json:"received"`
	Lost       uint64    `json:"lost"`
	Dropped    uint64    `json:"dropped"`
	Reconnects uint64    `json:"reconnects"`
	LastError  string    `json:"last_error,omitempty"`
}

// topicCache keeps the last topic ranking for topicsTTL.
type topicCache struct {
	mu     sync.Mutex
	at     time.Time
	realms []RealmReport
}

// Status returns the node's status report.
func (n *Node) Status() StatusReport {
	s := n.snapshot()
	bi := buildinfo.Read()
	r := StatusReport{
		Node:               n.Addr(),
		Version:            Version,
		Revision:           bi.ShortRevision(),
		GoVersion:          bi.Go,
		Status:             s.Status,
		UptimeSeconds:      s.UptimeSeconds,
		Time:               time.Now().UTC(),
		Connections:        s.Net.Open,
		ClientConnections:  max(s.Net.Open-s.PeerConnections, 0),
		PeerConnections:    s.PeerConnections,
		Sessions:           s.WAMP.Sessions,
		SessionsByProtocol: s.WAMP.SessionsByProtocol,
		Handshakes:         s.Handshakes,
		HandshakesRefused:  s.HandshakesFailed,
		SlowConsumers:      s.SlowConsumers,
		Publications:       s.WAMP.Publications,
		Deliveries:         s.WAMP.Deliveries,
		Realms:             n.realmReports(),
		Recent:             n.recent.newestFirst(),
	}
	if cs := s.Cluster; cs != nil {
		r.Node = cs.Node
		r.Cluster = &ClusterReport{Peers: cs.Peers, LinksUp: cs.LinksUp, Links: make([]LinkReport, 0, len(cs.Links))}
		for _, l := range cs.Links {
			r.Cluster.Links = append(r.Cluster.Links, LinkReport{
				Peer: l.Peer, State: l.State, Since: l.Since, Lag: l.Queued + l.Unacked,
				Sent: l.Sent, Received: l.Received, Lost: l.Lost, Dropped: l.Dropped + l.DroppedTooLarge,
				Reconnects: l.Reconnects, LastError: l.LastError,
			})
		}
	}
	return r
}

// statusJSON renders /status.json.
func (n *Node) statusJSON() ([]byte, error) {
	b, err := json.Marshal(n.Status())
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return append(b, '\n'), nil
}

// realmReports returns every realm's figures, with a topic ranking at
// most topicsTTL old.
func (n *Node) realmReports() []RealmReport {
	tc := &n.topics
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.realms != nil && time.Since(tc.at) < topicsTTL {
		return tc.realms
	}
	var subs []*wamp.Subscription
	realms := n.router.Realms()
	out := make([]RealmReport, 0, len(realms))
	for _, rm := range realms {
		rs := rm.Stats()
		subs = rm.AllSubscriptions(subs[:0])
		out = append(out, RealmReport{
			Name: rm.Name(), Sessions: rs.Sessions, Subscriptions: rs.Subscriptions,
			TopTopics: topTopics(subs, TopTopics),
		})
	}
	clear(subs)
	tc.realms, tc.at = out, time.Now()
	return out
}

// topTopics returns the k subscriptions of subs with the most
// subscribers, most first (ties by URI): one pass, O(len(subs) × k).
func topTopics(subs []*wamp.Subscription, k int) []TopicReport {
	top := make([]TopicReport, 0, k+1)
	for _, sub := range subs {
		t := TopicReport{URI: sub.URI(), Match: sub.Match().String(), Subscribers: sub.Subscribers()}
		i := len(top)
		for i > 0 && ranksAbove(t, top[i-1]) {
			i--
		}
		if i >= k {
			continue
		}
		top = append(top, TopicReport{})
		copy(top[i+1:], top[i:])
		top[i] = t
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// ranksAbove orders topics by subscribers, most first, then by URI.
func ranksAbove(a, b TopicReport) bool {
	if a.Subscribers != b.Subscribers {
		return a.Subscribers > b.Subscribers
	}
	return a.URI < b.URI
}
