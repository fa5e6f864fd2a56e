package wamp

import "fmt"

// This file holds a Session's subscriptions: Subscribe, Unsubscribe by id
// (v2) and by topic (v1), and the retained events of a subscription.

// Subscribe subscribes the session to topic (a pattern when match is
// MatchPrefix or MatchWildcard) after Handler.OnSubscribe agreed
// (publishing the meta events wamp.subscription.on_create and
// on_subscribe), and returns the subscription, whose id is shared by every session
// subscribed to the same (topic, match). When the session is already
// subscribed, it returns that subscription with already set, without a
// hook call (v2 answers SUBSCRIBED with the same id again). Errors: the
// authorizer's refusal (a *URIError wamp.error.not_authorized, checked
// first), the hook's refusal, ErrTooManySubscriptions, ErrNotLive. The
// URI is not checked here (v1 topics are not WAMP v2 URIs); the v2
// session checks it with ValidURI first.
func (s *Session) Subscribe(topic string, match Match) (sub *Subscription, already bool, err error) {
	if err := s.preSubscribe(topic, match); err != nil {
		return nil, false, err
	}
	if i := s.subscription(topic, match); i >= 0 {
		return s.subs[i].sub, true, nil
	}
	max := s.realm.router.maxSubs
	if len(s.subs) >= max {
		return nil, false, fmt.Errorf("subscribe %q: %w (limit %d)", topic, ErrTooManySubscriptions, max)
	}
	if err := s.hook("OnSubscribe", func() error { return s.realm.router.handler.OnSubscribe(s, topic, match) }); err != nil {
		return nil, false, fmt.Errorf("wamp: subscribe %q refused: %w", topic, err)
	}
	mem, created := s.realm.broker.subscribe(s, topic, match)
	s.mu.Lock()
	s.subs = append(s.subs, mem)
	s.mu.Unlock()
	s.realm.subscriptionJoined(s, mem.sub, created)
	return mem.sub, false, nil
}

// preSubscribe checks a subscription before any hook: the session is
// live and its role may subscribe.
func (s *Session) preSubscribe(topic string, match Match) error {
	if !s.Live() {
		return fmt.Errorf("subscribe %q: session %d: %w", topic, s.id, ErrNotLive)
	}
	if ue := s.realm.authorize(s, s.auth.Role, ActionSubscribe, topic, match); ue != nil {
		return ue
	}
	return nil
}

// Unsubscribe removes the session from the subscription with id subID and
// calls Handler.OnUnsubscribe. It returns ErrNoSuchSubscription, without
// a hook call, when the session has no such subscription.
func (s *Session) Unsubscribe(subID ID) error {
	for i, mem := range s.subs {
		if mem.sub.id == subID {
			s.unsubscribeAt(i)
			return nil
		}
	}
	return ErrNoSuchSubscription
}

// UnsubscribeTopic removes the session from the exact subscription of
// topic (v1's UNSUBSCRIBE) and calls Handler.OnUnsubscribe. It reports
// false, without a hook call, when the session was not subscribed.
func (s *Session) UnsubscribeTopic(topic string) bool {
	i := s.subscription(topic, MatchExact)
	if i < 0 {
		return false
	}
	s.unsubscribeAt(i)
	return true
}

// Subscribed reports whether the session is subscribed to the exact topic.
func (s *Session) Subscribed(topic string) bool {
	return s.subscription(topic, MatchExact) >= 0
}

// Subscriptions appends the session's subscriptions to dst.
func (s *Session) Subscriptions(dst []*Subscription) []*Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, mem := range s.subs {
		dst = append(dst, mem.sub)
	}
	return dst
}

// Retained appends to dst the retained events of sub's topics that the
// session may receive (the publications' filters apply): v2 sends them
// after SUBSCRIBED when the client asked for get_retained. The
// publications are shared: read them, never modify them.
func (s *Session) Retained(sub *Subscription, dst []*Publication) []*Publication {
	start := len(dst)
	dst = s.realm.retained.appendMatching(dst, sub.uri, sub.match)
	kept := dst[:start]
	for _, pub := range dst[start:] {
		if pub.Admits(s) {
			kept = append(kept, pub)
		}
	}
	clear(dst[len(kept):])
	return kept
}

// subscription returns the index in s.subs of (topic, match), or -1. Own
// goroutine only.
func (s *Session) subscription(topic string, match Match) int {
	for i, mem := range s.subs {
		if mem.sub.uri == topic && mem.sub.match == match {
			return i
		}
	}
	return -1
}

// unsubscribeAt leaves s.subs[i] and runs the hook.
func (s *Session) unsubscribeAt(i int) {
	mem := s.subs[i]
	s.mu.Lock()
	last := len(s.subs) - 1
	s.subs[i] = s.subs[last]
	s.subs[last] = nil
	s.subs = s.subs[:last]
	s.mu.Unlock()
	sub := mem.sub
	s.realm.subscriptionLeft(s, sub, s.realm.broker.unsubscribe(mem))
	s.hook("OnUnsubscribe", func() error { s.realm.router.handler.OnUnsubscribe(s, sub.uri, sub.match); return nil })
}

// memberOf reports whether the session is subscribed with sub. Safe from
// any goroutine.
func (s *Session) memberOf(sub *Subscription) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, mem := range s.subs {
		if mem.sub == sub {
			return true
		}
	}
	return false
}
