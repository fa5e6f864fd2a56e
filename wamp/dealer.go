package wamp

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// reservedPrefix starts the procedures only the router serves: clients
// may not register under it, and calls to it reach only the realm's own
// procedures (Realm.Register), never a client's pattern registration.
const reservedPrefix = "wamp."

// dealer is a realm's routed-RPC core: registrations by URI and match
// policy, and the choice of a call's registration and callee.
//
// One RWMutex guards the indexes and the callee lists of every
// registration: a call takes the read lock for its lookup and pick,
// REGISTER and UNREGISTER (rare) the write lock. Exact registrations are
// one map lookup; prefix ones a lookup per distinct prefix length, longest
// first; wildcard ones are grouped by component count. Calls in flight
// are not kept here but in the caller's and the callee's session tables
// (see invocation.go).
type dealer struct {
	mu       sync.RWMutex
	exact    map[string]*Registration
	prefix   map[string]*Registration
	lens     []int       // distinct prefix lengths, ascending
	lenCount map[int]int // prefix registrations per length
	wildcard map[string]*Registration
	byParts  map[int][]*Registration // wildcard registrations by component count
	nextID   ID                      // the last registration id, per realm

	registrations atomic.Int64 // live registrations
	inFlight      atomic.Int64 // invocations in flight to callee sessions
}

func (d *dealer) init() {
	d.exact = make(map[string]*Registration)
	d.prefix, d.lenCount = make(map[string]*Registration), make(map[int]int)
	d.wildcard, d.byParts = make(map[string]*Registration), make(map[int][]*Registration)
}

// find returns the registration (uri, m), or nil. The caller holds mu.
func (d *dealer) find(uri string, m Match) *Registration {
	switch m {
	case MatchPrefix:
		return d.prefix[uri]
	case MatchWildcard:
		return d.wildcard[uri]
	}
	return d.exact[uri]
}

// add registers callee s (or, with s nil, the realm's own procedure fn)
// for uri; created tells that the registration is new. It fails with
// ErrProcedureAlreadyExists when a registration (uri, opts.Match) exists
// and does not admit s: its policy is single or differs from
// opts.Invoke, s is already one of its callees, or either side is the
// realm's own procedure.
//
// In a cluster, p is the proposal a new registration waits for
// (cluster_registrations.go): the registration is made pending on it,
// and so is s when it joins a registration that is pending (waits):
// either way, done runs once the proposal is decided, with reg and
// whether it created it.
func (d *dealer) add(uri string, opts RegisterOptions, s *Session, fn ProcedureFunc, p *proposal, done func(*Registration, bool, error)) (reg *Registration, created, waits bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if reg := d.find(uri, opts.Match); reg != nil {
		if !compatible(reg, opts.Invoke, fn) || reg.index(s) >= 0 {
			return nil, false, false, ErrProcedureAlreadyExists
		}
		reg.callees = append(reg.callees, callee{sess: s, discloseCaller: opts.DiscloseCaller})
		if reg.pending != nil && done != nil {
			reg.pending.waiters = append(reg.pending.waiters, waiter{done: done})
			waits = true
		}
		return reg, false, waits, nil
	}
	d.nextID++
	reg = &Registration{id: d.nextID, uri: uri, match: opts.Match, invoke: opts.Invoke,
		created: time.Now(), dealer: d, fn: fn}
	if p != nil {
		reg.pending, p.reg, p.stamp = p, reg, reg.created.UnixNano()
		p.waiters = append(p.waiters, waiter{done: done, created: true})
		waits = true
	}
	if fn != nil {
		reg.invoke = InvokeSingle
	} else {
		reg.callees = []callee{{sess: s, discloseCaller: opts.DiscloseCaller}}
	}
	switch reg.match {
	case MatchExact:
		d.exact[uri] = reg
	case MatchPrefix:
		d.prefix[uri] = reg
		if d.lenCount[len(uri)]++; d.lenCount[len(uri)] == 1 {
			i, _ := slices.BinarySearch(d.lens, len(uri))
			d.lens = slices.Insert(d.lens, i, len(uri))
		}
	case MatchWildcard:
		reg.runs = wildcardRuns(uri)
		d.wildcard[uri] = reg
		n := components(uri)
		d.byParts[n] = append(d.byParts[n], reg)
	}
	d.registrations.Add(1)
	return reg, true, waits, nil
}

// compatible reports whether reg admits another callee of policy invoke
// (fn nil) or the realm's own procedure fn: a shared registration of the
// same policy, never the realm's own.
func compatible(reg *Registration, invoke InvokePolicy, fn ProcedureFunc) bool {
	return reg.fn == nil && fn == nil && reg.invoke != InvokeSingle && reg.invoke == invoke
}

// remove takes callee s (nil: the realm's own procedure) off reg and
// drops reg once it has no callee left (deleted). It reports removed
// false when reg is gone already or s is not one of its callees.
func (d *dealer) remove(reg *Registration, s *Session) (removed, deleted bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.find(reg.uri, reg.match) != reg {
		return false, false
	}
	if s != nil {
		i := reg.index(s)
		if i < 0 {
			return false, false
		}
		reg.callees = slices.Delete(reg.callees, i, i+1)
		if len(reg.callees) > 0 {
			return true, false
		}
	}
	d.unindex(reg)
	return true, true
}

// unindex drops reg from the indexes, whatever its callees. The caller
// holds mu.
func (d *dealer) unindex(reg *Registration) {
	switch reg.match {
	case MatchExact:
		delete(d.exact, reg.uri)
	case MatchPrefix:
		delete(d.prefix, reg.uri)
		if d.lenCount[len(reg.uri)]--; d.lenCount[len(reg.uri)] == 0 {
			delete(d.lenCount, len(reg.uri))
			if i, ok := slices.BinarySearch(d.lens, len(reg.uri)); ok {
				d.lens = slices.Delete(d.lens, i, i+1)
			}
		}
	case MatchWildcard:
		delete(d.wildcard, reg.uri)
		n := components(reg.uri)
		group := slices.DeleteFunc(d.byParts[n], func(r *Registration) bool { return r == reg })
		if len(group) == 0 {
			delete(d.byParts, n)
		} else {
			d.byParts[n] = group
		}
	}
	d.registrations.Add(-1)
}

// route returns the registration a call to procedure reaches and, unless
// it is the realm's own procedure, the callee its policy picks; reg is
// nil when no registration matches.
func (d *dealer) route(procedure string) (reg *Registration, c callee) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if reg = d.match(procedure); reg != nil && reg.fn == nil {
		c = reg.pick()
	}
	return reg, c
}

// match returns the registration a call to procedure reaches, by the
// spec's precedence: the exact registration, else the longest matching
// prefix, else the best matching wildcard (betterWildcard). Procedures
// under the reserved prefix match only the realm's own procedures; a
// registration still pending on its cluster proposal matches nothing.
// The caller holds mu.
func (d *dealer) match(procedure string) *Registration {
	reserved := strings.HasPrefix(procedure, reservedPrefix)
	usable := func(reg *Registration) bool {
		return reg != nil && reg.pending == nil && (!reserved || reg.fn != nil)
	}
	if reg := d.exact[procedure]; usable(reg) {
		return reg
	}
	for i := len(d.lens) - 1; i >= 0; i-- {
		if n := d.lens[i]; n <= len(procedure) {
			if reg := d.prefix[procedure[:n]]; usable(reg) {
				return reg
			}
		}
	}
	if len(d.byParts) == 0 {
		return nil
	}
	var best *Registration
	for _, reg := range d.byParts[components(procedure)] {
		if usable(reg) && wildcardMatches(procedure, reg.uri) && (best == nil || betterWildcard(reg, best)) {
			best = reg
		}
	}
	return best
}

// appendAll appends every registration to dst (meta API).
func (d *dealer) appendAll(dst []*Registration) []*Registration {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, m := range []map[string]*Registration{d.exact, d.prefix, d.wildcard} {
		for _, reg := range m {
			dst = append(dst, reg)
		}
	}
	return dst
}
