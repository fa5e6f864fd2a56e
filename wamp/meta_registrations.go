package wamp

import "fmt"

// This file holds the registration meta procedures:
// wamp.registration.list, lookup, match, get, list_callees and
// count_callees. They see the live registrations of the caller's realm
// on this node, including procedures an embedding program serves with
// Realm.Register (they have no callees); those that name a registration
// by id visit every registration of the realm.

// metaRegistrationList: wamp.registration.list() → [{exact: [ids],
// prefix: [ids], wildcard: [ids]}], each sorted.
func metaRegistrationList(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	var byMatch [MatchWildcard + 1][]ID
	for _, reg := range r.AllRegistrations(nil) {
		byMatch[reg.match] = append(byMatch[reg.match], reg.id)
	}
	mc.yield(idsByMatch(byMatch))
}

// metaRegistrationLookup: wamp.registration.lookup(procedure, [options])
// → [registration id] of the registration (procedure, options.match), or
// [null].
func metaRegistrationLookup(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	procedure, ok := mc.text(0, "procedure")
	if !ok {
		return
	}
	m, ok := mc.matchOption(1)
	if !ok {
		return
	}
	mc.yieldRegistration(r.LookupRegistration(procedure, m))
}

// metaRegistrationMatch: wamp.registration.match(procedure) →
// [registration id] a call to procedure reaches, or [null].
func metaRegistrationMatch(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	procedure, ok := mc.text(0, "procedure")
	if !ok {
		return
	}
	mc.yieldRegistration(r.MatchRegistration(procedure))
}

// metaRegistrationGet: wamp.registration.get(registration) → [{id,
// created, uri, match, invoke}], or wamp.error.no_such_registration.
func metaRegistrationGet(r *Realm, _ *Session, call *Call) {
	if mc, reg := registrationArg(r, call); reg != nil {
		mc.yield(registrationDetails(reg))
	}
}

// metaRegistrationListCallees: wamp.registration.list_callees(
// registration) → [[session ids]], sorted, or
// wamp.error.no_such_registration.
func metaRegistrationListCallees(r *Realm, _ *Session, call *Call) {
	if mc, reg := registrationArg(r, call); reg != nil {
		mc.yield(sortedIDs(reg.AppendCallees(nil)))
	}
}

// metaRegistrationCountCallees: wamp.registration.count_callees(
// registration) → [count], or wamp.error.no_such_registration.
func metaRegistrationCountCallees(r *Realm, _ *Session, call *Call) {
	if mc, reg := registrationArg(r, call); reg != nil {
		mc.yield(reg.Callees())
	}
}

// yieldRegistration answers [id] of reg, or [null] when reg is nil.
func (mc *metaCall) yieldRegistration(reg *Registration) {
	if reg == nil {
		mc.yield(nil)
		return
	}
	mc.yield(uint64(reg.id))
}

// registrationArg decodes call and finds the registration its first
// argument names; when there is none, it has answered the call and reg
// is nil.
func registrationArg(r *Realm, call *Call) (mc *metaCall, reg *Registration) {
	if mc = decodeMetaCall(call); mc == nil {
		return nil, nil
	}
	id, ok := mc.id(0, "registration")
	if !ok {
		return mc, nil
	}
	if reg = r.Registration(id); reg == nil {
		mc.fail(ErrorNoSuchRegistration, fmt.Sprintf("no registration %d in realm %s on this node", id, r.name))
	}
	return mc, reg
}
