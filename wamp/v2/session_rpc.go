package v2

// This file is the v2 session's seam to the dealer (RPC). Until the
// dealer lands, the node serves no procedures: REGISTER, UNREGISTER and
// CALL are answered with ERROR wamp.error.feature_not_supported, and
// WELCOME announces no dealer role.

// handleRPC handles REGISTER, UNREGISTER, CALL, CANCEL, YIELD and ERROR
// (a callee's answer to an INVOCATION) of an established session.
// CANCEL, YIELD and ERROR refer to calls in flight, of which there are
// none: they are ignored.
func (s *Session) handleRPC(m *Message) error {
	switch m.Type {
	case Register, Unregister, Call:
		s.sendError(m.Type, m.Request, ErrFeatureNotSupported, "this node does not serve remote procedure calls yet")
	}
	return nil
}

// dealerRole is WELCOME.Details.roles.dealer, nil while there is no
// dealer.
func dealerRole() map[string]any { return nil }

// leaveRPC drops the session's RPC state before its core session leaves.
func (s *Session) leaveRPC() {}
