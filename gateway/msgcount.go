package gateway

import (
	"sync"
	"sync/atomic"

	"github.com/wampgate/wampgate/netpoll"
)

// msgCounter counts one client connection's WAMP messages by type. No
// counter is shared between connections, so counting costs no contended
// cache line: in is written by the connection's reading worker (one at a
// time) and out under the lock netpoll.Conn.Send takes anyway
// (SendCounting). A scrape sums the live connections' counters and the
// totals closed connections left (msgTotals).
type msgCounter struct {
	totals *msgTotals
	in     [msgSlots]atomic.Uint64
	out    [msgSlots]uint64 // guarded by the netpoll.Conn's lock
	// moved is set once the counts went to totals (the connection
	// closed): a scrape that finds it set skips the connection.
	moved atomic.Bool
}

// msgTotals is one client protocol's message counts on a node: what
// closed connections counted, and what the last scrape reported (so that
// a connection closing during a scrape never makes a counter go back).
type msgTotals struct {
	kinds     *msgKinds
	closedIn  [msgSlots]atomic.Uint64
	closedOut [msgSlots]atomic.Uint64
	last      [2][msgSlots]uint64 // guarded by messageCounts.mu
}

// messageCounts is the node's messages in and out by protocol and type.
type messageCounts struct {
	byName map[string]*msgTotals // fixed at New: read without a lock
	order  []*msgTotals
	mu     sync.Mutex // serializes snapshots
}

// newMessageCounts prepares the counts of the client protocols of t.
func newMessageCounts(t protocolTable) *messageCounts {
	m := &messageCounts{byName: make(map[string]*msgTotals)}
	for _, e := range t {
		if k := kindsFor(e); k != nil {
			tot := &msgTotals{kinds: k}
			m.byName[e.name] = tot
			m.order = append(m.order, tot)
		}
	}
	return m
}

// counter returns a new connection counter for the subprotocol named
// proto, nil when it is not a client protocol.
func (m *messageCounts) counter(proto string) *msgCounter {
	if t := m.byName[proto]; t != nil {
		return &msgCounter{totals: t}
	}
	return nil
}

// received counts msg, received by the connection.
func (c *msgCounter) received(msg []byte) {
	k := c.totals.kinds
	c.in[k.slotOf(k.in, msg)].Add(1)
}

// outSlot returns the counter of msg, about to be sent.
func (c *msgCounter) outSlot(msg []byte) *uint64 {
	k := c.totals.kinds
	return &c.out[k.slotOf(k.out, msg)]
}

// close moves the connection's counts to the totals, once, when it has
// closed (nothing is sent or received any more).
func (c *msgCounter) close(nc *netpoll.Conn) {
	if c.moved.Swap(true) {
		return
	}
	t := c.totals
	for i := range c.in {
		if v := c.in[i].Load(); v != 0 {
			t.closedIn[i].Add(v)
		}
	}
	nc.Locked(func() {
		for i, v := range c.out {
			if v != 0 {
				t.closedOut[i].Add(v)
			}
		}
	})
}

// MessageCounts is one protocol's WAMP messages by type since start:
// received from clients (In) and sent to them (Out). "other" counts what
// is not a message of that direction (e.g. does not parse).
type MessageCounts struct {
	In  map[string]uint64 `json:"in"`
	Out map[string]uint64 `json:"out"`
}

// snapshot sums the totals and the live connections' counters, by
// protocol. conns are the node's connections (bounded by the descriptor
// limit); it never blocks a connection longer than copying 16 counters.
func (m *messageCounts) snapshot(conns []*netpoll.Conn) map[string]MessageCounts {
	m.mu.Lock()
	defer m.mu.Unlock()
	sums := make(map[*msgTotals]*[2][msgSlots]uint64, len(m.order))
	// Totals first: a connection that closes after this is either still
	// counted below or missed (and the clamp below holds the last value),
	// never counted twice.
	for _, t := range m.order {
		s := new([2][msgSlots]uint64)
		for i := range s[0] {
			s[0][i] = t.closedIn[i].Load()
			s[1][i] = t.closedOut[i].Load()
		}
		sums[t] = s
	}
	for _, nc := range conns {
		c, ok := nc.Handler().(*conn)
		if !ok {
			continue
		}
		mc := c.msgs.Load()
		if mc == nil || mc.moved.Load() {
			continue
		}
		s := sums[mc.totals]
		for i := range mc.in {
			s[0][i] += mc.in[i].Load()
		}
		nc.Locked(func() {
			for i, v := range mc.out {
				s[1][i] += v
			}
		})
	}
	out := make(map[string]MessageCounts, len(m.order))
	for _, t := range m.order {
		s := sums[t]
		mc := MessageCounts{In: make(map[string]uint64, t.kinds.in.n), Out: make(map[string]uint64, t.kinds.out.n)}
		for dir, tab := range [2]*msgTable{t.kinds.in, t.kinds.out} {
			dst := mc.In
			if dir == 1 {
				dst = mc.Out
			}
			for i := range tab.n {
				t.last[dir][i] = max(t.last[dir][i], s[dir][i])
				dst[tab.names[i]] = t.last[dir][i]
			}
		}
		out[t.kinds.protocol] = mc
	}
	return out
}
