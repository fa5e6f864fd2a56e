package gateway

import (
	"encoding/json"
	"github.com/wampgate/wampgate/hooks"
	"sync/atomic"
	"time"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/internal/httpapi"
	"github.com/wampgate/wampgate/netpoll"
	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
	v2 "github.com/wampgate/wampgate/wamp/v2"
)

// counters are the gateway's own atomic counters.
type counters struct {
	handshakes           atomic.Uint64
	handshakesFailed     atomic.Uint64
	handshakeTimeouts    atomic.Uint64
	helloTimeouts        atomic.Uint64
	authenticateTimeouts atomic.Uint64
	plainHTTP            atomic.Uint64
	sessionsClosed       atomic.Uint64
	messagesIn           atomic.Uint64
	protocolErrors       atomic.Uint64
	slowConsumers        atomic.Uint64
	idleClosed           atomic.Uint64
	pingsSent            atomic.Uint64
}

// Stats is a node's counters in one struct, served at GET /healthz.
type Stats struct {
	Status            string  `json:"status"`
	Version           string  `json:"version"`
	UptimeSeconds     float64 `json:"uptime_seconds"`
	Handshakes        uint64  `json:"handshakes"`
	HandshakesFailed  uint64  `json:"handshakes_failed"`
	HandshakeTimeouts uint64  `json:"handshake_timeouts"`
	HelloTimeouts     uint64  `json:"hello_timeouts"`
	// AuthenticateTimeouts counts v2 connections closed because no
	// AUTHENTICATE answered a CHALLENGE within the handshake timeout;
	// AuthRefused the handshakes (401) and sessions (ABORT)
	// authentication refused.
	AuthenticateTimeouts uint64        `json:"authenticate_timeouts"`
	AuthRefused          uint64        `json:"auth_refused"`
	PlainHTTP            uint64        `json:"plain_http_requests"`
	SessionsClosed       uint64        `json:"sessions_closed"`
	MessagesIn           uint64        `json:"messages_in"`
	ProtocolErrors       uint64        `json:"protocol_errors"`
	SlowConsumers        uint64        `json:"slow_consumers_closed"`
	IdleClosed           uint64        `json:"idle_closed"`
	PingsSent            uint64        `json:"pings_sent"`
	Net                  netpoll.Stats `json:"net"`
	WAMP                 wampStats     `json:"wamp"`
	// Cluster is the peer links' state; absent on a single node.
	Cluster *broadcast.Status `json:"cluster,omitempty"`
	// API is the HTTP API's counters; absent without the API.
	API *httpapi.Stats `json:"api,omitempty"`
	// Hooks is the HTTP hooks' counters; absent without hooks.
	Hooks *hooks.Stats `json:"hooks,omitempty"`
}

// wampStats gives the router's counters JSON names.
type wampStats struct {
	Sessions int64 `json:"sessions"`
	// SessionsByProtocol counts the live sessions of each subprotocol.
	SessionsByProtocol map[string]int64 `json:"sessions_by_protocol"`
	Topics             int64            `json:"topics"`
	Subscriptions      int64            `json:"subscriptions"`
	Publications       uint64           `json:"publications"`
	Deliveries         uint64           `json:"deliveries"`
	// Registrations counts the live RPC registrations (procedures and
	// patterns), CallsInFlight the calls waiting for a callee's answer.
	Registrations int64 `json:"registrations"`
	CallsInFlight int64 `json:"calls_in_flight"`
	// Unauthorized counts the operations the roles refused, by action.
	Unauthorized unauthorizedStats `json:"unauthorized"`
	// V2Unconvertible counts WAMP v2 EVENT frames (one per publication
	// and subscription) not sent because the payload has no form in the
	// subscriber's serializer (e.g. a string starting with U+0000 in JSON).
	V2Unconvertible uint64 `json:"v2_events_unconvertible"`
}

// unauthorizedStats gives wamp.Stats.Unauthorized JSON names.
type unauthorizedStats struct {
	Subscribe uint64 `json:"subscribe"`
	Publish   uint64 `json:"publish"`
	Call      uint64 `json:"call"`
	Register  uint64 `json:"register"`
}

// sessionCounter wraps the node's Handler to count live sessions by
// subprotocol: OnOpen and OnClose see every session of every protocol
// and realm, once each.
type sessionCounter struct {
	wamp.Handler
	byProtocol map[string]*atomic.Int64 // fixed at creation: read without a lock
	v2         []*v2.Protocol
}

func newSessionCounter(h wamp.Handler, t protocolTable) *sessionCounter {
	c := &sessionCounter{Handler: h, byProtocol: make(map[string]*atomic.Int64), v2: t.v2Protocols()}
	c.byProtocol[v1.Subprotocol] = new(atomic.Int64)
	for _, p := range c.v2 {
		c.byProtocol[p.Name] = new(atomic.Int64)
	}
	return c
}

// OnOpen counts the session, then calls the node's Handler.
func (c *sessionCounter) OnOpen(p wamp.Peer) {
	if n := c.byProtocol[p.Protocol()]; n != nil {
		n.Add(1)
	}
	c.Handler.OnOpen(p)
}

// OnClose uncounts the session, then calls the node's Handler.
func (c *sessionCounter) OnClose(p wamp.Peer) {
	if n := c.byProtocol[p.Protocol()]; n != nil {
		n.Add(-1)
	}
	c.Handler.OnClose(p)
}

// snapshot fills the per-protocol figures of st.
func (c *sessionCounter) snapshot(st *wampStats) {
	st.SessionsByProtocol = make(map[string]int64, len(c.byProtocol))
	for name, n := range c.byProtocol {
		st.SessionsByProtocol[name] = n.Load()
	}
	for _, p := range c.v2 {
		st.V2Unconvertible += p.Unconvertible()
	}
}

func (n *Node) snapshot() Stats {
	ws := n.router.Stats()
	s := Stats{
		Status:               n.status(),
		Version:              Version,
		UptimeSeconds:        time.Since(n.started).Seconds(),
		Handshakes:           n.stats.handshakes.Load(),
		HandshakesFailed:     n.stats.handshakesFailed.Load(),
		HandshakeTimeouts:    n.stats.handshakeTimeouts.Load(),
		HelloTimeouts:        n.stats.helloTimeouts.Load(),
		AuthenticateTimeouts: n.stats.authenticateTimeouts.Load(),
		AuthRefused:          n.gate.Refused(),
		PlainHTTP:            n.stats.plainHTTP.Load(),
		SessionsClosed:       n.stats.sessionsClosed.Load(),
		MessagesIn:           n.stats.messagesIn.Load(),
		ProtocolErrors:       n.stats.protocolErrors.Load(),
		SlowConsumers:        n.stats.slowConsumers.Load(),
		IdleClosed:           n.stats.idleClosed.Load(),
		PingsSent:            n.stats.pingsSent.Load(),
		Net:                  n.srv.Stats(),
		WAMP: wampStats{
			Sessions:      ws.Sessions,
			Topics:        ws.Topics,
			Subscriptions: ws.Subscriptions,
			Publications:  ws.Publications,
			Deliveries:    ws.Deliveries,
			Registrations: ws.Registrations,
			CallsInFlight: ws.CallsInFlight,
			Unauthorized: unauthorizedStats{
				Subscribe: ws.Unauthorized[wamp.ActionSubscribe],
				Publish:   ws.Unauthorized[wamp.ActionPublish],
				Call:      ws.Unauthorized[wamp.ActionCall],
				Register:  ws.Unauthorized[wamp.ActionRegister],
			},
		},
	}
	n.sessions.snapshot(&s.WAMP)
	if n.bus != nil {
		cs := n.bus.Status()
		s.Cluster = &cs
	}
	if n.api != nil {
		as := n.api.Stats()
		s.API = &as
	}
	if n.hooks != nil {
		hs := n.hooks.Stats()
		s.Hooks = &hs
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
