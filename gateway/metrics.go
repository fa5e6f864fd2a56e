package gateway

import (
	"bytes"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
	"github.com/wampgate/wampgate/internal/buildinfo"
	"github.com/wampgate/wampgate/internal/httpapi"
	"github.com/wampgate/wampgate/wamp"
)

// metricsFormat is the exposition format /metrics serves: Prometheus text.
var metricsFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// newRegistry makes the node's own Prometheus registry (never the global
// one: several nodes may share a process): the node's collector, the Go
// runtime's and the process's.
func (n *Node) newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		nodeCollector{n},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// RegisterMetrics adds c to the metrics the node serves at /metrics: the
// way in for counters kept outside the gateway (e.g. HTTP hooks'
// requests and latencies). Metric names should start with "wampgate_".
func (n *Node) RegisterMetrics(c prometheus.Collector) error {
	if err := n.metrics.Register(c); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// metricsText renders every metric in the Prometheus text format.
func (n *Node) metricsText() ([]byte, error) {
	mfs, err := n.metrics.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather metrics: %w", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, metricsFormat)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return nil, fmt.Errorf("encode metrics: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// nodeCollector derives the node's metrics at scrape time from the
// counters /healthz serves (Node.snapshot) and the realms' own: nothing
// is counted on the delivery path for the sake of metrics. It is an
// unchecked collector (Describe sends nothing): label values such as
// realms, subprotocols and peers are only known when it collects.
type nodeCollector struct{ n *Node }

// Describe implements prometheus.Collector.
func (nodeCollector) Describe(chan<- *prometheus.Desc) {}

// metric is a shorthand for one metric's description.
func metric(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("wampgate_"+name, help, labels, nil)
}

// The node's metrics.
var (
	descBuildInfo   = metric("build_info", "The running wampgate's version, VCS revision and Go version (always 1).", "version", "revision", "goversion")
	descUptime      = metric("uptime_seconds", "Seconds since the node started listening.")
	descConnsOpen   = metric("connections_open", "Open connections on the node's port: clients' (WebSocket, handshakes in progress, plain HTTP) and peer links other nodes opened.")
	descPeerConns   = metric("peer_connections_open", "Peer links other nodes opened to the node's port (among connections_open).")
	descAccepted    = metric("connections_accepted_total", "Connections accepted.")
	descAcceptErrs  = metric("accept_errors_total", "Failed accepts (EMFILE when descriptors run out).")
	descAcceptPause = metric("accept_pauses_total", "Episodes in which accepting paused after failed accepts.")
	descSessions    = metric("sessions", "Live WAMP sessions by subprotocol.", "protocol")
	descRealmSess   = metric("realm_sessions", "Live WAMP sessions by realm.", "realm")
	descRealmTopics = metric("realm_subscriptions", "Live subscriptions (topics and patterns with subscribers) by realm.", "realm")
	descRealmSubs   = metric("realm_subscribers", "(session, subscription) pairs by realm.", "realm")
	descRealmRegs   = metric("realm_registrations", "Live RPC registrations by realm.", "realm")
	descRealmCalls  = metric("realm_calls_in_flight", "Calls waiting for a callee's answer by realm.", "realm")
	descHandshakes  = metric("handshakes_total", "WebSocket upgrades that opened a WAMP session.")
	descRefused     = metric("handshakes_refused_total", "Upgrade requests refused, by reason.", "reason")
	descTimeouts    = metric("handshake_timeouts_total", "Connections closed for not finishing a stage of the handshake in time: the HTTP upgrade, a v2 HELLO, a v2 AUTHENTICATE.", "stage")
	descAuthRefused = metric("auth_refused_total", "Sessions authentication refused (401 at the upgrade, ABORT after HELLO or AUTHENTICATE).")
	descPlainHTTP   = metric("plain_http_requests_total", "Plain HTTP requests answered on the node's port (health, metrics, status, 426).")
	descClosed      = metric("sessions_closed_total", "WAMP sessions that ended.")
	descMsgsIn      = metric("messages_in_total", "WAMP messages received from clients.")
	descMsgsRecv    = metric("messages_received_total", "WAMP messages received from clients, by subprotocol and type (other: not a client message).", "protocol", "type")
	descMsgsSent    = metric("messages_sent_total", "WAMP messages queued to clients, by subprotocol and type (other: not a router message).", "protocol", "type")
	descProtoErrs   = metric("protocol_errors_total", "Connections closed for a WebSocket or WAMP protocol violation.")
	descPubs        = metric("publications_total", "Publications routed (local and relayed from peers).")
	descDeliveries  = metric("deliveries_total", "Event frames queued to subscribers.")
	descUnconv      = metric("v2_events_unconvertible_total", "WAMP v2 events not sent because the payload has no form in the subscriber's serializer.")
	descUnauth      = metric("unauthorized_total", "Operations the roles refused, by action.", "action")
	descSlow        = metric("slow_consumers_closed_total", "Sessions closed with 1008 because their write queue passed its limit.")
	descIdle        = metric("idle_closed_total", "Sessions closed after the idle timeout.")
	descPings       = metric("pings_sent_total", "Keepalive pings sent to silent sessions.")
	descReads       = metric("read_syscalls_total", "read system calls on client connections.")
	descBytesIn     = metric("bytes_in_total", "Bytes read from client connections.")
	descWrites      = metric("write_syscalls_total", "write/writev system calls on client connections.")
	descEAGAIN      = metric("write_eagain_total", "Writes that found a client's socket buffer full.")
	descFramesOut   = metric("frames_out_total", "Frames fully written to clients (rate over write_syscalls_total's is frames per write).")
	descBytesOut    = metric("bytes_out_total", "Bytes written to client connections.")
	descPerWrite    = metric("frames_per_write", "Frames written per write system call since start.")

	descPeers        = metric("cluster_peers", "Other nodes the pool names.")
	descLinksUp      = metric("cluster_links_up", "Peer links connected and authenticated.")
	descPeerAuthFail = metric("cluster_auth_failures_total", "Peer connections refused (wrong secret, unknown node, protocol).")
	descLinkUp       = metric("peer_link_up", "1 when the link to the peer is up, else 0.", "peer")
	descLinkQueued   = metric("peer_link_queued", "Publications waiting to be sent to the peer.", "peer")
	descLinkUnacked  = metric("peer_link_unacked", "Publications sent to the peer and not yet acknowledged.", "peer")
	descLinkSent     = metric("peer_link_sent_total", "Publications sent to the peer (once each).", "peer")
	descLinkResent   = metric("peer_link_resent_total", "Publications sent again after a reconnection.", "peer")
	descLinkFrames   = metric("peer_link_frames_sent_total", "Batches sent to the peer.", "peer")
	descLinkDropped  = metric("peer_link_dropped_total", "Publications dropped for the peer: queue full, or too large for a link.", "peer", "reason")
	descLinkRecv     = metric("peer_link_received_total", "Publications received from the peer and delivered.", "peer")
	descLinkLost     = metric("peer_link_lost_total", "Publications the peer dropped before they reached this node (gaps in its sequence).", "peer")
	descLinkDups     = metric("peer_link_duplicates_total", "Records received twice from the peer and skipped.", "peer")
	descLinkReconn   = metric("peer_link_reconnects_total", "Times the link came up again after its first connection.", "peer")
	descLinkDialErr  = metric("peer_link_dial_failures_total", "Failed connection attempts to the peer.", "peer")

	descAPIRequests = metric("api_requests_total", "HTTP API request heads seen.")
	descAPIStatus   = metric("api_refused_total", "HTTP API requests answered with an error, by kind.", "kind")
	descAPIPubs     = metric("api_publications_total", "Publications made through the HTTP API.")
	descAPICalls    = metric("api_calls_total", "Calls started through the HTTP API.")
	descAPIInFlight = metric("api_in_flight", "HTTP API requests admitted and not answered yet.")
	descAPIAbandon  = metric("api_abandoned_total", "HTTP API requests admitted whose body never came in time.")
	descAPILatency  = metric("api_request_duration_seconds", "HTTP API requests from their complete head to their answer queued to the connection, by endpoint (publish, call, other) and status class.", "endpoint", "status_class")
)

// Collect implements prometheus.Collector.
func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	s := n.snapshot()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	bi := buildinfo.Read()
	gauge(descBuildInfo, 1, Version, bi.ShortRevision(), bi.Go)
	gauge(descUptime, s.UptimeSeconds)

	gauge(descConnsOpen, float64(s.Net.Open))
	gauge(descPeerConns, float64(s.PeerConnections))
	counter(descAccepted, s.Net.Accepted)
	counter(descAcceptErrs, s.Net.AcceptErrors)
	counter(descAcceptPause, s.Net.AcceptPauses)
	for proto, v := range s.WAMP.SessionsByProtocol {
		gauge(descSessions, float64(v), proto)
	}
	for _, r := range n.router.Realms() {
		rs := r.Stats()
		gauge(descRealmSess, float64(rs.Sessions), r.Name())
		gauge(descRealmTopics, float64(rs.Subscriptions), r.Name())
		gauge(descRealmSubs, float64(rs.Subscribers), r.Name())
		gauge(descRealmRegs, float64(rs.Registrations), r.Name())
		gauge(descRealmCalls, float64(rs.CallsInFlight), r.Name())
	}

	counter(descHandshakes, s.Handshakes)
	for i, reason := range refusalReasons {
		counter(descRefused, n.stats.refused[i].Load(), reason)
	}
	counter(descTimeouts, s.HandshakeTimeouts, "upgrade")
	counter(descTimeouts, s.HelloTimeouts, "hello")
	counter(descTimeouts, s.AuthenticateTimeouts, "authenticate")
	counter(descAuthRefused, s.AuthRefused)
	counter(descPlainHTTP, s.PlainHTTP)
	counter(descClosed, s.SessionsClosed)
	counter(descMsgsIn, s.MessagesIn)
	for proto, mc := range s.Messages {
		for typ, v := range mc.In {
			counter(descMsgsRecv, v, proto, typ)
		}
		for typ, v := range mc.Out {
			counter(descMsgsSent, v, proto, typ)
		}
	}
	counter(descProtoErrs, s.ProtocolErrors)
	counter(descPubs, s.WAMP.Publications)
	counter(descDeliveries, s.WAMP.Deliveries)
	counter(descUnconv, s.WAMP.V2Unconvertible)
	counter(descUnauth, s.WAMP.Unauthorized.Subscribe, wamp.ActionSubscribe.String())
	counter(descUnauth, s.WAMP.Unauthorized.Publish, wamp.ActionPublish.String())
	counter(descUnauth, s.WAMP.Unauthorized.Call, wamp.ActionCall.String())
	counter(descUnauth, s.WAMP.Unauthorized.Register, wamp.ActionRegister.String())
	counter(descSlow, s.SlowConsumers)
	counter(descIdle, s.IdleClosed)
	counter(descPings, s.PingsSent)

	counter(descReads, s.Net.ReadCalls)
	counter(descBytesIn, s.Net.BytesIn)
	counter(descWrites, s.Net.WriteCalls)
	counter(descEAGAIN, s.Net.WriteBlocked)
	counter(descFramesOut, s.Net.FramesOut)
	counter(descBytesOut, s.Net.BytesOut)
	gauge(descPerWrite, s.Net.FramesPerWrite)

	if cs := s.Cluster; cs != nil {
		gauge(descPeers, float64(cs.Peers))
		gauge(descLinksUp, float64(cs.LinksUp))
		counter(descPeerAuthFail, cs.AuthFailures)
		for _, l := range cs.Links {
			up := 0.0
			if l.State == "up" {
				up = 1
			}
			gauge(descLinkUp, up, l.Peer)
			gauge(descLinkQueued, float64(l.Queued), l.Peer)
			gauge(descLinkUnacked, float64(l.Unacked), l.Peer)
			counter(descLinkSent, l.Sent, l.Peer)
			counter(descLinkResent, l.Resent, l.Peer)
			counter(descLinkFrames, l.FramesSent, l.Peer)
			counter(descLinkDropped, l.Dropped, l.Peer, "queue_full")
			counter(descLinkDropped, l.DroppedTooLarge, l.Peer, "too_large")
			counter(descLinkRecv, l.Received, l.Peer)
			counter(descLinkLost, l.Lost, l.Peer)
			counter(descLinkDups, l.Duplicates, l.Peer)
			counter(descLinkReconn, l.Reconnects, l.Peer)
			counter(descLinkDialErr, l.DialFailures, l.Peer)
		}
		collectBroker(cs.Broker, ch)
	}

	if as := s.API; as != nil {
		counter(descAPIRequests, as.Requests)
		counter(descAPIStatus, as.Unauthorized, "unauthorized")
		counter(descAPIStatus, as.Refused, "other")
		counter(descAPIPubs, as.Publications)
		counter(descAPICalls, as.Calls)
		gauge(descAPIInFlight, float64(as.InFlight))
		counter(descAPIAbandon, as.Abandoned)
		for _, l := range n.api.Latencies() {
			buckets := make(map[float64]uint64, len(l.Buckets))
			for i, le := range httpapi.LatencyBuckets {
				buckets[le] = l.Buckets[i]
			}
			ch <- prometheus.MustNewConstHistogram(descAPILatency, l.Count, l.Sum, buckets, l.Endpoint, l.StatusClass)
		}
	}
	collectHooks(s.Hooks, ch)
}
