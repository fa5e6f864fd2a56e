package netpoll

import "sync"

// table maps file descriptors to live connections. Descriptors are small
// integers below RLIMIT_NOFILE, so a slice indexed by fd beats a map.
type table struct {
	mu    sync.RWMutex
	conns []*Conn
	seq   uint32
}

// put stores c under its fd and gives it a fresh sequence number, which the
// epoll backend carries in each event to ignore events of a reused fd.
func (t *table) put(c *Conn) {
	t.mu.Lock()
	if c.fd >= len(t.conns) {
		n := max(2*len(t.conns), c.fd+1, 1024)
		grown := make([]*Conn, n)
		copy(grown, t.conns)
		t.conns = grown
	}
	t.seq++
	if t.seq == 0 { // zero tags the epoll listener
		t.seq = 1
	}
	c.seq = t.seq
	t.conns[c.fd] = c
	t.mu.Unlock()
}

// get returns the connection on fd if its sequence number matches.
func (t *table) get(fd int, seq uint32) *Conn {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if fd < 0 || fd >= len(t.conns) {
		return nil
	}
	c := t.conns[fd]
	if c == nil || c.seq != seq {
		return nil
	}
	return c
}

// remove forgets c (if fd still maps to it).
func (t *table) remove(c *Conn) {
	t.mu.Lock()
	if c.fd < len(t.conns) && t.conns[c.fd] == c {
		t.conns[c.fd] = nil
	}
	t.mu.Unlock()
}

// snapshot appends every live connection to dst.
func (t *table) snapshot(dst []*Conn) []*Conn {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, c := range t.conns {
		if c != nil {
			dst = append(dst, c)
		}
	}
	return dst
}
