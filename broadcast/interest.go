package broadcast

import (
	"slices"
	"sync"

	"github.com/wampgate/wampgate/wamp"
)

// Interest-based relay: each peer tells this node which topics and
// patterns of each realm have subscribers there (wamp.ClusterInterest*
// records, in the link's ordered stream: cluster_interest.go in package
// wamp has the protocol), and Relay queues a publication only to the
// links whose peer has a matching subscriber. A realm the peer has not
// finished describing since the link last came up (its Synced record has
// not arrived) gets everything, as does a link that is down: the queue
// then keeps what the peer may need once it is back, and nothing is lost
// while the state travels. Retained publications go everywhere, so that
// every node can answer get_retained.

// peerInterest is what one peer subscribes to, realm by realm.
type peerInterest struct {
	mu     sync.RWMutex
	realms map[string]*topicSet // nil entry map: nothing known since the link came up
}

// topicSet is one realm's topics and patterns with subscribers on a peer.
type topicSet struct {
	synced   bool // the full state arrived: filter
	exact    map[string]struct{}
	prefix   map[string]struct{}
	lens     []int       // distinct prefix lengths, ascending
	lenCount map[int]int // prefixes per length
	wildcard []string
}

func newTopicSet() *topicSet {
	return &topicSet{exact: make(map[string]struct{}), prefix: make(map[string]struct{}), lenCount: make(map[int]int)}
}

// add adds (uri, m).
func (t *topicSet) add(uri string, m wamp.Match) {
	switch m {
	case wamp.MatchExact:
		t.exact[uri] = struct{}{}
	case wamp.MatchPrefix:
		if _, ok := t.prefix[uri]; ok {
			return
		}
		t.prefix[uri] = struct{}{}
		if t.lenCount[len(uri)]++; t.lenCount[len(uri)] == 1 {
			i, _ := slices.BinarySearch(t.lens, len(uri))
			t.lens = slices.Insert(t.lens, i, len(uri))
		}
	default:
		if !slices.Contains(t.wildcard, uri) {
			t.wildcard = append(t.wildcard, uri)
		}
	}
}

// remove removes (uri, m).
func (t *topicSet) remove(uri string, m wamp.Match) {
	switch m {
	case wamp.MatchExact:
		delete(t.exact, uri)
	case wamp.MatchPrefix:
		if _, ok := t.prefix[uri]; !ok {
			return
		}
		delete(t.prefix, uri)
		if t.lenCount[len(uri)]--; t.lenCount[len(uri)] == 0 {
			delete(t.lenCount, len(uri))
			if i, ok := slices.BinarySearch(t.lens, len(uri)); ok {
				t.lens = slices.Delete(t.lens, i, i+1)
			}
		}
	default:
		if i := slices.Index(t.wildcard, uri); i >= 0 {
			t.wildcard = slices.Delete(t.wildcard, i, i+1)
		}
	}
}

// matches reports whether an entry matches topic.
func (t *topicSet) matches(topic string) bool {
	if _, ok := t.exact[topic]; ok {
		return true
	}
	for _, n := range t.lens {
		if n > len(topic) {
			break
		}
		if _, ok := t.prefix[topic[:n]]; ok {
			return true
		}
	}
	for _, p := range t.wildcard {
		if wamp.Matches(topic, p, wamp.MatchWildcard) {
			return true
		}
	}
	return false
}

// size is the number of entries.
func (t *topicSet) size() int { return len(t.exact) + len(t.prefix) + len(t.wildcard) }

// wants reports whether a publication to topic in realm must go to the
// peer: its realm's state is not known yet, or an entry matches.
func (p *peerInterest) wants(realm, topic string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	t := p.realms[realm]
	return t == nil || !t.synced || t.matches(topic)
}

// forget drops everything the peer told: its link went down or came up
// anew, and until it describes a realm again everything of it goes.
func (p *peerInterest) forget() {
	p.mu.Lock()
	p.realms = nil
	p.mu.Unlock()
}

// apply applies an interest record from the peer.
func (p *peerInterest) apply(m *wamp.ClusterMsg) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.realms == nil {
		p.realms = make(map[string]*topicSet)
	}
	t := p.realms[m.Realm]
	if t == nil || m.Kind == wamp.ClusterInterestReset {
		t = newTopicSet()
		p.realms[m.Realm] = t
	}
	switch m.Kind {
	case wamp.ClusterInterestAdd:
		t.add(m.URI, m.Match)
	case wamp.ClusterInterestRemove:
		t.remove(m.URI, m.Match)
	case wamp.ClusterInterestSynced:
		t.synced = true
	}
}

// counts returns the entries of the realms described in full, and how
// many realms that is.
func (p *peerInterest) counts() (entries, realms int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, t := range p.realms {
		if t.synced {
			entries += t.size()
			realms++
		}
	}
	return entries, realms
}

// receiveInterest handles an interest record from the peer (receiving
// goroutine, in order): it is installed, then an Add with a token is
// acknowledged, so every publication Relay handles from now on that
// matches it is queued to the peer after the acknowledgement.
func (l *link) receiveInterest(m *wamp.ClusterMsg) {
	l.interest.apply(m)
	if m.Kind == wamp.ClusterInterestAdd && m.Token != 0 {
		l.enqueue(encodeControl(&wamp.ClusterMsg{Kind: wamp.ClusterInterestAck, Realm: m.Realm, Token: m.Token}))
	}
}

// Interested implements wamp.ClusterLinks.
func (m *Mesh) Interested(realm, topic string) bool {
	for _, l := range m.order {
		if m.cfg.RelayAll || l.interest.wants(realm, topic) {
			return true
		}
	}
	return false
}

// PeerWants reports whether a publication to topic in realm made on this
// node now would be relayed to peer (tests and tools wait on it: a v1
// subscriber on peer gets what is published here once it holds).
func (m *Mesh) PeerWants(peer, realm, topic string) bool {
	l := m.links[peer]
	return l != nil && (m.cfg.RelayAll || l.interest.wants(realm, topic))
}
