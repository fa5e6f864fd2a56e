package wamp

import (
	"fmt"
	"slices"

	"github.com/wampgate/wampgate/wamp/value"
)

// This file holds the session meta procedures: wamp.session.count, list
// and get, and (RouterConfig.MetaKill) kill, kill_by_authid and
// kill_by_authrole. They see the live sessions of the caller's realm on
// this node; count, list and get are also each node's part of the
// cluster-wide answer (cluster_meta.go).

// metaSessionCount: wamp.session.count([filter_authroles]) → [count].
func metaSessionCount(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	roles, filtered, ok := mc.authroles()
	if !ok {
		return
	}
	if !filtered {
		mc.yield(r.SessionCount())
		return
	}
	n := 0
	for _, s := range r.Sessions(nil) {
		if slices.Contains(roles, s.AuthRole()) {
			n++
		}
	}
	mc.yield(n)
}

// metaSessionList: wamp.session.list([filter_authroles]) → [[session
// ids]], sorted.
func metaSessionList(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	roles, filtered, ok := mc.authroles()
	if !ok {
		return
	}
	var ids []ID
	for _, s := range r.Sessions(nil) {
		if !filtered || slices.Contains(roles, s.AuthRole()) {
			ids = append(ids, s.id)
		}
	}
	mc.yield(sortedIDs(ids))
}

// metaSessionGet: wamp.session.get(session) → [details], or
// wamp.error.no_such_session.
func metaSessionGet(r *Realm, _ *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	id, ok := mc.id(0, "session")
	if !ok {
		return
	}
	s := r.Session(id)
	if s == nil {
		mc.noSuchSession(r, id)
		return
	}
	args, err := s.appendDetails([]byte{'['})
	if err != nil {
		mc.fail(ErrorInvalidArgument, "the session's details have no JSON form: "+err.Error())
		return
	}
	_ = mc.Yield(Payload{Raw: append(args, ']'), Format: value.JSON}, Payload{})
}

// metaSessionKill: wamp.session.kill(session, reason=, message=) → no
// result, or wamp.error.no_such_session (also for the caller's own
// session, as the spec has it).
func metaSessionKill(r *Realm, caller *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	id, ok := mc.id(0, "session")
	if !ok {
		return
	}
	reason, message, ok := mc.killOptions()
	if !ok {
		return
	}
	s := r.Session(id)
	if s == nil || s == caller || !s.Kill(reason, message) {
		mc.noSuchSession(r, id)
		return
	}
	mc.yield()
}

// metaSessionKillByAuthID: wamp.session.kill_by_authid(authid, reason=,
// message=) → [[killed session ids]], sorted; the caller is spared.
func metaSessionKillByAuthID(r *Realm, caller *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	authid, ok := mc.text(0, "authid")
	if !ok {
		return
	}
	reason, message, ok := mc.killOptions()
	if !ok {
		return
	}
	mc.yield(sortedIDs(r.killWhere(caller, reason, message, func(s *Session) bool { return s.AuthID() == authid })))
}

// metaSessionKillByAuthRole: wamp.session.kill_by_authrole(authrole,
// reason=, message=) → [count killed]; the caller is spared.
func metaSessionKillByAuthRole(r *Realm, caller *Session, call *Call) {
	mc := decodeMetaCall(call)
	if mc == nil {
		return
	}
	authrole, ok := mc.text(0, "authrole")
	if !ok {
		return
	}
	reason, message, ok := mc.killOptions()
	if !ok {
		return
	}
	mc.yield(len(r.killWhere(caller, reason, message, func(s *Session) bool { return s.AuthRole() == authrole })))
}

// killWhere kills the live sessions of the realm on this node, but
// caller, for which pick is true, and returns their ids.
func (r *Realm) killWhere(caller *Session, reason, message string, pick func(*Session) bool) []ID {
	var killed []ID
	for _, s := range r.Sessions(nil) {
		if s != caller && pick(s) && s.Kill(reason, message) {
			killed = append(killed, s.id)
		}
	}
	return killed
}

// authroles reads the optional first argument filter_authroles, a list of
// strings (absent or null: no filter); on failure it answers
// wamp.error.invalid_argument and ok is false.
func (mc *metaCall) authroles() (roles []string, filtered, ok bool) {
	raw := mc.arg(0)
	if raw == nil {
		return nil, false, true
	}
	list, isList := raw.([]any)
	for _, v := range list {
		role, isString := v.(string)
		if !isString {
			isList = false
			break
		}
		roles = append(roles, role)
	}
	if !isList {
		mc.fail(ErrorInvalidArgument, "argument 1 (filter_authroles) must be a list of strings")
		return nil, false, false
	}
	return roles, true, true
}

// killOptions reads the keyword arguments reason (a URI; default
// wamp.close.killed) and message (a string; default none) of the kill
// procedures; on failure it answers wamp.error.invalid_uri or
// invalid_argument and ok is false.
func (mc *metaCall) killOptions() (reason, message string, ok bool) {
	reason = CloseKilled
	if raw, present := mc.kwargs["reason"]; present {
		var isString bool
		if reason, isString = raw.(string); !isString || reason == "" || !ValidURI(reason, MatchExact, false) {
			mc.fail(ErrorInvalidURI, `keyword argument "reason" must be a URI`)
			return "", "", false
		}
	}
	if raw, present := mc.kwargs["message"]; present {
		var isString bool
		if message, isString = raw.(string); !isString {
			mc.fail(ErrorInvalidArgument, `keyword argument "message" must be a string`)
			return "", "", false
		}
	}
	return reason, message, true
}

// noSuchSession answers wamp.error.no_such_session for id.
func (mc *metaCall) noSuchSession(r *Realm, id ID) {
	mc.fail(ErrorNoSuchSession, fmt.Sprintf("no session %d in realm %s on this node", id, r.name))
}
