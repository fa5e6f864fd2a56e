package wamp

import (
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
)

// broker keeps topic → subscribers and fans publications out.
//
// Locking: a sharded table maps topic names to topics; each topic has its
// own RWMutex over its subscriber slice. A fan-out holds the topic's read
// lock while it queues the shared frame to every subscriber (Conn.SendFrame
// never blocks), so publications to one topic run in parallel and
// subscribe/unsubscribe wait only for the fan-outs of their own topic.
// Lock order: table shard, then topic. A topic whose last subscriber left
// is marked dead and removed from the table; a subscriber that finds a
// dead topic retries with a fresh one.
type broker struct {
	seed          maphash.Seed
	shards        [shardCount]topicShard
	topics        atomic.Int64
	subscriptions atomic.Int64
}

type topicShard struct {
	mu sync.RWMutex
	m  map[string]*topic
	_  [32]byte // pad to 64 bytes: shards on separate cache lines
}

type topic struct {
	name string
	mu   sync.RWMutex
	subs []*subscription
	dead bool // removed from the table; guarded by mu
}

// subscription is one session's membership in one topic. idx is its
// position in topic.subs, kept up to date under topic.mu so that removal
// is O(1).
type subscription struct {
	sess  *Session
	topic *topic
	idx   int
}

// maxResolvedExcludes is the longest exclude list deliver resolves to
// sessions up front.
const maxResolvedExcludes = 8

// shrinkBelow is the capacity under which a topic's subscriber slice is
// never reallocated smaller.
const shrinkBelow = 64

func newBroker() *broker {
	b := &broker{seed: maphash.MakeSeed()}
	for i := range b.shards {
		b.shards[i].m = make(map[string]*topic)
	}
	return b
}

func (b *broker) shard(name string) *topicShard {
	return &b.shards[maphash.String(b.seed, name)&(shardCount-1)]
}

// lookup returns the live topic name, or nil when it has no subscribers.
func (b *broker) lookup(name string) *topic {
	sh := b.shard(name)
	sh.mu.RLock()
	t := sh.m[name]
	sh.mu.RUnlock()
	return t
}

// getOrCreate returns the topic name, creating it when needed.
func (b *broker) getOrCreate(name string) *topic {
	if t := b.lookup(name); t != nil {
		return t
	}
	sh := b.shard(name)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.m[name]
	if t == nil {
		t = &topic{name: name}
		sh.m[name] = t
		b.topics.Add(1)
	}
	return t
}

// subscribe adds s to topic name. The caller has checked that s is not
// subscribed yet.
func (b *broker) subscribe(s *Session, name string) *subscription {
	for {
		t := b.getOrCreate(name)
		t.mu.Lock()
		if t.dead {
			t.mu.Unlock()
			continue
		}
		sub := &subscription{sess: s, topic: t, idx: len(t.subs)}
		t.subs = append(t.subs, sub)
		t.mu.Unlock()
		b.subscriptions.Add(1)
		return sub
	}
}

// unsubscribe removes sub from its topic, and the topic from the table
// when it became empty.
func (b *broker) unsubscribe(sub *subscription) {
	t := sub.topic
	t.mu.Lock()
	last := len(t.subs) - 1
	moved := t.subs[last]
	t.subs[sub.idx] = moved
	moved.idx = sub.idx
	t.subs[last] = nil
	t.subs = t.subs[:last]
	if c := cap(t.subs); c > shrinkBelow && last < c/4 {
		t.subs = append(make([]*subscription, 0, 2*last), t.subs...)
	}
	empty := last == 0
	t.mu.Unlock()
	b.subscriptions.Add(-1)
	if empty {
		b.dropIfEmpty(t)
	}
}

func (b *broker) dropIfEmpty(t *topic) {
	sh := b.shard(t.name)
	sh.mu.Lock()
	t.mu.Lock()
	if len(t.subs) == 0 && !t.dead {
		t.dead = true
		if sh.m[t.name] == t {
			delete(sh.m, t.name)
		}
		b.topics.Add(-1)
	}
	t.mu.Unlock()
	sh.mu.Unlock()
}

// deliver queues pub's event frame to its recipients on this node and
// returns how many frames were queued. pub must be normalized unless
// everyone is set (the legacy broadcast topic: every subscriber,
// including the publisher, filters ignored).
func (b *broker) deliver(pub *Publication, everyone bool, reg *registry) uint64 {
	t := b.lookup(pub.Topic)
	if t == nil {
		return 0
	}
	filtered := !everyone && (len(pub.Exclude) > 0 || len(pub.Eligible) > 0)
	t.mu.RLock()
	if filtered && len(pub.Eligible) > 0 && len(pub.Eligible) < len(t.subs) {
		// Few eligible ids: look them up instead of scanning everyone.
		t.mu.RUnlock()
		return deliverEligible(pub, t, reg)
	}
	var (
		n         uint64
		lastProto *Protocol
		frame     []byte
		// A short exclude list (excludeMe is the common case) is resolved
		// to sessions once, so each subscriber costs pointer comparisons
		// instead of a search among strings.
		excluded [maxResolvedExcludes]*Session
		resolved = filtered && len(pub.Eligible) == 0 && len(pub.Exclude) <= maxResolvedExcludes
		nexcl    int
	)
	if resolved {
		for _, id := range pub.Exclude {
			if s := reg.get(id); s != nil {
				excluded[nexcl] = s
				nexcl++
			}
		}
	}
	for _, sub := range t.subs {
		s := sub.sess
		if resolved {
			if slices.Contains(excluded[:nexcl], s) {
				continue
			}
		} else if filtered && !pub.admits(s.id) {
			continue
		}
		if s.proto != lastProto {
			lastProto, frame = s.proto, pub.frameFor(s.proto)
		}
		s.conn.SendFrame(frame)
		n++
	}
	t.mu.RUnlock()
	return n
}

// deliverEligible visits pub.Eligible (normalized: sorted, unique) through
// the session registry and queues the frame to those subscribed to t and
// not excluded.
func deliverEligible(pub *Publication, t *topic, reg *registry) uint64 {
	var n uint64
	for _, id := range pub.Eligible {
		if pub.excludes(id) {
			continue
		}
		s := reg.get(id)
		if s == nil || !s.subscribedTo(t) {
			continue
		}
		s.conn.SendFrame(pub.frameFor(s.proto))
		n++
	}
	return n
}
