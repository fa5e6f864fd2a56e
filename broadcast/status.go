package broadcast

import "time"

// Status is a snapshot of the cluster links, served in /healthz.
type Status struct {
	// Node is this node's pool address.
	Node string `json:"node"`
	// Bus is "mesh" (peer links) or the broker's name ("nats").
	Bus string `json:"bus,omitempty"`
	// Peers is how many other nodes the pool names (through a broker:
	// the other nodes seen).
	Peers int `json:"peers"`
	// LinksUp is how many of them are connected and authenticated
	// (through a broker: have a pair session with this node).
	LinksUp int `json:"links_up"`
	// AuthFailures counts refused peer connections (wrong secret, unknown
	// node, a message before authentication, another protocol version).
	AuthFailures uint64 `json:"auth_failures"`
	// Links has one entry per peer, in pool order.
	Links []LinkStatus `json:"links"`
	// Broker is the message broker's connection, for a bus that relays
	// through one; nil on the mesh.
	Broker *BrokerStatus `json:"broker,omitempty"`
}

// LinkStatus is the state and counters of the link to one peer.
type LinkStatus struct {
	Peer string `json:"peer"`
	// State is "up" or "down".
	State string `json:"state"`
	// Dials is true when this node dials the peer (its address sorts
	// first); otherwise it waits for the peer to dial.
	Dials bool `json:"dials"`
	// Since is when the link last went up or down.
	Since time.Time `json:"since"`
	// Connects counts the times the link came up; Reconnects is that
	// minus the first.
	Connects   uint64 `json:"connects"`
	Reconnects uint64 `json:"reconnects"`
	// DialFailures counts failed connection attempts.
	DialFailures uint64 `json:"dial_failures"`
	// PeerMaxMessage is the largest message the peer announced it
	// accepts (0 before the first connection); batches are built to fit.
	PeerMaxMessage int `json:"peer_max_message"`
	// Queued is the publications waiting to be sent; Unacked those sent on
	// the current (or last) connection and not yet acknowledged by the
	// peer. Both stay in the queue, bounded by QueueLimit and QueueBytes.
	Queued  int `json:"queued"`
	Unacked int `json:"unacked"`
	// Sent counts publications sent to the peer (once each), in
	// FramesSent batches; Resent counts those sent again after a
	// reconnection because the peer had not acknowledged them.
	Sent       uint64 `json:"sent"`
	Resent     uint64 `json:"resent"`
	FramesSent uint64 `json:"frames_sent"`
	// Dropped counts publications dropped, oldest first, because the queue
	// was full (some may have reached the peer just before their
	// connection broke: the peer's Lost counts what it really missed).
	Dropped uint64 `json:"dropped"`
	// DroppedTooLarge counts publications dropped because they are larger
	// than the peer (or this node) accepts on a link.
	DroppedTooLarge uint64 `json:"dropped_too_large"`
	// Received counts publications received from the peer and delivered.
	Received uint64 `json:"received"`
	// Lost counts gaps in the peer's sequence numbers: publications the
	// peer dropped (its Dropped and DroppedTooLarge).
	Lost uint64 `json:"lost"`
	// Duplicates counts records received twice (a batch resent after a
	// reconnection) and skipped.
	Duplicates uint64 `json:"duplicates"`
	// BytesSent counts the bytes of the batches written to the peer
	// (record bytes and batch headers, resent batches included).
	BytesSent uint64 `json:"bytes_sent"`
	// Skipped counts publications not sent to the peer because no
	// subscriber there matched them (interest-based relay).
	Skipped uint64 `json:"skipped"`
	// PeerInterests is how many topics and patterns the peer said it has
	// subscribers for, in the PeerRealmsSynced realms it described in
	// full since the link came up; a realm not described yet gets every
	// publication.
	PeerInterests    int `json:"peer_interests"`
	PeerRealmsSynced int `json:"peer_realms_synced"`
	// LastError is why the link last went down or failed to come up.
	LastError string `json:"last_error,omitempty"`
}

// status snapshots one link.
func (l *link) status() LinkStatus {
	l.mu.Lock()
	s := LinkStatus{
		Peer:           l.peer,
		State:          "down",
		Dials:          l.dials,
		Since:          l.since,
		PeerMaxMessage: l.peerMax,
		LastError:      l.lastErr,
	}
	if l.tr != nil {
		s.State = "up"
	}
	l.mu.Unlock()
	s.Connects = l.connects.Load()
	s.Reconnects = max(s.Connects, 1) - 1
	s.DialFailures = l.dialFailures.Load()
	q := l.q.stats()
	s.Queued, s.Unacked = q.queued, q.unacked
	s.Sent, s.Resent, s.Dropped, s.DroppedTooLarge = q.sent, q.resent, q.dropped, q.tooLarge
	s.FramesSent = l.frames.Load()
	s.BytesSent = l.bytesSent.Load()
	s.Skipped = l.skipped.Load()
	s.PeerInterests, s.PeerRealmsSynced = l.interest.counts()
	s.Received = l.received.Load()
	s.Lost = l.lost.Load()
	s.Duplicates = l.duplicates.Load()
	return s
}
