package wamp

import (
	"slices"
	"sync"
	"sync/atomic"
)

// patternIndex holds a realm's prefix and wildcard subscriptions.
//
// Prefix: a map pattern → subscription plus the distinct pattern lengths,
// so matching a topic costs one map lookup per distinct length up to the
// topic's length. Wildcard: subscriptions grouped by component count, so
// a topic is compared only with patterns of its own count. count lets a
// publication skip the index without locking while there are no pattern
// subscriptions, which keeps the exact-topic path (all of v1) as it was.
type patternIndex struct {
	count atomic.Int64 // live pattern subscriptions

	mu       sync.RWMutex
	prefix   map[string]*Subscription
	lens     []int       // distinct prefix lengths, ascending
	lenCount map[int]int // prefix subscriptions per length
	wildcard map[string]*Subscription
	byParts  map[int][]*Subscription // wildcard subscriptions by component count
}

// find returns the live pattern subscription (uri, m), or nil.
func (x *patternIndex) find(uri string, m Match) *Subscription {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if m == MatchPrefix {
		return x.prefix[uri]
	}
	return x.wildcard[uri]
}

// getOrCreate returns the pattern subscription (uri, m), creating it with
// create when needed (created).
func (x *patternIndex) getOrCreate(uri string, m Match, create func(string, Match) *Subscription) (sub *Subscription, created bool) {
	if sub := x.find(uri, m); sub != nil {
		return sub, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.prefix == nil {
		x.prefix, x.lenCount = make(map[string]*Subscription), make(map[int]int)
		x.wildcard, x.byParts = make(map[string]*Subscription), make(map[int][]*Subscription)
	}
	if m == MatchPrefix {
		if sub := x.prefix[uri]; sub != nil {
			return sub, false
		}
		sub = create(uri, m)
		x.prefix[uri] = sub
		if x.lenCount[len(uri)]++; x.lenCount[len(uri)] == 1 {
			i, _ := slices.BinarySearch(x.lens, len(uri))
			x.lens = slices.Insert(x.lens, i, len(uri))
		}
		x.count.Add(1)
		return sub, true
	}
	if sub := x.wildcard[uri]; sub != nil {
		return sub, false
	}
	sub = create(uri, m)
	x.wildcard[uri] = sub
	n := components(uri)
	x.byParts[n] = append(x.byParts[n], sub)
	x.count.Add(1)
	return sub, true
}

// dropIfEmpty removes sub from the index when it has no members left and
// reports whether it did.
func (x *patternIndex) dropIfEmpty(sub *Subscription) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if len(sub.members)+len(sub.held) > 0 || sub.dead {
		return false
	}
	sub.dead = true
	x.count.Add(-1)
	if sub.match == MatchPrefix {
		delete(x.prefix, sub.uri)
		if x.lenCount[len(sub.uri)]--; x.lenCount[len(sub.uri)] == 0 {
			delete(x.lenCount, len(sub.uri))
			if i, ok := slices.BinarySearch(x.lens, len(sub.uri)); ok {
				x.lens = slices.Delete(x.lens, i, i+1)
			}
		}
		return true
	}
	delete(x.wildcard, sub.uri)
	n := components(sub.uri)
	group := x.byParts[n]
	if i := slices.Index(group, sub); i >= 0 {
		group = slices.Delete(group, i, i+1)
	}
	if len(group) == 0 {
		delete(x.byParts, n)
	} else {
		x.byParts[n] = group
	}
	return true
}

// appendMatching appends the prefix subscriptions matching topic (longest
// prefix first) and then the wildcard ones to dst.
func (x *patternIndex) appendMatching(dst []*Subscription, topic string) []*Subscription {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i := len(x.lens) - 1; i >= 0; i-- {
		if n := x.lens[i]; n <= len(topic) {
			if sub := x.prefix[topic[:n]]; sub != nil {
				dst = append(dst, sub)
			}
		}
	}
	if len(x.byParts) > 0 {
		for _, sub := range x.byParts[components(topic)] {
			if wildcardMatches(topic, sub.uri) {
				dst = append(dst, sub)
			}
		}
	}
	return dst
}

// appendAll appends every live pattern subscription to dst (meta API).
func (x *patternIndex) appendAll(dst []*Subscription) []*Subscription {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, sub := range x.prefix {
		dst = append(dst, sub)
	}
	for _, sub := range x.wildcard {
		dst = append(dst, sub)
	}
	return dst
}
