package wamp

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// InvokePolicy is how a shared registration picks the callee of a call
// (REGISTER.Options.invoke).
type InvokePolicy uint8

// The invocation policies of the WAMP spec. Single admits one callee;
// the others admit any number of callees that all register with the same
// policy: roundrobin takes them in turn (in the order they registered),
// random picks one at random, first the earliest still registered, last
// the latest.
const (
	InvokeSingle InvokePolicy = iota
	InvokeRoundRobin
	InvokeRandom
	InvokeFirst
	InvokeLast
)

var invokeNames = [...]string{"single", "roundrobin", "random", "first", "last"}

// String is the policy's name in the WAMP spec.
func (p InvokePolicy) String() string {
	if int(p) < len(invokeNames) {
		return invokeNames[p]
	}
	return "invalid"
}

// ParseInvokePolicy reads the invoke option of REGISTER: "" (the option
// absent) is InvokeSingle.
func ParseInvokePolicy(s string) (InvokePolicy, bool) {
	if s == "" {
		return InvokeSingle, true
	}
	for i, name := range invokeNames {
		if s == name {
			return InvokePolicy(i), true
		}
	}
	return 0, false
}

// RegisterOptions are the options of a registration.
type RegisterOptions struct {
	// Match is how the registration's URI matches procedures
	// (REGISTER.Options.match).
	Match Match
	// Invoke is the registration's invocation policy
	// (REGISTER.Options.invoke); every callee of a shared registration
	// gives the same.
	Invoke InvokePolicy
	// DiscloseCaller asks for the caller's identity in every invocation
	// of this callee (REGISTER.Options.disclose_caller), as if each
	// caller had set disclose_me.
	DiscloseCaller bool
}

// ProcedureFunc serves the calls of a procedure the realm implements
// itself (Realm.Register): it answers call like Handler.OnCall does, and
// the same rules apply (run on the caller's worker, answer once, now or
// later, from any goroutine).
type ProcedureFunc func(caller Peer, call *Call)

// Registration is one registration of a realm: a procedure URI (or a
// pattern) with its match and invocation policies, the id its callees
// share and its callees. A registration lives while it has callees; one
// made again later gets a new id. A procedure the realm serves itself
// (Realm.Register) has no callee sessions and lives until unregistered.
//
// Its methods are safe for concurrent use.
type Registration struct {
	id      ID
	uri     string
	match   Match
	invoke  InvokePolicy
	created time.Time
	dealer  *dealer
	fn      ProcedureFunc // a procedure of the realm's own; then no callees
	runs    []int         // wildcard: lengths of the runs of concrete components
	next    atomic.Uint32 // roundrobin: the next callee's turn

	callees []callee // in registration order; guarded by dealer.mu
	// pending is the cluster proposal the registration waits for, nil
	// once the cluster consented (or on a single node); guarded by
	// dealer.mu. A pending registration takes no calls.
	pending *proposal
}

// callee is one session's part in a registration.
type callee struct {
	sess           *Session
	discloseCaller bool
}

// ID is the registration id, sent in v2's REGISTERED and INVOCATION.
func (r *Registration) ID() ID { return r.id }

// URI is the procedure, or the pattern for prefix and wildcard
// registrations.
func (r *Registration) URI() string { return r.uri }

// Match is the registration's match policy.
func (r *Registration) Match() Match { return r.match }

// Invoke is the registration's invocation policy.
func (r *Registration) Invoke() InvokePolicy { return r.invoke }

// Created is when the registration was made (meta API).
func (r *Registration) Created() time.Time { return r.created }

// Callees is how many sessions are registered (0 for a procedure the
// realm serves itself).
func (r *Registration) Callees() int {
	r.dealer.mu.RLock()
	defer r.dealer.mu.RUnlock()
	return len(r.callees)
}

// AppendCallees appends the ids of the registration's sessions to dst, in
// registration order (meta API: wamp.registration.list_callees).
func (r *Registration) AppendCallees(dst []ID) []ID {
	r.dealer.mu.RLock()
	defer r.dealer.mu.RUnlock()
	for _, c := range r.callees {
		dst = append(dst, c.sess.id)
	}
	return dst
}

// pick chooses the callee of one call by the invocation policy. The
// caller holds dealer.mu (read) and r has callees.
func (r *Registration) pick() callee {
	n := len(r.callees)
	switch r.invoke {
	case InvokeRoundRobin:
		return r.callees[(r.next.Add(1)-1)%uint32(n)]
	case InvokeRandom:
		return r.callees[rand.IntN(n)]
	case InvokeLast:
		return r.callees[n-1]
	}
	return r.callees[0] // single, first
}

// index returns the position of s among r's callees, or -1. The caller
// holds dealer.mu.
func (r *Registration) index(s *Session) int {
	for i, c := range r.callees {
		if c.sess == s {
			return i
		}
	}
	return -1
}

// wildcardRuns returns the lengths of the runs of concrete components of
// the wildcard pattern uri, split at each wildcard (empty component):
// "a1.b2..d4.e5" gives [2 2], "..c" gives [0 0 1]. A call matching several
// wildcard registrations goes to the one whose runs compare greatest,
// element by element (the spec: the longest portion of concrete
// components before each wildcard wins).
func wildcardRuns(uri string) []int {
	runs := []int{0}
	start := 0
	for i := 0; i <= len(uri); i++ {
		if i < len(uri) && uri[i] != '.' {
			continue
		}
		if i == start {
			runs = append(runs, 0)
		} else {
			runs[len(runs)-1]++
		}
		start = i + 1
	}
	return runs
}

// betterWildcard reports whether wildcard registration a takes precedence
// over b for a call both match: greater runs, then the older one.
func betterWildcard(a, b *Registration) bool {
	for i := range min(len(a.runs), len(b.runs)) {
		if a.runs[i] != b.runs[i] {
			return a.runs[i] > b.runs[i]
		}
	}
	if len(a.runs) != len(b.runs) {
		return len(a.runs) < len(b.runs)
	}
	return a.id < b.id
}
