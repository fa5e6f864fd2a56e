package wamp

// CallTables returns how many entries the session's caller table (calls
// in flight) and callee table (invocations in flight) hold, so that
// tests can check that nothing is left behind.
func (s *Session) CallTables() (calls, invocations int) {
	t := s.calls
	if t == nil {
		return 0, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls), len(t.invocations)
}
