package wamp

import (
	"errors"
	"fmt"
)

// Error URIs the core itself answers with.
const (
	// ErrorNoSuchProcedure answers a call nobody serves (BaseHandler.OnCall).
	ErrorNoSuchProcedure = "wamp.error.no_such_procedure"
	// ErrorNoSuchSubscription answers an UNSUBSCRIBE of an unknown id.
	ErrorNoSuchSubscription = "wamp.error.no_such_subscription"
	// ErrorInvalidURI answers a malformed topic or procedure URI, and a
	// client's REGISTER of a procedure under the reserved prefix "wamp.".
	ErrorInvalidURI = "wamp.error.invalid_uri"
	// ErrorProcedureAlreadyExists answers a REGISTER that the existing
	// registration of the procedure does not admit (invoke policy single,
	// another policy, or the same session again).
	ErrorProcedureAlreadyExists = "wamp.error.procedure_already_exists"
	// ErrorNoSuchRegistration answers an UNREGISTER of an unknown id.
	ErrorNoSuchRegistration = "wamp.error.no_such_registration"
	// ErrorCanceled ends a call that its caller canceled, or whose callee
	// left before answering.
	ErrorCanceled = "wamp.error.canceled"
	// ErrorTimeout ends a call whose timeout option elapsed first.
	ErrorTimeout = "wamp.error.timeout"
	// ErrorInvalidArgument answers malformed options, and ends a call whose
	// payload cannot be written in the serializer of the peer it goes to.
	ErrorInvalidArgument = "wamp.error.invalid_argument"
	// ErrorTooManyCalls ends a call when its caller already has
	// RouterConfig.MaxCallsInFlight calls in flight to callees, or the
	// callee that would serve it has as many invocations in flight. The
	// WAMP spec has no URI for it; this one is wampgate's.
	ErrorTooManyCalls = "wampgate.error.too_many_calls"
	// ErrorNoSuchSession answers a session meta procedure naming no live
	// session of the realm on this node (wamp.session.get, kill).
	ErrorNoSuchSession = "wamp.error.no_such_session"
)

// CloseKilled is the default reason of wamp.session.kill and its
// siblings: the reason of the GOODBYE a killed v2 session gets.
const CloseKilled = "wamp.close.killed"

// URIError is an error with a WAMP error URI, so that a protocol session
// can answer it with ERROR (v2) or CALLERROR (v1). A hook may return one
// to choose the URI of its refusal (e.g. wamp.error.not_authorized);
// find one with errors.As.
type URIError struct {
	URI     string // e.g. "wamp.error.no_such_subscription"
	Message string // for developers
}

func (e *URIError) Error() string { return fmt.Sprintf("%s: %s", e.URI, e.Message) }

// ErrNoSuchSubscription is returned by Session.Unsubscribe for an id the
// session is not subscribed with.
var ErrNoSuchSubscription = &URIError{URI: ErrorNoSuchSubscription, Message: "no subscription with this id"}

// ErrProcedureAlreadyExists is returned by Session.Register and
// Realm.Register when the procedure's existing registration does not
// admit another callee.
var ErrProcedureAlreadyExists = &URIError{URI: ErrorProcedureAlreadyExists, Message: "the procedure is already registered"}

// ErrNoSuchRegistration is returned by Session.Unregister for an id the
// session is not registered with.
var ErrNoSuchRegistration = &URIError{URI: ErrorNoSuchRegistration, Message: "no registration with this id"}

// ErrReservedURI is returned by Session.Register for a procedure under
// the prefix "wamp.", which only the router itself serves (Realm.Register).
var ErrReservedURI = &URIError{URI: ErrorInvalidURI, Message: "the prefix wamp. is reserved for the router's own procedures"}

// ErrReservedTopic is returned by Session.Publish for a topic under the
// prefix "wamp.", where only the router publishes (the meta events).
var ErrReservedTopic = &URIError{URI: ErrorInvalidURI, Message: "the prefix wamp. is reserved for the router's own topics"}

// ErrTooManyRegistrations is returned by Session.Register when the
// session already has RouterConfig.MaxRegistrations registrations.
var ErrTooManyRegistrations = errors.New("wamp: too many registrations")

// ErrTooManySubscriptions is returned by Session.Subscribe when the
// session already has RouterConfig.MaxSubscriptions subscriptions.
var ErrTooManySubscriptions = errors.New("wamp: too many subscriptions")

// ErrNotLive is returned by Session methods called before Join finished
// or after Leave.
var ErrNotLive = errors.New("wamp: session is not open")
