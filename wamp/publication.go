package wamp

import "slices"

// Publication is one event published to a topic of a realm. A client's
// PUBLISH becomes one (Session.Publish); an embedding program builds its
// own and passes it to Router.Publish or Realm.Publish (Publisher nil); a
// peer node's relayed publication arrives through Router.Publish with
// Relayed set.
//
// Recipients are the subscribers of every subscription matching Topic
// (exact, prefix, wildcard), minus Exclude (and the publisher when
// ExcludeMe), and, when Eligible is non-empty, only the sessions listed in
// Eligible. Session ids are unique across the cluster, so the lists work
// across nodes and across protocol versions; an id that matches no
// session (0 included) names nobody. On the router's local topic
// (RouterConfig.LocalTopic) ExcludeMe, Exclude and Eligible are ignored.
type Publication struct {
	// Realm is the realm's name; "" in Router.Publish means the v1 realm.
	Realm string
	// Topic is the full topic URI.
	Topic string
	// Args and Kwargs are the payload as the publisher sent it: a list
	// and a dictionary in their wire format, each absent when nil. A v1
	// event is Args = [event] in JSON (see SetEvent and Event).
	Args, Kwargs Payload
	// ID is the publication id, random in [1, 2^53]; drawn at the origin
	// when zero and kept when relayed.
	ID ID
	// Publisher is the publishing session; nil for publications made by
	// the server itself or relayed from another node.
	Publisher Peer
	// PublisherID is the publishing session's id (0 for the server); it
	// travels with relayed publications, for ExcludeMe and DiscloseMe.
	PublisherID ID
	// ExcludeMe excludes the publisher from the recipients. Publish folds
	// it into Exclude. v2 defaults it to true, v1 sets it explicitly.
	ExcludeMe bool
	// Exclude lists session ids that must not receive the event.
	Exclude []ID
	// Eligible, when not empty, lists the only session ids that may
	// receive the event. An empty list means every subscriber.
	Eligible []ID
	// DiscloseMe asks that the publisher's session id be given to
	// subscribers (v2: `publisher` in EVENT details).
	DiscloseMe bool
	// Retain asks the realm to keep the publication as its topic's
	// retained event (v2 `retain`), for subscribers that ask for it.
	Retain bool
	// Relayed marks a publication that came from another node: it is
	// delivered to local subscribers and never relayed again.
	Relayed bool

	// Issue 11 adds the authid/authrole filters here, checked in Admits.

	frames [frameCacheSize]cachedFrame
	event  eventArgs // Args as SetEvent built them: Event's fast path
	conv   convCache // Args and Kwargs converted to other formats
}

// frameCacheSize is how many encoded EVENT frames a publication caches:
// one per protocol that encodes per publication (v1) and one per protocol
// that encodes per subscription (v2 JSON, MessagePack, CBOR) for the
// subscription being fanned out.
const frameCacheSize = 4

// maxLinearIDs is the list length up to which id membership is a linear
// scan rather than a binary search.
const maxLinearIDs = 8

type cachedFrame struct {
	proto *Protocol
	sub   *Subscription // nil for a per-publication protocol
	frame []byte
}

// frameFor returns the EVENT frame of p for proto and sub, encoding it on
// first use. Only the fan-out uses it, from one goroutine per
// publication, so no locking. Subscriptions are fanned out one after the
// other, so a slot of a per-subscription protocol whose subscription is
// done is reused.
func (p *Publication) frameFor(proto *Protocol, sub *Subscription) []byte {
	key := sub
	if !proto.PerSubscription {
		key = nil
	}
	for i := range p.frames {
		if f := &p.frames[i]; f.proto == proto && f.sub == key {
			return f.frame
		}
	}
	frame := proto.EventFrame(p, sub)
	for i := range p.frames {
		if f := &p.frames[i]; f.proto == nil || f.sub != nil && f.sub != sub {
			*f = cachedFrame{proto: proto, sub: key, frame: frame}
			break
		}
	}
	return frame
}

// dropFrames forgets the encoded frames (a retained publication keeps its
// payload, not its frames).
func (p *Publication) dropFrames() { p.frames = [frameCacheSize]cachedFrame{} }

// normalize folds ExcludeMe into Exclude and sorts and deduplicates
// Exclude and Eligible, so membership is a short scan or a binary search
// and each eligible id is visited once.
func (p *Publication) normalize() {
	if p.ExcludeMe && p.PublisherID != 0 {
		p.Exclude = append(p.Exclude, p.PublisherID)
	}
	p.ExcludeMe = false
	p.Exclude = sortedSet(p.Exclude)
	p.Eligible = sortedSet(p.Eligible)
}

// Admits reports whether session id may receive the publication under its
// exclude and eligible lists, once Publish has normalized them (the v2
// session filters retained events with it).
func (p *Publication) Admits(id ID) bool {
	if containsID(p.Exclude, id) {
		return false
	}
	return len(p.Eligible) == 0 || containsID(p.Eligible, id)
}

// containsID reports whether the sorted list ids holds id.
func containsID(ids []ID, id ID) bool {
	if len(ids) <= maxLinearIDs {
		return slices.Contains(ids, id)
	}
	_, found := slices.BinarySearch(ids, id)
	return found
}

// sortedSet sorts ids in place and removes duplicates.
func sortedSet(ids []ID) []ID {
	if len(ids) < 2 {
		return ids
	}
	if !slices.IsSorted(ids) {
		slices.Sort(ids)
	}
	return slices.Compact(ids)
}
