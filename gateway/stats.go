package gateway

import (
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/netpoll"
)

// counters are the gateway's own atomic counters.
type counters struct {
	handshakes        atomic.Uint64
	handshakesFailed  atomic.Uint64
	handshakeTimeouts atomic.Uint64
	plainHTTP         atomic.Uint64
	sessionsClosed    atomic.Uint64
	messagesIn        atomic.Uint64
	protocolErrors    atomic.Uint64
	slowConsumers     atomic.Uint64
	idleClosed        atomic.Uint64
	pingsSent         atomic.Uint64
}

// Stats is a node's counters in one struct, served at GET /healthz.
type Stats struct {
	Status            string        `json:"status"`
	Version           string        `json:"version"`
	UptimeSeconds     float64       `json:"uptime_seconds"`
	Handshakes        uint64        `json:"handshakes"`
	HandshakesFailed  uint64        `json:"handshakes_failed"`
	HandshakeTimeouts uint64        `json:"handshake_timeouts"`
	PlainHTTP         uint64        `json:"plain_http_requests"`
	SessionsClosed    uint64        `json:"sessions_closed"`
	MessagesIn        uint64        `json:"messages_in"`
	ProtocolErrors    uint64        `json:"protocol_errors"`
	SlowConsumers     uint64        `json:"slow_consumers_closed"`
	IdleClosed        uint64        `json:"idle_closed"`
	PingsSent         uint64        `json:"pings_sent"`
	Net               netpoll.Stats `json:"net"`
	WAMP              wampStats     `json:"wamp"`
	// Cluster is the peer links' state; absent on a single node.
	Cluster *broadcast.Status `json:"cluster,omitempty"`
}

// wampStats gives the router's counters JSON names.
type wampStats struct {
	Sessions      int64  `json:"sessions"`
	Topics        int64  `json:"topics"`
	Subscriptions int64  `json:"subscriptions"`
	Publications  uint64 `json:"publications"`
	Deliveries    uint64 `json:"deliveries"`
}

func (n *Node) snapshot() Stats {
	ws := n.router.Stats()
	s := Stats{
		Status:            n.status(),
		Version:           Version,
		UptimeSeconds:     time.Since(n.started).Seconds(),
		Handshakes:        n.stats.handshakes.Load(),
		HandshakesFailed:  n.stats.handshakesFailed.Load(),
		HandshakeTimeouts: n.stats.handshakeTimeouts.Load(),
		PlainHTTP:         n.stats.plainHTTP.Load(),
		SessionsClosed:    n.stats.sessionsClosed.Load(),
		MessagesIn:        n.stats.messagesIn.Load(),
		ProtocolErrors:    n.stats.protocolErrors.Load(),
		SlowConsumers:     n.stats.slowConsumers.Load(),
		IdleClosed:        n.stats.idleClosed.Load(),
		PingsSent:         n.stats.pingsSent.Load(),
		Net:               n.srv.Stats(),
		WAMP: wampStats{
			Sessions:      ws.Sessions,
			Topics:        ws.Topics,
			Subscriptions: ws.Subscriptions,
			Publications:  ws.Publications,
			Deliveries:    ws.Deliveries,
		},
	}
	if n.bus != nil {
		cs := n.bus.Status()
		s.Cluster = &cs
	}
	return s
}

// healthJSON renders the /healthz body.
func (n *Node) healthJSON() []byte {
	b, err := json.Marshal(n.snapshot())
	if err != nil {
		return []byte(`{"status":"error"}`)
	}
	return append(b, '\n')
}
