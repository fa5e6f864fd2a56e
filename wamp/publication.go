package wamp

import "slices"

// maxProtocols is how many protocols' event frames a Publication caches:
// v1, v2 JSON and v2 MessagePack.
const maxProtocols = 3

// Publication is one event published to a topic. A client's PUBLISH
// becomes one; an embedding program builds its own and passes it to
// Router.Publish (Publisher nil).
//
// Recipients are the topic's subscribers, minus Exclude (and the publisher
// when ExcludeMe), and, when Eligible is non-empty, only those listed in
// Eligible. Ids in Exclude and Eligible are session ids, unique across the
// cluster; an id that matches no session (including "") names nobody. On
// the legacy broadcast topic ExcludeMe, Exclude and Eligible are ignored.
type Publication struct {
	// Topic is the full topic URI.
	Topic string
	// Event is the event payload, one compact JSON value; nil means null.
	Event []byte
	// Publisher is the publishing session; nil for publications made by
	// the server itself or relayed from another node.
	Publisher Peer
	// ExcludeMe excludes Publisher from the recipients. Publish folds it
	// into Exclude.
	ExcludeMe bool
	// Exclude lists session ids that must not receive the event.
	Exclude []string
	// Eligible, when not empty, lists the only session ids that may
	// receive the event. An empty list means every subscriber.
	Eligible []string
	// Relayed marks a publication that came from another node: it is
	// delivered to local subscribers and never relayed again.
	Relayed bool

	frames [maxProtocols]protocolFrame
}

type protocolFrame struct {
	proto *Protocol
	frame []byte
}

// frameFor returns the event frame of p for proto, encoding it on first
// use. Publications are fanned out by one goroutine, so no locking.
func (p *Publication) frameFor(proto *Protocol) []byte {
	for i := range p.frames {
		f := &p.frames[i]
		if f.proto == proto {
			return f.frame
		}
		if f.proto == nil {
			f.proto, f.frame = proto, proto.EventFrame(p)
			return f.frame
		}
	}
	// More protocols than slots: still correct, just not cached.
	return proto.EventFrame(p)
}

// normalize folds ExcludeMe into Exclude and sorts and deduplicates
// Exclude and Eligible, so membership is a binary search and each eligible
// id is visited once.
func (p *Publication) normalize() {
	if p.ExcludeMe && p.Publisher != nil {
		p.Exclude = append(p.Exclude, p.Publisher.ID())
	}
	p.ExcludeMe = false
	p.Exclude = sortedSet(p.Exclude)
	p.Eligible = sortedSet(p.Eligible)
}

// excludes reports whether session id is in the normalized Exclude list.
func (p *Publication) excludes(id string) bool {
	if len(p.Exclude) == 0 {
		return false
	}
	_, found := slices.BinarySearch(p.Exclude, id)
	return found
}

// admits reports whether session id may receive the normalized
// publication.
func (p *Publication) admits(id string) bool {
	if p.excludes(id) {
		return false
	}
	if len(p.Eligible) == 0 {
		return true
	}
	_, found := slices.BinarySearch(p.Eligible, id)
	return found
}

// sortedSet sorts ids in place and removes duplicates.
func sortedSet(ids []string) []string {
	if len(ids) < 2 {
		return ids
	}
	if !slices.IsSorted(ids) {
		slices.Sort(ids)
	}
	return slices.Compact(ids)
}
