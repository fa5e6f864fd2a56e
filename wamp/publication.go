package wamp

import (
	"cmp"
	"slices"
	"strconv"
)

// Publication is one event published to a topic of a realm. A client's
// PUBLISH becomes one (Session.Publish); an embedding program builds its
// own and passes it to Router.Publish or Realm.Publish (Publisher nil); a
// peer node's relayed publication arrives through Router.Publish with
// Relayed set.
//
// Recipients are the subscribers of every subscription matching Topic
// (exact, prefix, wildcard), minus Exclude (and the publisher when
// ExcludeMe), and, when Eligible is non-empty, only the sessions listed in
// Eligible; Auth may narrow them further by authid and authrole. A
// session must pass every list given. Session ids are unique across the
// cluster, so the lists work across nodes and across protocol versions;
// an id that matches no session (0 included) names nobody. On the
// router's local topic (RouterConfig.LocalTopic) the filters are ignored.
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
	// Exclude lists session ids that must not receive the event.
	Exclude []ID
	// Eligible, when not empty, lists the only session ids that may
	// receive the event. An empty list means every subscriber.
	Eligible []ID
	// Auth, when not nil, holds the authid and authrole filters and the
	// publisher's disclosed authid and authrole; most publications have
	// none, and a Publication stays small without them.
	Auth *PublicationAuth
	// ExcludeMe excludes the publisher from the recipients. Publish folds
	// it into Exclude. v2 defaults it to true, v1 sets it explicitly.
	ExcludeMe bool
	// DiscloseMe asks that the publisher's session id, authid and
	// authrole be given to subscribers (v2: `publisher`,
	// `publisher_authid`, `publisher_authrole` in EVENT details).
	DiscloseMe bool
	// Retain asks the realm to keep the publication as its topic's
	// retained event (v2 `retain`), for subscribers that ask for it.
	Retain bool
	// Relayed marks a publication that came from another node: it is
	// delivered to local subscribers and never relayed again.
	Relayed bool

	byAuth bool // normalize found an authid or authrole filter

	frames [frameCacheSize]cachedFrame
	event  eventArgs // Args as SetEvent built them: Event's fast path
	conv   convCache // Args and Kwargs converted to other formats
}

// PublicationAuth is what a publication says about authids and authroles.
type PublicationAuth struct {
	// ExcludeAuthID and ExcludeAuthRole list authids and authroles that
	// must not receive the event; EligibleAuthID and EligibleAuthRole,
	// when not empty, the only ones that may (v2 PUBLISH options
	// exclude_authid, exclude_authrole, eligible_authid,
	// eligible_authrole). An anonymous session's authid is its session id
	// in decimal.
	ExcludeAuthID, ExcludeAuthRole   []string
	EligibleAuthID, EligibleAuthRole []string
	// PublisherAuthID and PublisherAuthRole are the publisher's authid and
	// authrole, set by Session.Publish (and Realm.PublishAs) when
	// DiscloseMe; they travel with relayed publications.
	PublisherAuthID, PublisherAuthRole string
}

// authPart returns p.Auth, making it when nil.
func (p *Publication) authPart() *PublicationAuth {
	if p.Auth == nil {
		p.Auth = new(PublicationAuth)
	}
	return p.Auth
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

// normalize folds ExcludeMe into Exclude and sorts and deduplicates the
// filter lists, so membership is a short scan or a binary search and each
// eligible id is visited once; it notes whether an authid or authrole
// filter is given, so that the fan-out of a publication without one
// never looks at them.
func (p *Publication) normalize() {
	if p.ExcludeMe && p.PublisherID != 0 {
		p.Exclude = append(p.Exclude, p.PublisherID)
	}
	p.ExcludeMe = false
	p.Exclude = sortedSet(p.Exclude)
	p.Eligible = sortedSet(p.Eligible)
	if a := p.Auth; a != nil {
		a.ExcludeAuthID = sortedSet(a.ExcludeAuthID)
		a.ExcludeAuthRole = sortedSet(a.ExcludeAuthRole)
		a.EligibleAuthID = sortedSet(a.EligibleAuthID)
		a.EligibleAuthRole = sortedSet(a.EligibleAuthRole)
		p.byAuth = len(a.ExcludeAuthID)+len(a.ExcludeAuthRole)+len(a.EligibleAuthID)+len(a.EligibleAuthRole) > 0
	}
}

// filtered reports whether any filter applies once normalized: the
// fan-out checks Admits for each recipient only then.
func (p *Publication) filtered() bool {
	return len(p.Exclude) > 0 || len(p.Eligible) > 0 || p.byAuth
}

// Admits reports whether session s may receive the publication under its
// filters (session ids, authids, authroles), once Publish has normalized
// them. The fan-out and a v2 subscriber's retained events use it.
func (p *Publication) Admits(s *Session) bool {
	if containsID(p.Exclude, s.id) || len(p.Eligible) > 0 && !containsID(p.Eligible, s.id) {
		return false
	}
	return !p.byAuth || p.admitsAuth(s)
}

// admitsAuth applies the authid and authrole filters to s. An anonymous
// session's authid, its id in decimal, is written on the stack.
func (p *Publication) admitsAuth(s *Session) bool {
	a, role := p.Auth, s.auth.Role
	if containsString(a.ExcludeAuthRole, role) || len(a.EligibleAuthRole) > 0 && !containsString(a.EligibleAuthRole, role) {
		return false
	}
	if len(a.ExcludeAuthID) == 0 && len(a.EligibleAuthID) == 0 {
		return true
	}
	var buf [20]byte
	authid := s.auth.ID
	if authid == "" {
		authid = string(strconv.AppendUint(buf[:0], uint64(s.id), 10))
	}
	return !containsString(a.ExcludeAuthID, authid) && (len(a.EligibleAuthID) == 0 || containsString(a.EligibleAuthID, authid))
}

// containsID reports whether the sorted list ids holds id.
func containsID(ids []ID, id ID) bool {
	if len(ids) <= maxLinearIDs {
		return slices.Contains(ids, id)
	}
	_, found := slices.BinarySearch(ids, id)
	return found
}

// containsString reports whether the sorted list ss holds s.
func containsString(ss []string, s string) bool {
	if len(ss) <= maxLinearIDs {
		return slices.Contains(ss, s)
	}
	_, found := slices.BinarySearch(ss, s)
	return found
}

// sortedSet sorts a list in place and removes duplicates.
func sortedSet[T cmp.Ordered](list []T) []T {
	if len(list) < 2 {
		return list
	}
	if !slices.IsSorted(list) {
		slices.Sort(list)
	}
	return slices.Compact(list)
}
