package broadcast

import "time"

// BrokerStatus is the state of a bus that relays through a message
// broker (Status.Broker): its connection and what it lost.
type BrokerStatus struct {
	// Kind names the broker ("nats").
	Kind string `json:"kind"`
	// Connected reports whether the connection to the broker is up;
	// Server is the server it is connected to, Since when it last
	// connected or disconnected.
	Connected bool      `json:"connected"`
	Server    string    `json:"server,omitempty"`
	Since     time.Time `json:"since"`
	// Disconnects and Reconnects count the connection's losses and
	// recoveries.
	Disconnects uint64 `json:"disconnects"`
	Reconnects  uint64 `json:"reconnects"`
	// Subscriptions is the broker subscriptions held (publication
	// subjects, presence, this node's control subject); CatchAll is true
	// while the node subscribes to every publication subject because no
	// peer is up to have told it its interest state.
	Subscriptions int  `json:"subscriptions"`
	CatchAll      bool `json:"catch_all"`
	// Published and Received count the messages sent to and received from
	// the broker (presence and control included), with their bytes.
	Published      uint64 `json:"published"`
	PublishedBytes uint64 `json:"published_bytes"`
	Received       uint64 `json:"received"`
	ReceivedBytes  uint64 `json:"received_bytes"`
	// Delivered counts the other nodes' publications handed to the
	// router; Duplicates those received twice (overlapping subscriptions)
	// and delivered once.
	Delivered  uint64 `json:"delivered"`
	Duplicates uint64 `json:"duplicates"`
	// Losses the bus knows of: SlowConsumer counts messages the client
	// library dropped because this node did not take them fast enough;
	// QueueFull outgoing messages dropped because the outgoing queue was
	// full (the broker connection is too slow, or down beyond its
	// reconnect buffer); PublishFailed those the client library refused
	// (not connected and its reconnect buffer full, or larger than the
	// server's max_payload); ControlGaps control messages from peers
	// that never arrived (each one resynchronizes that peer).
	SlowConsumer  uint64 `json:"lost_slow_consumer"`
	QueueFull     uint64 `json:"lost_queue_full"`
	PublishFailed uint64 `json:"lost_publish_failed"`
	ControlGaps   uint64 `json:"lost_control_gaps"`
	// SlotConflicts counts other nodes seen with this node's session id
	// slot or name: they are not joined (give each node its own
	// --node-slot and --node).
	SlotConflicts uint64 `json:"slot_conflicts"`
}
