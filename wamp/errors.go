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
	// ErrorInvalidURI answers a malformed topic or procedure URI.
	ErrorInvalidURI = "wamp.error.invalid_uri"
)

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

// ErrTooManySubscriptions is returned by Session.Subscribe when the
// session already has RouterConfig.MaxSubscriptions subscriptions.
var ErrTooManySubscriptions = errors.New("wamp: too many subscriptions")

// ErrNotLive is returned by Session methods called before Join finished
// or after Leave.
var ErrNotLive = errors.New("wamp: session is not open")
