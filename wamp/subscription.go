package wamp

import (
	"sync"
	"time"
)

// Subscription is one subscription of a realm: a topic URI (or a pattern)
// with its match policy, the id every session subscribed to it shares, and
// its subscribers. A v1 SUBSCRIBE joins the exact subscription of its
// topic like a v2 one. A subscription lives while it has subscribers; one
// created again later gets a new id.
//
// Its methods are safe for concurrent use.
type Subscription struct {
	id      ID
	uri     string
	match   Match
	created time.Time

	// mu guards members, held and dead. A fan-out holds the read lock
	// while it queues the shared frame to every member (Conn.SendFrame
	// never blocks); subscribe and unsubscribe take the write lock.
	mu      sync.RWMutex
	members []*member
	held    []*member // subscribed, not yet told so: fan-outs skip them (SubscribeAsync)
	dead    bool      // removed from its index; guarded by mu
}

// member is one session's membership in one subscription. idx is its
// position in Subscription.members (or, held, in Subscription.held),
// kept up to date under the subscription's lock so that removal is O(1).
type member struct {
	sess *Session
	sub  *Subscription
	idx  int
}

// ID is the subscription id, sent in v2's SUBSCRIBED and EVENT.
func (s *Subscription) ID() ID { return s.id }

// URI is the topic, or the pattern for prefix and wildcard subscriptions.
func (s *Subscription) URI() string { return s.uri }

// Match is the subscription's match policy.
func (s *Subscription) Match() Match { return s.match }

// Created is when the subscription was created (meta API).
func (s *Subscription) Created() time.Time { return s.created }

// AppendSubscribers appends the ids of the subscription's sessions to dst
// (meta API: wamp.subscription.list_subscribers).
func (s *Subscription) AppendSubscribers(dst []ID) []ID {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range s.members {
		dst = append(dst, m.sess.id)
	}
	for _, m := range s.held {
		dst = append(dst, m.sess.id)
	}
	return dst
}

// Subscribers is how many sessions are subscribed.
func (s *Subscription) Subscribers() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.members) + len(s.held)
}

// holds reports whether mem is one of the held members; s.mu is held.
func (s *Subscription) holds(mem *member) bool {
	return mem.idx < len(s.held) && s.held[mem.idx] == mem
}

// admits reports whether sess is a member that fan-outs reach (not held).
func (s *Subscription) admits(sess *Session) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range s.held {
		if m.sess == sess {
			return false
		}
	}
	return true
}
