package gateway

import (
	"bytes"
	"sync"
	"time"
)

// Kinds of recent events the status page lists.
const (
	eventSlowConsumer = "slow_consumer"
	eventRefused      = "refused"
)

// Reasons a handshake is refused: indexes of counters.refused.
const (
	refusedHeadTooLarge = iota // 413
	refusedOrigin              // 403 from the origin policy
	refusedBadUpgrade          // any other malformed upgrade request
	refusedSubprotocol         // no WAMP subprotocol offered
	refusedAuth                // 401
	numRefusals
)

// refusalReasons names the reasons: the reason label of
// wampgate_handshakes_refused_total and of the status page's events.
var refusalReasons = [numRefusals]string{"head_too_large", "origin", "bad_upgrade", "subprotocol", "auth"}

// recentCapacity is how many events recentLog keeps.
const recentCapacity = 64

// RecentEvent is a slow-consumer cut or a refused handshake, as the
// status page lists them.
type RecentEvent struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Remote string    `json:"remote"`
	Reason string    `json:"reason"`
}

// recentLog keeps the last recentCapacity events in a ring: bounded, and
// written only on a cut or a refusal, never on a delivery.
type recentLog struct {
	mu   sync.Mutex
	ring [recentCapacity]RecentEvent
	next int // where the next event goes
	full bool
}

// add records an event.
func (l *recentLog) add(kind, remote, reason string) {
	e := RecentEvent{Time: time.Now().UTC(), Kind: kind, Remote: remote, Reason: reason}
	l.mu.Lock()
	l.ring[l.next] = e
	l.next = (l.next + 1) % recentCapacity
	l.full = l.full || l.next == 0
	l.mu.Unlock()
}

// newestFirst returns the events kept, the newest first.
func (l *recentLog) newestFirst() []RecentEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.next
	if l.full {
		n = recentCapacity
	}
	out := make([]RecentEvent, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, l.ring[(l.next-i+recentCapacity)%recentCapacity])
	}
	return out
}

// refused counts a refused handshake by reason and records it.
func (n *Node) refused(reason int, remote string) {
	n.stats.handshakesFailed.Add(1)
	n.stats.refused[reason].Add(1)
	n.recent.add(eventRefused, remote, refusalReasons[reason])
}

// upgradeRefusal tells the origin policy's 403 from other refused
// upgrades by the status of the response gobwas wrote.
func upgradeRefusal(response []byte) int {
	if bytes.HasPrefix(response, []byte("HTTP/1.1 403 ")) {
		return refusedOrigin
	}
	return refusedBadUpgrade
}
