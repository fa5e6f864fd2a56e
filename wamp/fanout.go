package wamp

// deliver queues pub's EVENT frames to its recipients in realm r and
// returns how many frames were queued: to the exact subscription of
// pub.Topic, then to every matching pattern subscription (a session
// subscribed several ways gets one EVENT per subscription, as the WAMP
// spec has it). pub must be normalized unless everyone is set (the local
// topic: every subscriber, the publisher included, filters ignored).
func (r *Realm) deliver(pub *Publication, everyone bool) uint64 {
	var n uint64
	if sub := r.broker.lookup(pub.Topic); sub != nil {
		n = r.deliverTo(pub, sub, everyone)
	}
	if r.broker.patterns.count.Load() > 0 {
		var buf [8]*Subscription
		for _, sub := range r.broker.patterns.appendMatching(buf[:0], pub.Topic) {
			n += r.deliverTo(pub, sub, everyone)
		}
	}
	return n
}

// deliverTo queues pub's frame to the admitted members of sub.
func (r *Realm) deliverTo(pub *Publication, sub *Subscription, everyone bool) uint64 {
	filtered := !everyone && pub.filtered()
	sub.mu.RLock()
	if filtered && len(pub.Eligible) > 0 && len(pub.Eligible) < len(sub.members) {
		// Few eligible ids: look them up instead of scanning everyone.
		sub.mu.RUnlock()
		return r.deliverEligible(pub, sub)
	}
	var (
		n         uint64
		lastProto *Protocol
		frame     []byte
	)
	for _, m := range sub.members {
		s := m.sess
		if filtered && !pub.Admits(s) {
			continue
		}
		if s.proto != lastProto {
			lastProto, frame = s.proto, pub.frameFor(s.proto, sub)
		}
		if frame == nil {
			continue
		}
		s.conn.SendFrame(frame)
		n++
	}
	sub.mu.RUnlock()
	return n
}

// deliverEligible visits pub.Eligible (normalized: sorted, unique) through
// the session registry and queues the frame to those subscribed with sub
// and admitted by the other filters.
func (r *Realm) deliverEligible(pub *Publication, sub *Subscription) uint64 {
	var n uint64
	for _, id := range pub.Eligible {
		if containsID(pub.Exclude, id) {
			continue
		}
		s := r.router.registry.get(id) // a Reserve'd session is not joined yet: skipped
		if s == nil || s.realm != r || s.state.Load() == sessionNew || pub.byAuth && !pub.admitsAuth(s) || !s.memberOf(sub) || !sub.admits(s) {
			continue
		}
		if frame := pub.frameFor(s.proto, sub); frame != nil {
			s.conn.SendFrame(frame)
			n++
		}
	}
	return n
}
