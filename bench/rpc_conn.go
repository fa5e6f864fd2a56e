//go:build linux

package bench

import (
	"time"

	"github.com/wampgate/wampgate/bench/internal/wire"
	"github.com/wampgate/wampgate/internal/wsframe"
)

// The RPC side of a reactor (WAMP v2 only): callees answer every
// INVOCATION with a YIELD echoing its arguments; callers keep a fixed
// number of calls in flight, sending the next CALL as soon as one is
// answered. Answers to the messages of one read go out in one write
// (reactor.out), so the load generator batches as the server lets it.

// rpcState is a reactor's RPC bookkeeping.
type rpcState struct {
	until       time.Time // callers send new calls until then
	inFlight    int       // calls sent and not yet answered
	calls       uint64    // calls answered with RESULT
	errors      uint64    // calls answered with ERROR
	errorURIs   map[string]int
	abandoned   uint64    // calls in flight on a caller session that was lost
	invocations uint64    // callee: INVOCATIONs answered
	first, last time.Time // the first call sent, the last answer received
}

// seconds is the time from the first call to the last answer.
func (s *rpcState) seconds() float64 {
	if s.first.IsZero() || !s.last.After(s.first) {
		return 0
	}
	return s.last.Sub(s.first).Seconds()
}

// caller is a caller session's state.
type caller struct {
	call     *wire.Stamped // its CALL, stamped anew for each call
	seq      uint64
	inFlight int
}

// callerGone forgets the calls in flight on c, a caller that closed.
func (r *reactor) callerGone(c *conn) {
	if c.caller != nil {
		r.rpc.inFlight -= c.caller.inFlight
		r.rpc.abandoned += uint64(c.caller.inFlight)
		c.caller.inFlight = 0
	}
}

// registered handles a message on a callee awaiting REGISTERED.
func (r *reactor) registered(c *conn, proto wire.Protocol, msg []byte, _ time.Time) bool {
	switch typ, _ := wire.TypeOf(proto, msg); typ {
	case wire.MsgV2Registered:
		r.opened(c)
	case wire.MsgV2Error:
		_, _, uri, _ := wire.ParseError(proto, msg)
		r.drop(c, "REGISTER refused: "+string(uri))
		return false
	default:
		r.foreign++
	}
	return true
}

// invocation answers an INVOCATION on callee c with a YIELD of the same
// arguments, queued in r.out.
func (r *reactor) invocation(c *conn, proto wire.Protocol, msg []byte) bool {
	req, args, ok := wire.ParseInvocation(proto, msg)
	if !ok {
		r.foreign++
		return true
	}
	r.rpc.invocations++
	r.wbuf = wire.AppendYield(proto, r.wbuf[:0], req, args)
	r.out = wsframe.AppendMasked(r.out, proto.OpCode(), r.wbuf, wsframe.NewMask())
	return true
}

// reply handles a message on caller c: a RESULT (its round trip is
// recorded) or an ERROR ends a call, and until rpc.until the next call
// replaces it.
func (r *reactor) reply(c *conn, proto wire.Protocol, msg []byte, now time.Time) bool {
	if c.caller == nil { // no call made yet
		r.foreign++
		return true
	}
	switch typ, _ := wire.TypeOf(proto, msg); typ {
	case wire.MsgV2Result:
		_, ts, ok := wire.ParseResult(proto, msg)
		if !ok {
			r.foreign++
			return true
		}
		r.rpc.calls++
		r.received++
		r.lat.Record(now.UnixNano() - ts)
	case wire.MsgV2Error:
		_, _, uri, _ := wire.ParseError(proto, msg)
		r.rpc.errors++
		if r.rpc.errorURIs == nil {
			r.rpc.errorURIs = map[string]int{}
		}
		r.rpc.errorURIs[string(uri)]++
	default:
		r.foreign++
		return true
	}
	r.rpc.inFlight--
	c.caller.inFlight--
	r.rpc.last = now
	if now.Before(r.rpc.until) {
		r.queueCall(c, proto, now)
	}
	return true
}

// queueCall appends c's next CALL to r.out.
func (r *reactor) queueCall(c *conn, proto wire.Protocol, now time.Time) {
	c.caller.seq++
	msg := c.caller.call.Stamp(now.UnixNano(), c.caller.seq)
	r.out = wsframe.AppendMasked(r.out, proto.OpCode(), msg, wsframe.NewMask())
	r.rpc.inFlight++
	c.caller.inFlight++
}

// startCalls has every caller session send `concurrency` calls of
// procedure with an argument of size bytes, and keep that many in flight
// for d. Callers are numbered from base (the stamp's 4-digit field).
func (r *reactor) startCalls(d time.Duration, concurrency, size, base int) {
	now := time.Now()
	r.rpc.until = now.Add(d)
	r.rpc.first = now
	proto := r.cfg.Protocol
	for j, c := range r.callers {
		if c.fd >= len(r.conns) || r.conns[c.fd] != c || c.phase != phaseOpen {
			continue // lost
		}
		if c.caller == nil {
			c.caller = &caller{call: wire.NewCall(proto, r.cfg.Procedure, base+j, size)}
		}
		r.out = r.out[:0]
		for k := 0; k < concurrency; k++ {
			r.queueCall(c, proto, now)
		}
		r.write(c, r.out) // a failure drops c and forgets its calls
		r.out = r.out[:0]
	}
}

// runCalls serves the call request p on the worker of reactor r (worker
// index i): the callers make calls for p.Duration, then the worker waits
// up to p.Drain for the calls still in flight.
func runCalls(r *reactor, p *callParams, i int) response {
	if p == nil {
		return response{Op: opCalled, Err: "call without parameters"}
	}
	if err := r.do(func() { r.startCalls(p.Duration, max(p.Concurrency, 1), p.Size, 1000+i*100) }, doTimeout); err != nil {
		return response{Op: opCalled, Err: err.Error()}
	}
	time.Sleep(p.Duration)
	left := -1
	deadline := time.Now().Add(p.Drain)
	for left != 0 && time.Now().Before(deadline) {
		if err := r.do(func() { left = r.rpc.inFlight }, doTimeout); err != nil {
			return response{Op: opCalled, Err: err.Error()}
		}
		if left != 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return response{Op: opCalled}
}
