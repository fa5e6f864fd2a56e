package wamp

import (
	"fmt"
	"sync/atomic"
)

// Realm is one routing domain of a router: its sessions, its broker (one
// topic space shared by v1 and v2 sessions), its retained events, its
// dealer (registrations, and the procedures it serves itself) and its
// meta API (meta.go). Sessions of different realms never see each
// other's publications or procedures. All its methods are safe for
// concurrent use.
type Realm struct {
	name     string
	router   *Router
	broker   broker
	dealer   dealer
	retained retainStore
	sessions atomic.Int64
}

func newRealm(r *Router, name string) *Realm {
	rm := &Realm{name: name, router: r}
	rm.broker.init()
	rm.dealer.init()
	rm.retained.max = r.maxRetained
	return rm
}

// Name is the realm's URI.
func (r *Realm) Name() string { return r.name }

// Router is the router the realm belongs to.
func (r *Realm) Router() *Router { return r.router }

// NewSession makes a session of protocol proto on connection c in this
// realm; auth nil means anonymous, and auth is kept (never modify it
// afterwards). It has no id and receives nothing until Join. v1 makes one per connection and joins the v1 realm when the
// connection opens; v2 makes one per HELLO, in the realm the HELLO names,
// and a new one after GOODBYE.
func (r *Realm) NewSession(c Conn, proto *Protocol, auth *Auth) *Session {
	if auth == nil {
		auth = anonymous
	}
	s := &Session{realm: r, conn: c, proto: proto, auth: auth}
	if r.router.hooks != nil {
		s.ops = queueFor(c)
	}
	return s
}

// join draws a session id unique on the node (and, by the node slot,
// across the cluster) and registers s.
func (r *Realm) join(s *Session) {
	for {
		s.id = drawSessionID(r.router.slot)
		if r.router.registry.insert(s) {
			break
		}
	}
	r.sessions.Add(1)
	r.router.sessions.Add(1)
}

// leave undoes Join for s: its subscriptions (with their meta events),
// then the registry; counted tells that s still counts among the live
// sessions (Kill uncounted it already).
func (r *Realm) leave(s *Session, counted bool) {
	s.mu.Lock()
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for _, mem := range subs {
		r.subscriptionLeft(s, mem.sub, r.broker.unsubscribe(mem))
	}
	r.router.registry.remove(s)
	if counted {
		r.sessions.Add(-1)
		r.router.sessions.Add(-1)
	}
}

// Session returns the live session with id in this realm, or nil.
func (r *Realm) Session(id ID) *Session {
	if s := r.router.registry.get(id); s != nil && s.realm == r && s.Live() {
		return s
	}
	return nil
}

// Sessions appends the realm's live sessions on this node to dst (meta
// API: wamp.session.list). It visits every session of the node.
func (r *Realm) Sessions(dst []*Session) []*Session {
	return r.router.registry.appendRealm(dst, r)
}

// SessionCount is the number of live sessions in the realm on this node.
func (r *Realm) SessionCount() int64 { return r.sessions.Load() }

// Publish delivers pub, a publication of this realm (pub.Realm is set to
// its name), to the local subscribers of every subscription matching
// pub.Topic and, unless pub is Relayed or on the local topic, hands it to
// RouterConfig.Relay first. An embedding program calls it (or
// Router.Publish) to publish from the server side (Publisher nil);
// sessions reach it through Session.Publish, after the OnPublish hook.
// With pub.Retain, pub then becomes its topic's retained event.
//
// Publish takes ownership of pub: it draws pub.ID when zero, gives the
// payload parts explicit formats (a part in an unknown format is
// dropped), may reorder Exclude and Eligible and caches the encoded
// frames in it; do not modify or reuse pub afterwards. Each frame is encoded once per protocol (and
// subscription, for v2) and the same bytes are queued to every recipient.
func (r *Realm) Publish(pub *Publication) { r.publish(pub, true) }

// publish is Publish; relay false keeps pub on this node (the
// subscription and registration meta events, whose ids are the node's).
func (r *Realm) publish(pub *Publication, relay bool) {
	rt := r.router
	rt.published.Add(1)
	pub.Realm = r.name
	if pub.ID == 0 {
		pub.ID = randomID()
	}
	pub.Args.normalize()
	pub.Kwargs.normalize()
	local := rt.localTopic != "" && pub.Topic == rt.localTopic
	if !local {
		pub.normalize()
		if relay && rt.relay != nil && !pub.Relayed {
			rt.relay(pub)
		}
	}
	if n := r.deliver(pub, local); n > 0 {
		rt.delivered.Add(n)
	}
	if pub.Retain && !local {
		r.retained.put(pub)
	}
}

// Subscription returns the live subscription with id, or nil (meta API:
// wamp.subscription.get). It visits every subscription of the realm.
func (r *Realm) Subscription(id ID) *Subscription {
	for _, sub := range r.AllSubscriptions(nil) {
		if sub.id == id {
			return sub
		}
	}
	return nil
}

// LookupSubscription returns the live subscription (uri, match), or nil
// (meta API: wamp.subscription.lookup).
func (r *Realm) LookupSubscription(uri string, match Match) *Subscription {
	return r.broker.find(uri, match)
}

// MatchSubscriptions appends the live subscriptions that a publication to
// topic would reach to dst: the exact one, then prefix (longest first)
// and wildcard ones (meta API: wamp.subscription.match).
func (r *Realm) MatchSubscriptions(topic string, dst []*Subscription) []*Subscription {
	return r.broker.appendMatching(dst, topic)
}

// AllSubscriptions appends every live subscription of the realm to dst
// (meta API: wamp.subscription.list).
func (r *Realm) AllSubscriptions(dst []*Subscription) []*Subscription {
	b := &r.broker
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.RLock()
		for _, sub := range sh.m {
			dst = append(dst, sub)
		}
		sh.mu.RUnlock()
	}
	return b.patterns.appendAll(dst)
}

// Register makes fn serve the calls of procedure (a pattern when
// opts.Match is not MatchExact; opts.Invoke and opts.DiscloseCaller do
// not apply) in this realm: a procedure the realm implements in Go. Only
// such procedures may use the reserved prefix "wamp."; one there takes
// the place of the router's meta procedure of that name (e.g. a
// wamp.session.kill that checks who calls). Calls reach it like a
// session's registration (exact, then longest prefix, then wildcard),
// before the meta procedures and Handler.OnCall. It
// fails with ErrProcedureAlreadyExists when (procedure, opts.Match) is
// registered already, by a session or the realm.
func (r *Realm) Register(procedure string, opts RegisterOptions, fn ProcedureFunc) (*Registration, error) {
	reg, _, err := r.dealer.add(procedure, opts, nil, fn)
	if err != nil {
		return nil, fmt.Errorf("wamp: realm %q: register %q: %w", r.name, procedure, err)
	}
	return reg, nil
}

// Unregister removes a procedure Register made. It returns
// ErrNoSuchRegistration when reg is gone already or is not one of the
// realm's own procedures.
func (r *Realm) Unregister(reg *Registration) error {
	if reg.fn == nil || reg.dealer != &r.dealer {
		return ErrNoSuchRegistration
	}
	if removed, _ := r.dealer.remove(reg, nil); !removed {
		return ErrNoSuchRegistration
	}
	return nil
}

// Registration returns the live registration with id, or nil (meta API:
// wamp.registration.get). It visits every registration of the realm.
func (r *Realm) Registration(id ID) *Registration {
	for _, reg := range r.AllRegistrations(nil) {
		if reg.id == id {
			return reg
		}
	}
	return nil
}

// LookupRegistration returns the live registration (uri, match), or nil
// (meta API: wamp.registration.lookup).
func (r *Realm) LookupRegistration(uri string, match Match) *Registration {
	r.dealer.mu.RLock()
	defer r.dealer.mu.RUnlock()
	return r.dealer.find(uri, match)
}

// MatchRegistration returns the registration a call to procedure would
// reach (exact, then longest prefix, then wildcard), or nil (meta API:
// wamp.registration.match).
func (r *Realm) MatchRegistration(procedure string) *Registration {
	r.dealer.mu.RLock()
	defer r.dealer.mu.RUnlock()
	return r.dealer.match(procedure)
}

// AllRegistrations appends every live registration of the realm to dst,
// its own procedures included (meta API: wamp.registration.list).
func (r *Realm) AllRegistrations(dst []*Registration) []*Registration {
	return r.dealer.appendAll(dst)
}

// RealmStats is a snapshot of a realm's counters.
type RealmStats struct {
	Sessions        int64  // live sessions
	Subscriptions   int64  // live subscriptions (topics and patterns)
	Subscribers     int64  // (session, subscription) pairs
	Retained        int64  // topics with a retained event
	RetainedEvicted uint64 // retained events evicted by the bound
	Registrations   int64  // live registrations (procedures and patterns)
	CallsInFlight   int64  // invocations in flight to callee sessions
}

// Stats returns the realm's counters: a few atomic loads.
func (r *Realm) Stats() RealmStats {
	return RealmStats{
		Sessions:        r.sessions.Load(),
		Subscriptions:   r.broker.subscriptions.Load(),
		Subscribers:     r.broker.members.Load(),
		Retained:        r.retained.count.Load(),
		RetainedEvicted: r.retained.evicted.Load(),
		Registrations:   r.dealer.registrations.Load(),
		CallsInFlight:   r.dealer.inFlight.Load(),
	}
}
