package v2

import (
	"fmt"
)

// ClientFeatures is the set of roles and features a client announced in
// HELLO.Details.roles that the router acts upon, as bits.
type ClientFeatures uint16

// The roles and features the router records from HELLO.
const (
	RolePublisher ClientFeatures = 1 << iota
	RoleSubscriber
	RoleCaller
	RoleCallee
	CallerCallCanceling          // caller.features.call_canceling
	CallerProgressiveCallResults // caller.features.progressive_call_results
	CalleeCallCanceling          // callee.features.call_canceling: INTERRUPT is understood
	CalleeProgressiveCallResults // callee.features.progressive_call_results
	CalleeCallTimeout            // callee.features.call_timeout
	CalleeCallerIdentification   // callee.features.caller_identification
)

// Has reports whether every bit of want is in f.
func (f ClientFeatures) Has(want ClientFeatures) bool { return f&want == want }

// clientRoles maps HELLO's role names to their bit.
var clientRoles = map[string]ClientFeatures{
	"publisher":  RolePublisher,
	"subscriber": RoleSubscriber,
	"caller":     RoleCaller,
	"callee":     RoleCallee,
}

// clientFeatures maps role and feature names to their bit.
var clientFeatures = map[string]map[string]ClientFeatures{
	"caller": {
		"call_canceling":           CallerCallCanceling,
		"progressive_call_results": CallerProgressiveCallResults,
	},
	"callee": {
		"call_canceling":           CalleeCallCanceling,
		"progressive_call_results": CalleeProgressiveCallResults,
		"call_timeout":             CalleeCallTimeout,
		"caller_identification":    CalleeCallerIdentification,
	},
}

// parseRoles reads HELLO.Details.roles: a dict with at least one of the
// four client roles, each a dict whose `features`, when present, is a
// dict. Unknown roles and features are ignored; a feature the router
// records must be a boolean.
func parseRoles(details map[string]any) (ClientFeatures, error) {
	raw, ok := details["roles"]
	if !ok {
		return 0, fmt.Errorf("HELLO.Details.roles is missing")
	}
	roles, ok := raw.(map[string]any)
	if !ok {
		return 0, fmt.Errorf("HELLO.Details.roles must be a dict")
	}
	var f ClientFeatures
	for name, v := range roles {
		bit, known := clientRoles[name]
		if !known {
			continue
		}
		role, ok := v.(map[string]any)
		if !ok {
			return 0, fmt.Errorf("HELLO.Details.roles.%s must be a dict", name)
		}
		f |= bit
		rawFeatures, ok := role["features"]
		if !ok {
			continue
		}
		features, ok := rawFeatures.(map[string]any)
		if !ok {
			return 0, fmt.Errorf("HELLO.Details.roles.%s.features must be a dict", name)
		}
		for feature, bit := range clientFeatures[name] {
			v, ok := features[feature]
			if !ok {
				continue
			}
			on, ok := v.(bool)
			if !ok {
				return 0, fmt.Errorf("HELLO.Details.roles.%s.features.%s must be a boolean", name, feature)
			}
			if on {
				f |= bit
			}
		}
	}
	if f&(RolePublisher|RoleSubscriber|RoleCaller|RoleCallee) == 0 {
		return 0, fmt.Errorf("HELLO.Details.roles announces none of publisher, subscriber, caller, callee")
	}
	return f, nil
}

// brokerFeatures are the broker features WELCOME announces: exactly those
// the v2 session implements. Read-only.
var brokerFeatures = map[string]any{
	"publisher_identification":      true, // disclose_me → EVENT.Details.publisher
	"publisher_exclusion":           true, // exclude_me
	"subscriber_blackwhite_listing": true, // exclude, eligible (session ids)
	"pattern_based_subscription":    true, // match: prefix, wildcard
	"event_retention":               true, // retain, get_retained
	"session_meta_api":              true, // wamp.session.on_join, on_leave (the spec wants it on both roles)
	"subscription_meta_api":         true, // wamp.subscription.* procedures and events
}

// routerRoles is WELCOME.Details.roles: the broker and, when the dealer
// announces itself (dealerRole), the dealer.
func routerRoles() map[string]any {
	roles := map[string]any{"broker": map[string]any{"features": brokerFeatures}}
	if dealer := dealerRole(); dealer != nil {
		roles["dealer"] = dealer
	}
	return roles
}
