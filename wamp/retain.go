package wamp

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// DefaultMaxRetained is the default of RouterConfig.MaxRetained.
const DefaultMaxRetained = 10000

// retainStore keeps a realm's retained events: the last publication made
// with Retain on each topic, for subscribers that ask for it (v2
// get_retained). It is bounded: beyond max topics the topic retained the
// longest ago is evicted, and counted. Only publications with Retain and
// subscriptions asking for retained events touch it.
type retainStore struct {
	max     int
	count   atomic.Int64
	evicted atomic.Uint64

	mu    sync.Mutex
	byURI map[string]*list.Element // topic → element holding *Publication
	order list.List                // oldest first
}

// put makes pub the retained event of its topic.
func (r *retainStore) put(pub *Publication) {
	pub.dropFrames()
	pub.Publisher = nil // keep the id, not the session
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byURI == nil {
		r.byURI = make(map[string]*list.Element)
	}
	if e := r.byURI[pub.Topic]; e != nil {
		e.Value = pub
		r.order.MoveToBack(e)
		return
	}
	if r.order.Len() >= r.max {
		oldest := r.order.Front()
		delete(r.byURI, oldest.Value.(*Publication).Topic)
		r.order.Remove(oldest)
		r.evicted.Add(1)
	}
	r.byURI[pub.Topic] = r.order.PushBack(pub)
	r.count.Store(int64(r.order.Len()))
}

// appendMatching appends the retained events whose topics the
// subscription (uri, m) matches to dst, oldest first.
func (r *retainStore) appendMatching(dst []*Publication, uri string, m Match) []*Publication {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m == MatchExact {
		if e := r.byURI[uri]; e != nil {
			dst = append(dst, e.Value.(*Publication))
		}
		return dst
	}
	for e := r.order.Front(); e != nil; e = e.Next() {
		if pub := e.Value.(*Publication); Matches(pub.Topic, uri, m) {
			dst = append(dst, pub)
		}
	}
	return dst
}
