package wamp

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// broker is a realm's publish/subscribe core: subscriptions by URI and
// match policy, and the fan-out of publications.
//
// Exact subscriptions live in a sharded table (topic → subscription);
// prefix and wildcard subscriptions in the pattern index, which a
// publication skips entirely while the realm has none. Each subscription
// has its own RWMutex over its members. A fan-out holds one
// subscription's read lock at a time while it queues the shared frame to
// every member, so publications run in parallel and subscribe/unsubscribe
// wait only for the fan-outs of their own subscription. Lock order: table
// shard (or pattern index), then subscription. A subscription whose last
// member left is marked dead and removed from its index; a subscriber
// that finds a dead one retries with a fresh one.
type broker struct {
	seed     maphash.Seed
	shards   [shardCount]topicShard
	patterns patternIndex
	nextID   atomic.Uint64 // subscription ids, per realm, from 1

	subscriptions atomic.Int64 // live subscriptions (topics and patterns)
	members       atomic.Int64 // (session, subscription) pairs
}

type topicShard struct {
	mu sync.RWMutex
	m  map[string]*Subscription
	_  [32]byte // pad to 64 bytes: shards on separate cache lines
}

// shrinkBelow is the capacity under which a subscription's member slice
// is never reallocated smaller.
const shrinkBelow = 64

func (b *broker) init() {
	b.seed = maphash.MakeSeed()
	for i := range b.shards {
		b.shards[i].m = make(map[string]*Subscription)
	}
}

func (b *broker) shard(topic string) *topicShard {
	return &b.shards[maphash.String(b.seed, topic)&(shardCount-1)]
}

// lookup returns the live exact subscription of topic, or nil.
func (b *broker) lookup(topic string) *Subscription {
	sh := b.shard(topic)
	sh.mu.RLock()
	sub := sh.m[topic]
	sh.mu.RUnlock()
	return sub
}

// find returns the live subscription (uri, m), or nil.
func (b *broker) find(uri string, m Match) *Subscription {
	if m == MatchExact {
		return b.lookup(uri)
	}
	return b.patterns.find(uri, m)
}

// newSubscription makes a subscription with the realm's next id and s
// as its first member (held: see subscribe), so that no other session
// can find it empty (and delete it) before its creator is in.
func (b *broker) newSubscription(s *Session, uri string, m Match, held bool) (*Subscription, *member) {
	b.subscriptions.Add(1)
	sub := &Subscription{id: ID(b.nextID.Add(1)), uri: uri, match: m, created: time.Now()}
	mem := &member{sess: s, sub: sub}
	if held {
		sub.held = append(sub.held, mem)
	} else {
		sub.members = append(sub.members, mem)
	}
	return sub, mem
}

// subscribe adds s to the subscription (uri, m), creating it when needed;
// created tells that this call created the subscription. A held member
// counts as a subscriber but fan-outs skip it until release. The caller
// has checked that s is not a member yet.
func (b *broker) subscribe(s *Session, uri string, m Match, held bool) (mem *member, created bool) {
	for {
		sub, mem := b.find(uri, m), (*member)(nil)
		if sub == nil {
			sub, mem = b.create(s, uri, m, held)
			if mem != nil {
				b.members.Add(1)
				return mem, true
			}
		}
		sub.mu.Lock()
		if sub.dead {
			sub.mu.Unlock()
			continue
		}
		mem = &member{sess: s, sub: sub}
		if held {
			mem.idx = len(sub.held)
			sub.held = append(sub.held, mem)
		} else {
			mem.idx = len(sub.members)
			sub.members = append(sub.members, mem)
		}
		sub.mu.Unlock()
		b.members.Add(1)
		return mem, false
	}
}

// create makes the subscription (uri, m) with s as its first member and
// returns it with that member; when another session created it first, it
// returns that one and a nil member.
func (b *broker) create(s *Session, uri string, m Match, held bool) (*Subscription, *member) {
	if m != MatchExact {
		var mem *member
		sub, _ := b.patterns.getOrCreate(uri, m, func(uri string, m Match) *Subscription {
			var sub *Subscription
			sub, mem = b.newSubscription(s, uri, m, held)
			return sub
		})
		return sub, mem
	}
	sh := b.shard(uri)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sub := sh.m[uri]; sub != nil {
		return sub, nil
	}
	sub, mem := b.newSubscription(s, uri, m, held)
	sh.m[uri] = sub
	return sub, mem
}

// release makes the held member mem one that fan-outs reach, running
// before first under the subscription's write lock: no fan-out of the
// subscription interleaves, so what before queues to the session comes
// before any event of it. It reports false, without running before,
// when mem is not held (it left).
func (b *broker) release(mem *member, before func()) bool {
	sub := mem.sub
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.holds(mem) {
		return false
	}
	removeMember(&sub.held, mem)
	before()
	mem.idx = len(sub.members)
	sub.members = append(sub.members, mem)
	return true
}

// removeMember removes mem from list, moving the last member into its
// place, and shrinks a large list that became mostly empty.
func removeMember(list *[]*member, mem *member) {
	ms := *list
	last := len(ms) - 1
	moved := ms[last]
	ms[mem.idx] = moved
	moved.idx = mem.idx
	ms[last] = nil
	ms = ms[:last]
	if c := cap(ms); c > shrinkBelow && last < c/4 {
		ms = append(make([]*member, 0, 2*last), ms...)
	}
	*list = ms
}

// unsubscribe removes mem from its subscription, and the subscription
// from its index when it became empty; deleted tells that it did.
func (b *broker) unsubscribe(mem *member) (deleted bool) {
	sub := mem.sub
	sub.mu.Lock()
	if sub.holds(mem) {
		removeMember(&sub.held, mem)
	} else {
		removeMember(&sub.members, mem)
	}
	empty := len(sub.members)+len(sub.held) == 0
	sub.mu.Unlock()
	b.members.Add(-1)
	return empty && b.dropIfEmpty(sub)
}

// dropIfEmpty removes sub from its index when it has no members (none
// joined since its last one left) and reports whether it did.
func (b *broker) dropIfEmpty(sub *Subscription) bool {
	if sub.match != MatchExact {
		if b.patterns.dropIfEmpty(sub) {
			b.subscriptions.Add(-1)
			return true
		}
		return false
	}
	sh := b.shard(sub.uri)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if len(sub.members)+len(sub.held) > 0 || sub.dead {
		return false
	}
	sub.dead = true
	if sh.m[sub.uri] == sub {
		delete(sh.m, sub.uri)
	}
	b.subscriptions.Add(-1)
	return true
}

// appendMatching appends the live subscriptions that match topic to dst:
// the exact one first, then prefix and wildcard ones.
func (b *broker) appendMatching(dst []*Subscription, topic string) []*Subscription {
	if sub := b.lookup(topic); sub != nil {
		dst = append(dst, sub)
	}
	if b.patterns.count.Load() > 0 {
		dst = b.patterns.appendMatching(dst, topic)
	}
	return dst
}
