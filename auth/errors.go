package auth

// The ABORT reasons of failed authentication (WAMP v2), as Autobahn and
// Crossbar.io name them.
const (
	ErrAuthenticationFailed = "wamp.error.authentication_failed"
	ErrNoAuthMethod         = "wamp.error.no_auth_method"
	ErrProtocolViolation    = "wamp.error.protocol_violation"
)

// Error is a refused authentication: URI and Message go to the client
// (ABORT reason and Details.message, or the text of a 401), Reason only
// to the node's debug log. None of them holds a token or a secret.
type Error struct {
	URI     string // one of the Err… URIs
	Message string // for the client
	Reason  string // for the log: why, in more detail ("" when Message says it all)
}

// Error is the message, and the reason in parentheses when there is one.
func (e *Error) Error() string {
	if e.Reason != "" {
		return e.Message + " (" + e.Reason + ")"
	}
	return e.Message
}

// failed is an authentication_failed error.
func failed(message, reason string) *Error {
	return &Error{URI: ErrAuthenticationFailed, Message: message, Reason: reason}
}

// violation is a protocol_violation error (a malformed HELLO.Details).
func violation(message string) *Error {
	return &Error{URI: ErrProtocolViolation, Message: message}
}
