package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wampgate/wampgate/broadcast"
)

// The message broker's metrics (a cluster on --bus nats).
var (
	descBrokerConnected = metric("broker_connected", "1 while the connection to the cluster's message broker is up, else 0.", "kind")
	descBrokerDisconn   = metric("broker_disconnects_total", "Times the connection to the message broker was lost.", "kind")
	descBrokerReconn    = metric("broker_reconnects_total", "Times the connection to the message broker came back.", "kind")
	descBrokerSubs      = metric("broker_subscriptions", "Subscriptions held at the message broker.", "kind")
	descBrokerCatchAll  = metric("broker_catch_all", "1 while the node takes every publication from the broker (no peer up to have told it its interest), else 0.", "kind")
	descBrokerMsgs      = metric("broker_messages_total", "Messages published to (out) and received from (in) the message broker.", "kind", "direction")
	descBrokerBytes     = metric("broker_bytes_total", "Bytes of the messages published to (out) and received from (in) the message broker.", "kind", "direction")
	descBrokerDelivered = metric("broker_delivered_total", "Other nodes' publications received from the message broker and handed to the router.", "kind")
	descBrokerDups      = metric("broker_duplicates_total", "Publications received twice (overlapping subscriptions) and delivered once.", "kind")
	descBrokerLost      = metric("broker_lost_total", "Messages lost on the way through the message broker, by reason: slow_consumer (this node took them too slowly), queue_full (outgoing queue full), publish_failed (refused by the client library), control_gap (control messages from a peer that never came).", "kind", "reason")
	descBrokerConflicts = metric("broker_conflicts_total", "Other nodes seen with this node's name or session id slot (not joined).", "kind")
)

// collectBroker sends the broker's metrics, when the bus has one.
func collectBroker(bs *broadcast.BrokerStatus, ch chan<- prometheus.Metric) {
	if bs == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{bs.Kind}, labels...)...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{bs.Kind}, labels...)...)
	}
	gauge(descBrokerConnected, boolGauge(bs.Connected))
	counter(descBrokerDisconn, bs.Disconnects)
	counter(descBrokerReconn, bs.Reconnects)
	gauge(descBrokerSubs, float64(bs.Subscriptions))
	gauge(descBrokerCatchAll, boolGauge(bs.CatchAll))
	counter(descBrokerMsgs, bs.Published, "out")
	counter(descBrokerMsgs, bs.Received, "in")
	counter(descBrokerBytes, bs.PublishedBytes, "out")
	counter(descBrokerBytes, bs.ReceivedBytes, "in")
	counter(descBrokerDelivered, bs.Delivered)
	counter(descBrokerDups, bs.Duplicates)
	counter(descBrokerLost, bs.SlowConsumer, "slow_consumer")
	counter(descBrokerLost, bs.QueueFull, "queue_full")
	counter(descBrokerLost, bs.PublishFailed, "publish_failed")
	counter(descBrokerLost, bs.ControlGaps, "control_gap")
	counter(descBrokerConflicts, bs.SlotConflicts)
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
