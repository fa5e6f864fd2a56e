package wamp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wampgate/wampgate/wamp/value"
)

// This file holds the meta procedures' table and what they share: reading
// their arguments and writing their results. The procedures themselves
// are in meta_sessions.go, meta_subscriptions.go and
// meta_registrations.go; the meta events in meta_events.go.
//
// Every realm serves the meta procedures of the WAMP advanced profile
// (Session, Subscription and Registration Meta API) under the reserved
// prefix "wamp.", about itself: the subscriptions and registrations of
// the realm on the node that serves the call, and its sessions on every
// node of a cluster for wamp.session.count, list and get
// (cluster_meta.go). A call reaches them after the dealer found no registration
// for it, so an embedding program may serve one of them differently with
// Realm.Register; clients cannot register under "wamp.". They answer on
// the caller's goroutine, at once (the cluster-wide ones once the peers
// answered, from the goroutine of the last answer); v1 callers reach them too (a v1 CALL
// is a call like any other).

// metaProcedure serves one meta procedure for caller, a session of realm r.
type metaProcedure func(r *Realm, caller *Session, call *Call)

// metaProcedures returns the table of meta procedures; kill adds
// wamp.session.kill, kill_by_authid and kill_by_authrole
// (RouterConfig.MetaKill).
func metaProcedures(kill bool) map[string]metaProcedure {
	m := map[string]metaProcedure{
		"wamp.session.count":                  metaSessionCount,
		"wamp.session.list":                   metaSessionList,
		"wamp.session.get":                    metaSessionGet,
		"wamp.subscription.list":              metaSubscriptionList,
		"wamp.subscription.lookup":            metaSubscriptionLookup,
		"wamp.subscription.match":             metaSubscriptionMatch,
		"wamp.subscription.get":               metaSubscriptionGet,
		"wamp.subscription.list_subscribers":  metaSubscriptionListSubscribers,
		"wamp.subscription.count_subscribers": metaSubscriptionCountSubscribers,
		"wamp.registration.list":              metaRegistrationList,
		"wamp.registration.lookup":            metaRegistrationLookup,
		"wamp.registration.match":             metaRegistrationMatch,
		"wamp.registration.get":               metaRegistrationGet,
		"wamp.registration.list_callees":      metaRegistrationListCallees,
		"wamp.registration.count_callees":     metaRegistrationCountCallees,
	}
	for name, cm := range clusterMetaProcedures {
		m[name] = cm.serve // their local part on a single node
	}
	if kill {
		m["wamp.session.kill"] = metaSessionKill
		m["wamp.session.kill_by_authid"] = metaSessionKillByAuthID
		m["wamp.session.kill_by_authrole"] = metaSessionKillByAuthRole
	}
	return m
}

// metaProcedureNamed returns the meta procedure called procedure, or nil.
func (r *Router) metaProcedureNamed(procedure string) metaProcedure {
	if !strings.HasPrefix(procedure, reservedPrefix) {
		return nil
	}
	return r.meta[procedure]
}

// metaCall is one call of a meta procedure with its payload decoded.
type metaCall struct {
	*Call
	args   []any
	kwargs map[string]any
}

// decodeMetaCall decodes call's payload; on failure it answers the call
// with wamp.error.invalid_argument and returns nil.
func decodeMetaCall(call *Call) *metaCall {
	mc := &metaCall{Call: call}
	if raw := call.Args.Raw; raw != nil {
		v, err := value.Decode(call.Args.format(), raw)
		if mc.args, _ = v.([]any); err != nil || mc.args == nil {
			mc.fail(ErrorInvalidArgument, "the arguments are not a list")
			return nil
		}
	}
	if raw := call.Kwargs.Raw; raw != nil {
		v, err := value.Decode(call.Kwargs.format(), raw)
		if mc.kwargs, _ = v.(map[string]any); err != nil || mc.kwargs == nil {
			mc.fail(ErrorInvalidArgument, "the keyword arguments are not a dict")
			return nil
		}
	}
	return mc
}

// arg returns argument i, nil when absent.
func (mc *metaCall) arg(i int) any {
	if i < len(mc.args) {
		return mc.args[i]
	}
	return nil
}

// id reads argument i, name, as an id in [1, 2^53]; on failure it
// answers wamp.error.invalid_argument and ok is false.
func (mc *metaCall) id(i int, name string) (id ID, ok bool) {
	n, isInt := mc.arg(i).(int64)
	if !isInt || n < 1 || uint64(n) > uint64(MaxID) {
		mc.fail(ErrorInvalidArgument, fmt.Sprintf("argument %d (%s) must be an id, an integer in [1, 2^53]", i+1, name))
		return 0, false
	}
	return ID(n), true
}

// text reads argument i, name, as a string; on failure it answers
// wamp.error.invalid_argument and ok is false.
func (mc *metaCall) text(i int, name string) (s string, ok bool) {
	if s, ok = mc.arg(i).(string); !ok {
		mc.fail(ErrorInvalidArgument, fmt.Sprintf("argument %d (%s) must be a string", i+1, name))
	}
	return s, ok
}

// matchOption reads argument i, an optional options dict with an
// optional "match" ("exact", "prefix" or "wildcard"); on failure it
// answers wamp.error.invalid_argument and ok is false.
func (mc *metaCall) matchOption(i int) (m Match, ok bool) {
	opts, isDict := mc.arg(i).(map[string]any)
	if mc.arg(i) != nil && !isDict {
		mc.fail(ErrorInvalidArgument, fmt.Sprintf("argument %d (options) must be a dict", i+1))
		return 0, false
	}
	raw, present := opts["match"]
	name, isString := raw.(string)
	if m, ok = ParseMatch(name); !ok || present && (!isString || name == "") {
		mc.fail(ErrorInvalidArgument, `option "match" must be "exact", "prefix" or "wildcard"`)
		return 0, false
	}
	return m, true
}

// yield answers with the results vals (neutral values; IDs as uint64).
func (mc *metaCall) yield(vals ...any) {
	var args Payload
	if len(vals) > 0 {
		raw, err := value.Append(value.JSON, nil, vals)
		if err != nil {
			mc.fail(ErrorInvalidArgument, "the result has no JSON form: "+err.Error())
			return
		}
		args = Payload{Raw: raw, Format: value.JSON}
	}
	_ = mc.Yield(args, Payload{}) // a meta procedure answers once
}

// fail answers with the error uri and the description desc.
func (mc *metaCall) fail(uri, desc string) { _ = mc.Error(uri, desc, nil) }

// sortedIDs returns ids as sorted uint64 values (a result list; the spec
// leaves the order open, sorted is reproducible).
func sortedIDs(ids []ID) []uint64 {
	out := make([]uint64, len(ids))
	for i, id := range ids {
		out[i] = uint64(id)
	}
	slices.Sort(out)
	return out
}
