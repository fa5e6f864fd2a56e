package wamp

import (
	"fmt"
	"strings"
	"time"
)

// This file holds authorization in the core: the Authorizer a router asks
// before a session subscribes, publishes, calls or registers, and the
// entry points for operations that have no session (the HTTP API).
//
// The check runs once per SUBSCRIBE, PUBLISH, CALL and REGISTER, on the
// session's goroutine, never per delivered event: fan-out costs what it
// costs without authorization. Without an Authorizer (the default)
// everything is allowed and the check is one atomic load.

// Action is an operation authorization decides on.
type Action uint8

// The actions of a role's rules.
const (
	ActionSubscribe Action = iota
	ActionPublish
	ActionCall
	ActionRegister

	// NumActions is the number of actions, for tables indexed by Action.
	NumActions = 4
)

var actionNames = [NumActions]string{"subscribe", "publish", "call", "register"}

// String is the action's name in a role's rules: "subscribe", "publish",
// "call" or "register".
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "invalid"
}

// ParseAction reads an action's name.
func ParseAction(s string) (Action, bool) {
	for i, name := range actionNames {
		if s == name {
			return Action(i), true
		}
	}
	return 0, false
}

// Authorizer decides which operations a role may perform. The router
// asks it before a session subscribes (uri a topic or, with match, a
// pattern), publishes (an exact topic), calls (an exact procedure, the
// meta procedures under "wamp." included) or registers (a procedure or a
// pattern); a false answer refuses the operation with
// wamp.error.not_authorized. It must be safe for concurrent use and
// cheap: it runs on the worker that read the message (cache decisions
// that take work).
type Authorizer interface {
	Authorize(role string, action Action, uri string, match Match) bool
}

// ErrorNotAuthorized answers an operation the session's role may not
// perform (v2 ERROR, v1 CALLERROR), and a hook's refusal without a URI of
// its own.
const ErrorNotAuthorized = "wamp.error.not_authorized"

// maxLoggedURI is the longest URI a refusal's log line shows in full.
const maxLoggedURI = 200

// authorizer holds an Authorizer behind an atomic pointer (an interface
// cannot be swapped atomically by itself).
type authorizer struct{ a Authorizer }

// SetAuthorizer makes a decide every later subscribe, publish, call and
// register of every realm; nil allows everything. Safe while sessions
// run (a reload): operations already decided stand (subscriptions and
// registrations stay), the next ones are decided by a.
func (r *Router) SetAuthorizer(a Authorizer) {
	if a == nil {
		r.authz.Store(nil)
		return
	}
	r.authz.Store(&authorizer{a})
}

// Authorizer is the authorizer in force, nil when everything is allowed.
func (r *Router) Authorizer() Authorizer {
	if box := r.authz.Load(); box != nil {
		return box.a
	}
	return nil
}

// Authorize checks that role may perform action on uri (a pattern when
// match is not MatchExact) in this realm: nil when it may, else a
// *URIError wamp.error.not_authorized saying what was refused. A refusal
// is counted (Stats.Unauthorized) and logged, at most once a second per
// router. Code acting without a session calls it (the HTTP API, whose
// requests act as role "api"); sessions are checked by their own methods.
func (r *Realm) Authorize(role string, action Action, uri string, match Match) error {
	if ue := r.authorize(nil, role, action, uri, match); ue != nil {
		return ue
	}
	return nil
}

// authorize is Authorize on behalf of session s (nil: none); nil when
// allowed.
func (r *Realm) authorize(s *Session, role string, action Action, uri string, match Match) *URIError {
	box := r.router.authz.Load()
	if box == nil || box.a.Authorize(role, action, uri, match) {
		return nil
	}
	rt := r.router
	n := rt.unauthorized[action%NumActions].Add(1)
	now := time.Now().UnixNano()
	if last := rt.lastDenyLog.Load(); now-last >= int64(time.Second) && rt.lastDenyLog.CompareAndSwap(last, now) {
		var id ID
		var proto string
		if s != nil {
			id, proto = s.id, s.proto.Name
		}
		logged := uri
		if len(logged) > maxLoggedURI {
			logged = logged[:maxLoggedURI] + "…"
		}
		rt.log.Info("wamp: not authorized", "realm", r.name, "role", role, "action", action.String(),
			"uri", logged, "match", match.String(), "session", id, "protocol", proto, "refused", n)
	}
	pattern := ""
	if match != MatchExact {
		pattern = match.String() + " "
	}
	return &URIError{URI: ErrorNotAuthorized,
		Message: fmt.Sprintf("role %q is not authorized to %s %s%q", role, action, pattern, uri)}
}

// PublishAs publishes pub in this realm on behalf of auth (nil:
// anonymous) without a session: the HTTP API's publications, which act
// as role "api". The role must be authorized to publish to pub.Topic
// (else the *URIError of Authorize, and nothing is published); then pub
// goes to Realm.Publish (no Handler.OnPublish: there is no Peer), with
// auth's authid and authrole disclosed to subscribers when
// pub.DiscloseMe. A topic under the reserved prefix "wamp." is refused
// with ErrReservedTopic.
func (r *Realm) PublishAs(auth *Auth, pub *Publication) error {
	if auth == nil {
		auth = anonymous
	}
	if strings.HasPrefix(pub.Topic, reservedPrefix) {
		return fmt.Errorf("publish to %q: %w", pub.Topic, ErrReservedTopic)
	}
	if ue := r.authorize(nil, auth.Role, ActionPublish, pub.Topic, MatchExact); ue != nil {
		return ue
	}
	pub.Publisher, pub.PublisherID = nil, 0
	if pub.DiscloseMe {
		a := pub.authPart()
		a.PublisherAuthID, a.PublisherAuthRole = auth.ID, auth.Role
	}
	r.Publish(pub)
	return nil
}
