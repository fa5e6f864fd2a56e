package wamp

import (
	"strings"
	"time"

	"github.com/wampgate/wampgate/wamp/value"
)

// This file holds the meta events: the router's own publications about
// sessions joining and leaving a realm, subscriptions and registrations
// being created, joined, left and deleted (WAMP advanced profile, Session,
// Subscription and Registration Meta API).
//
// Cost: an event is built only when a local subscription would receive
// it (watched: one exact-topic lookup, plus the pattern index when the
// realm has pattern subscriptions), so sessions, subscriptions and
// registrations cost nothing more while nobody listens; publications and
// their fan-out never pass here. In a cluster the session events are
// built too when a peer listens (the peers' interest, cluster_interest.go)
// — always with a bus that relays everything (RouterConfig.Relay
// without RouterConfig.Cluster) — and relayed.
//
// Scope: the session events carry session ids, unique across the
// cluster, and are relayed like any publication, so a subscriber on one
// node hears the sessions of every node join and leave. Subscription and
// registration ids are the node's own (two nodes number theirs
// independently), so their events stay on the node where they happen.
// No subscription event is published about subscriptions to the
// reserved "wamp." topics themselves.

// The meta event topics.
const (
	topicSessionOnJoin          = "wamp.session.on_join"
	topicSessionOnLeave         = "wamp.session.on_leave"
	topicSubscriptionOnCreate   = "wamp.subscription.on_create"
	topicSubscriptionOnSub      = "wamp.subscription.on_subscribe"
	topicSubscriptionOnUnsub    = "wamp.subscription.on_unsubscribe"
	topicSubscriptionOnDelete   = "wamp.subscription.on_delete"
	topicRegistrationOnCreate   = "wamp.registration.on_create"
	topicRegistrationOnRegister = "wamp.registration.on_register"
	topicRegistrationOnUnreg    = "wamp.registration.on_unregister"
	topicRegistrationOnDelete   = "wamp.registration.on_delete"
)

// watched reports whether a local subscription of the realm matches
// topic, exactly or by a pattern.
func (r *Realm) watched(topic string) bool {
	b := &r.broker
	if b.lookup(topic) != nil {
		return true
	}
	if b.patterns.count.Load() == 0 {
		return false
	}
	var buf [4]*Subscription
	return len(b.patterns.appendMatching(buf[:0], topic)) > 0
}

// metaPublish publishes the meta event args (neutral values, encoded as
// JSON) to topic as the router (no publisher); relay false keeps it on
// this node.
func (r *Realm) metaPublish(topic string, relay bool, args []any) {
	raw, err := value.Append(value.JSON, nil, args)
	if err != nil { // a value that has no JSON form, e.g. an authid that is not UTF-8
		r.router.log.Warn("wamp: meta event not published", "realm", r.name, "topic", topic, "err", err)
		return
	}
	r.publish(&Publication{Topic: topic, Args: Payload{Raw: raw, Format: value.JSON}}, relay)
}

// sessionJoined publishes wamp.session.on_join [details] for s.
func (r *Realm) sessionJoined(s *Session) {
	if !r.watched(topicSessionOnJoin) && !r.peersInterested(topicSessionOnJoin) {
		return
	}
	args, err := s.appendDetails(append(make([]byte, 0, 192), '['))
	r.publishRaw(topicSessionOnJoin, append(args, ']'), err)
}

// sessionLeft publishes wamp.session.on_leave [session, authid,
// authrole] for s.
func (r *Realm) sessionLeft(s *Session) {
	if !r.watched(topicSessionOnLeave) && !r.peersInterested(topicSessionOnLeave) {
		return
	}
	args := value.AppendUint(value.JSON, append(make([]byte, 0, 64), '['), uint64(s.id))
	args, err := value.AppendText(value.JSON, append(args, ','), s.AuthID())
	if err == nil {
		args, err = value.AppendText(value.JSON, append(args, ','), s.AuthRole())
	}
	r.publishRaw(topicSessionOnLeave, append(args, ']'), err)
}

// publishRaw publishes the session meta event args (JSON) to topic, and
// relays it, unless building it failed (err).
func (r *Realm) publishRaw(topic string, args []byte, err error) {
	if err != nil {
		r.router.log.Warn("wamp: meta event not published", "realm", r.name, "topic", topic, "err", err)
		return
	}
	r.publish(&Publication{Topic: topic, Args: Payload{Raw: args, Format: value.JSON}}, true)
}

// subscriptionJoined publishes wamp.subscription.on_create [session,
// details] when s created sub, then wamp.subscription.on_subscribe
// [session, subscription].
func (r *Realm) subscriptionJoined(s *Session, sub *Subscription, created bool) {
	if strings.HasPrefix(sub.uri, reservedPrefix) {
		return
	}
	if created && r.watched(topicSubscriptionOnCreate) {
		r.metaPublish(topicSubscriptionOnCreate, false, []any{uint64(s.id), subscriptionDetails(sub)})
	}
	if r.watched(topicSubscriptionOnSub) {
		r.metaPublish(topicSubscriptionOnSub, false, []any{uint64(s.id), uint64(sub.id)})
	}
}

// subscriptionLeft publishes wamp.subscription.on_unsubscribe [session,
// subscription] and, when s was the last subscriber (deleted),
// wamp.subscription.on_delete [session, subscription].
func (r *Realm) subscriptionLeft(s *Session, sub *Subscription, deleted bool) {
	if strings.HasPrefix(sub.uri, reservedPrefix) {
		return
	}
	if r.watched(topicSubscriptionOnUnsub) {
		r.metaPublish(topicSubscriptionOnUnsub, false, []any{uint64(s.id), uint64(sub.id)})
	}
	if deleted && r.watched(topicSubscriptionOnDelete) {
		r.metaPublish(topicSubscriptionOnDelete, false, []any{uint64(s.id), uint64(sub.id)})
	}
}

// registrationJoined publishes wamp.registration.on_create [session,
// details] when s created reg, then wamp.registration.on_register
// [session, registration].
func (r *Realm) registrationJoined(s *Session, reg *Registration, created bool) {
	if created && r.watched(topicRegistrationOnCreate) {
		r.metaPublish(topicRegistrationOnCreate, false, []any{uint64(s.id), registrationDetails(reg)})
	}
	if r.watched(topicRegistrationOnRegister) {
		r.metaPublish(topicRegistrationOnRegister, false, []any{uint64(s.id), uint64(reg.id)})
	}
}

// registrationLeft publishes wamp.registration.on_unregister [session,
// registration] and, when s was the last callee (deleted),
// wamp.registration.on_delete [session, registration].
func (r *Realm) registrationLeft(s *Session, reg *Registration, deleted bool) {
	if r.watched(topicRegistrationOnUnreg) {
		r.metaPublish(topicRegistrationOnUnreg, false, []any{uint64(s.id), uint64(reg.id)})
	}
	if deleted && r.watched(topicRegistrationOnDelete) {
		r.metaPublish(topicRegistrationOnDelete, false, []any{uint64(s.id), uint64(reg.id)})
	}
}

// appendDetails appends what the meta API tells about s
// (wamp.session.on_join, wamp.session.get) to dst, as a JSON object with
// its keys sorted (as value.Append writes dicts): authid, authmethod,
// authprovider, authrole, session and transport {protocol: the WebSocket
// subprotocol}. The client's address is left out: every session may read
// this. It fails when a string has no JSON form (not UTF-8).
func (s *Session) appendDetails(dst []byte) ([]byte, error) {
	var err error
	for _, f := range [...]struct{ key, val string }{
		{`{"authid":`, s.AuthID()},
		{`,"authmethod":`, s.AuthMethod()},
		{`,"authprovider":`, s.AuthProvider()},
		{`,"authrole":`, s.AuthRole()},
	} {
		if dst, err = value.AppendText(value.JSON, append(dst, f.key...), f.val); err != nil {
			return dst, err
		}
	}
	dst = value.AppendUint(value.JSON, append(dst, `,"session":`...), uint64(s.id))
	dst, err = value.AppendText(value.JSON, append(dst, `,"transport":{"protocol":`...), s.proto.Name)
	return append(dst, "}}"...), err
}

// subscriptionDetails is the spec's SubscriptionDetails of sub.
func subscriptionDetails(sub *Subscription) map[string]any {
	return map[string]any{
		"id":      uint64(sub.id),
		"created": isoTime(sub.created),
		"uri":     sub.uri,
		"match":   sub.match.String(),
	}
}

// registrationDetails is the spec's RegistrationDetails of reg.
func registrationDetails(reg *Registration) map[string]any {
	return map[string]any{
		"id":      uint64(reg.id),
		"created": isoTime(reg.created),
		"uri":     reg.uri,
		"match":   reg.match.String(),
		"invoke":  reg.invoke.String(),
	}
}

// ISOTimeLayout is how the meta API writes times (the created field of
// subscription and registration details): ISO 8601 in UTC with
// milliseconds, as Crossbar.io writes them.
const ISOTimeLayout = "2006-01-02T15:04:05.000Z"

// isoTime formats t with ISOTimeLayout.
func isoTime(t time.Time) string { return t.UTC().Format(ISOTimeLayout) }
