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

// Registered is how many sessions the node's registry holds, live or
// reserved (Session.Reserve).
func (r *Router) Registered() int {
	n := 0
	for i := range r.registry.shards {
		sh := &r.registry.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
