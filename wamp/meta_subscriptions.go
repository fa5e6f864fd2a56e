package wamp

import "fmt"

// This file holds the subscription meta procedures: wamp.subscription.list,
// lookup, match, get, list_subscribers and count_subscribers. They see
// the live subscriptions of the caller's realm on this node, v1 sessions'
// included; those that name a subscription by id visit every
// subscription of the realm.

// metaSubscriptionList: wamp.subscription.list() → [{exact: [ids],
// prefix: [ids], wildcard: [ids]}], each sorted.
func metaSubscriptionList(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	var byMatch [MatchWildcard + 1][]ID
	for _, sub := range r.AllSubscriptions(nil) {
		byMatch[sub.match] = append(byMatch[sub.match], sub.id)
	}
	mc.yield(idsByMatch(byMatch))
}

// metaSubscriptionLookup: wamp.subscription.lookup(topic, [options]) →
// [subscription id] of the subscription (topic, options.match), or [null].
func metaSubscriptionLookup(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	topic, ok := mc.text(0, "topic")
	if !ok {
		return
	}
	m, ok := mc.matchOption(1)
	if !ok {
		return
	}
	if sub := r.LookupSubscription(topic, m); sub != nil {
		mc.yield(uint64(sub.id))
		return
	}
	mc.yield(nil)
}

// metaSubscriptionMatch: wamp.subscription.match(topic) → [[subscription
// ids]] a publication to topic reaches (exact first, then prefix, longest
// first, then wildcard), or [null] when none.
func metaSubscriptionMatch(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	topic, ok := mc.text(0, "topic")
	if !ok {
		return
	}
	subs := r.MatchSubscriptions(topic, nil)
	if len(subs) == 0 {
		mc.yield(nil)
		return
	}
	ids := make([]uint64, len(subs))
	for i, sub := range subs {
		ids[i] = uint64(sub.id)
	}
	mc.yield(ids)
}

// metaSubscriptionGet: wamp.subscription.get(subscription) → [{id,
// created, uri, match}], or wamp.error.no_such_subscription.
func metaSubscriptionGet(r *Realm, _ *Session, call *Call) {
	if mc, sub := subscriptionArg(r, call); sub != nil {
		mc.yield(subscriptionDetails(sub))
	}
}

// metaSubscriptionListSubscribers: wamp.subscription.list_subscribers(
// subscription) → [[session ids]], sorted, or
// wamp.error.no_such_subscription.
func metaSubscriptionListSubscribers(r *Realm, _ *Session, call *Call) {
	if mc, sub := subscriptionArg(r, call); sub != nil {
		mc.yield(sortedIDs(sub.AppendSubscribers(nil)))
	}
}

// metaSubscriptionCountSubscribers: wamp.subscription.count_subscribers(
// subscription) → [count], or wamp.error.no_such_subscription.
func metaSubscriptionCountSubscribers(r *Realm, _ *Session, call *Call) {
	if mc, sub := subscriptionArg(r, call); sub != nil {
		mc.yield(sub.Subscribers())
	}
}

// subscriptionArg decodes call and finds the subscription its first
// argument names; when there is none, it has answered the call and sub
// is nil.
func subscriptionArg(r *Realm, call *Call) (mc *metaCall, sub *Subscription) {
	if mc = decodeMetaCall(call); mc == nil {
		return nil, nil
	}
	id, ok := mc.id(0, "subscription")
	if !ok {
		return mc, nil
	}
	if sub = r.Subscription(id); sub == nil {
		mc.fail(ErrorNoSuchSubscription, fmt.Sprintf("no subscription %d in realm %s on this node", id, r.name))
	}
	return mc, sub
}

// idsByMatch is the spec's SubscriptionLists (and RegistrationLists):
// the ids of each match policy, sorted; empty lists, not null.
func idsByMatch(byMatch [MatchWildcard + 1][]ID) map[string]any {
	out := make(map[string]any, len(byMatch))
	for m, ids := range byMatch {
		out[Match(m).String()] = sortedIDs(ids)
	}
	return out
}
