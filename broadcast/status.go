package broadcast

import "time"

// Status is a snapshot of the cluster links, served in /healthz.
type Status struct {
	// Node is this node's pool address.
	Node string `json:"node"`
	// Peers is how many other nodes the pool names.
	Peers int `json:"peers"`
	// LinksUp is how many of them are connected and authenticated.
	LinksUp int `json:"links_up"`
	// AuthFailures counts refused peer connections (wrong secret, unknown
	// node, a message before authentication).
	AuthFailures uint64 `json:"auth_failures"`
	// Links has one entry per peer, in pool order.
	Links []LinkStatus `json:"links"`
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
	// Queued is the publications waiting to be sent.
	Queued int `json:"queued"`
	// Sent counts publications sent to the peer, in FramesSent messages.
	Sent       uint64 `json:"sent"`
	FramesSent uint64 `json:"frames_sent"`
	// Dropped counts publications dropped because the queue was full.
	Dropped uint64 `json:"dropped"`
	// Received counts publications received from the peer and delivered.
	Received uint64 `json:"received"`
	// Lost counts gaps in the peer's sequence numbers: publications it
	// dropped or that were lost in flight when a connection broke.
	Lost uint64 `json:"lost"`
	// Duplicates counts records received twice (a batch resent after a
	// reconnection) and skipped.
	Duplicates uint64 `json:"duplicates"`
	// LastError is why the link last went down or failed to come up.
	LastError string `json:"last_error,omitempty"`
}

// status snapshots one link.
func (l *link) status() LinkStatus {
	l.mu.Lock()
	s := LinkStatus{
		Peer:      l.peer,
		State:     "down",
		Dials:     l.dials,
		Since:     l.since,
		LastError: l.lastErr,
	}
	if l.tr != nil {
		s.State = "up"
	}
	l.mu.Unlock()
	s.Connects = l.connects.Load()
	s.Reconnects = max(s.Connects, 1) - 1
	s.DialFailures = l.dialFailures.Load()
	s.Queued, s.Dropped = l.q.stats()
	s.Sent = l.sent.Load()
	s.FramesSent = l.frames.Load()
	s.Received = l.received.Load()
	s.Lost = l.lost.Load()
	s.Duplicates = l.duplicates.Load()
	return s
}
