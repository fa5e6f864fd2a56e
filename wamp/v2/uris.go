package v2

// Error URIs of the basic and advanced profiles (ERROR and ABORT reasons).
const (
	ErrInvalidURI               = "wamp.error.invalid_uri"
	ErrNoSuchProcedure          = "wamp.error.no_such_procedure"
	ErrProcedureAlreadyExists   = "wamp.error.procedure_already_exists"
	ErrNoSuchRegistration       = "wamp.error.no_such_registration"
	ErrNoSuchSubscription       = "wamp.error.no_such_subscription"
	ErrInvalidArgument          = "wamp.error.invalid_argument"
	ErrCanceled                 = "wamp.error.canceled"
	ErrTimeout                  = "wamp.error.timeout"
	ErrPayloadSizeExceeded      = "wamp.error.payload_size_exceeded"
	ErrProtocolViolation        = "wamp.error.protocol_violation"
	ErrNotAuthorized            = "wamp.error.not_authorized"
	ErrAuthorizationFailed      = "wamp.error.authorization_failed"
	ErrAuthenticationFailed     = "wamp.error.authentication_failed"
	ErrNoMatchingAuthMethod     = "wamp.error.no_matching_auth_method"
	ErrNoSuchRealm              = "wamp.error.no_such_realm"
	ErrNoSuchRole               = "wamp.error.no_such_role"
	ErrNoSuchSession            = "wamp.error.no_such_session"
	ErrNoEligibleCallee         = "wamp.error.no_eligible_callee"
	ErrOptionNotAllowed         = "wamp.error.option_not_allowed"
	ErrOptionDisallowedDisclose = "wamp.error.option_disallowed.disclose_me"
	ErrNetworkFailure           = "wamp.error.network_failure"
	ErrFeatureNotSupported      = "wamp.error.feature_not_supported"
)

// Close URIs (GOODBYE and ABORT reasons).
const (
	CloseSystemShutdown = "wamp.close.system_shutdown"
	CloseRealm          = "wamp.close.close_realm"
	CloseGoodbyeAndOut  = "wamp.close.goodbye_and_out"
	CloseKilled         = "wamp.close.killed"
)
