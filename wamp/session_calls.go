package wamp

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// This file holds a Session's part in routed RPC: its registrations as a
// callee, its calls in flight as a caller and its invocations in flight
// as a callee.

// sessionCalls is a session's dealer state, made on its first
// SetCallee or first call to a callee session (most sessions never have
// one). Memory it holds: one *Registration per registration, and one
// invocation (about 200 bytes, plus a timer for a call with a timeout)
// per call in flight, in the caller's table and the callee's, at most
// RouterConfig.MaxCallsInFlight in each. An invocation leaves both
// tables when the call ends: answer, timeout, cancel, or either session
// leaving; a callee that never answers holds its invocation until one of
// those happens.
type sessionCalls struct {
	// callee and canceling are set by SetCallee before the session's
	// first registration and read-only afterwards.
	callee    Callee
	canceling bool

	regs []*Registration // the session's own goroutine only

	mu          sync.Mutex
	left        bool                   // the session left: no new entries
	nextInv     ID                     // the last invocation id given
	invocations map[ID]*invocation     // as callee, by invocation id
	nextKey     uint64                 // the last caller-table key given
	calls       map[uint64]*invocation // as caller
	hooked      []*Call                // as caller, waiting for an operation hook
}

// errNoCallee is returned by Register before SetCallee (a bug of the
// protocol package).
var errNoCallee = errors.New("wamp: Register before SetCallee")

// table returns the session's dealer state, making it on first use. Own
// goroutine only.
func (s *Session) table() *sessionCalls {
	if s.calls == nil {
		s.calls = &sessionCalls{}
	}
	return s.calls
}

// SetCallee tells the dealer how to reach the session as a callee: c
// sends its INVOCATION and INTERRUPT messages, callCanceling is whether
// the client announced the call_canceling feature (only then does it get
// INTERRUPT). The protocol session calls it before the first Register;
// calls after the first do nothing.
func (s *Session) SetCallee(c Callee, callCanceling bool) {
	if t := s.table(); t.callee == nil {
		t.callee, t.canceling = c, callCanceling
	}
}

// Register registers the session as a callee of procedure (a pattern
// when opts.Match is not MatchExact), publishing the meta events
// wamp.registration.on_create and on_register, and returns the
// registration, whose id every callee of a shared registration shares. Errors:
// ErrProcedureAlreadyExists, ErrReservedURI (a procedure under "wamp."),
// the authorizer's refusal (a *URIError wamp.error.not_authorized),
// ErrTooManyRegistrations, ErrNotLive. The URI is otherwise not checked
// here; the v2 session checks it with ValidURI first.
func (s *Session) Register(procedure string, opts RegisterOptions) (*Registration, error) {
	if !s.Live() {
		return nil, fmt.Errorf("register %q: session %d: %w", procedure, s.id, ErrNotLive)
	}
	t := s.calls
	if t == nil || t.callee == nil {
		return nil, errNoCallee
	}
	if strings.HasPrefix(procedure, reservedPrefix) {
		return nil, fmt.Errorf("register %q: %w", procedure, ErrReservedURI)
	}
	if ue := s.realm.authorize(s, s.auth.Role, ActionRegister, procedure, opts.Match); ue != nil {
		return nil, ue
	}
	if max := s.realm.router.maxRegs; len(t.regs) >= max {
		return nil, fmt.Errorf("register %q: %w (limit %d)", procedure, ErrTooManyRegistrations, max)
	}
	reg, created, err := s.realm.dealer.add(procedure, opts, s, nil)
	if err != nil {
		return nil, fmt.Errorf("register %q (%s, %s): %w", procedure, opts.Match, opts.Invoke, err)
	}
	t.regs = append(t.regs, reg)
	s.realm.registrationJoined(s, reg, created)
	return reg, nil
}

// Unregister removes the session from the registration with id. Its
// invocations in flight go on: their answers still reach the callers.
// It returns ErrNoSuchRegistration when the session has no such
// registration.
func (s *Session) Unregister(id ID) error {
	if t := s.calls; t != nil {
		for i, reg := range t.regs {
			if reg.id == id {
				t.regs = slices.Delete(t.regs, i, i+1)
				if removed, deleted := s.realm.dealer.remove(reg, s); removed {
					s.realm.registrationLeft(s, reg, deleted)
				}
				return nil
			}
		}
	}
	return ErrNoSuchRegistration
}

// Call routes a call: to the callee session its registration's policy
// picks (INVOCATION), to the realm's own procedure, or, when no
// registration matches, to the meta procedure of that name (meta.go) or
// else to Handler.OnCall. The answer goes to the call's Replier: ERROR
// wamp.error.not_authorized, before any routing, when the authorizer
// refuses the session's role the call (meta procedures included). Calls
// of a session that is not live are dropped. With operation hooks, a
// call whose procedure a hook decides goes to the hook (ophooks.go).
func (s *Session) Call(call *Call) {
	if !s.Live() {
		return
	}
	if ue := s.realm.authorize(s, s.auth.Role, ActionCall, call.Procedure, MatchExact); ue != nil {
		refuse(call, ue.URI, ue.Message)
		return
	}
	if s.ops != nil && s.callHooked(call) {
		return
	}
	s.route(call)
}

// route hands call to its callee, a procedure of the realm's own, a meta
// procedure or Handler.OnCall.
func (s *Session) route(call *Call) {
	reg, c := s.realm.dealer.route(call.Procedure)
	switch {
	case reg == nil:
		if meta := s.realm.router.metaProcedureNamed(call.Procedure); meta != nil {
			s.serveCall("meta procedure", call, func() { meta(s.realm, s, call) })
			return
		}
		s.serveCall("OnCall", call, func() { s.realm.router.handler.OnCall(s, call) })
	case reg.fn != nil:
		s.serveCall("procedure", call, func() { reg.fn(s, call) })
	default:
		s.invoke(reg, c, call)
	}
}

// serveCall hands call to Go code (a hook or a procedure of the realm's
// own), then arms its timeout if it is still unanswered.
func (s *Session) serveCall(hook string, call *Call, serve func()) {
	call.own()
	s.hook(hook, func() error { serve(); return nil })
	if call.Timeout > 0 {
		call.startTimeout(func() { refuse(call, ErrorTimeout, "the call timed out") })
	}
}

// invoke sends call to callee c of reg and tracks it until it ends.
func (s *Session) invoke(reg *Registration, c callee, call *Call) {
	inv := &invocation{call: call, caller: s, callee: c.sess}
	inv.Registration = reg.id
	if reg.match != MatchExact {
		inv.Procedure = call.Procedure
	}
	if call.DiscloseMe || c.discloseCaller {
		inv.Caller, inv.CallerAuthID, inv.CallerAuthRole = s.id, s.AuthID(), s.AuthRole()
	}
	inv.ReceiveProgress = call.ReceiveProgress
	inv.Args, inv.Kwargs = call.Args, call.Kwargs
	call.Args, call.Kwargs = Payload{}, Payload{} // the caller's buffer: not kept
	max := s.realm.router.maxCalls
	if !s.table().addCall(inv, max) {
		refuse(call, ErrorTooManyCalls, "the caller has "+strconv.Itoa(max)+" calls in flight")
		return
	}
	inFlight := &s.realm.dealer.inFlight
	inFlight.Add(1) // before the callee's table: its leaving may end inv at once
	if uri, why := c.sess.calls.addInvocation(inv, max); uri != "" {
		inFlight.Add(-1)
		s.calls.dropCall(inv)
		refuse(call, uri, why)
		return
	}
	err := inv.c.Invoke(&inv.Invocation)
	inv.Args, inv.Kwargs = Payload{}, Payload{}
	if err != nil {
		if inv.end() {
			call.replier.ReplyError(ErrorInvalidArgument, errorArgs(err.Error()), Payload{})
		}
		return
	}
	if call.Timeout > 0 { // no timer, and no closure, without a timeout
		call.startTimeout(inv.expire)
	}
}

// refuse ends a call that no callee session holds with the error uri
// and the description why, unless it is answered already.
func refuse(call *Call, uri, why string) {
	if call.claim() {
		call.replier.ReplyError(uri, errorArgs(why), Payload{})
	}
}

// Cancel applies the caller's CANCEL to its call in flight with request
// id request (Call.Request), in mode. A call an operation hook holds ends
// at once with wamp.error.canceled. A call that has ended, or that a Go
// hook or procedure serves, is not affected.
func (s *Session) Cancel(request ID, mode CancelMode) {
	if call := s.calls.findHooked(request); call != nil {
		refuse(call, ErrorCanceled, "the call was canceled")
		return
	}
	if inv := s.calls.findCall(request); inv != nil {
		inv.cancel(mode)
	}
}

// Yield applies the callee's YIELD for the invocation id: a final result
// ends the call and goes to the caller; a progressive one (progress)
// goes to a caller that asked for them, and is dropped otherwise. A YIELD
// for an invocation that has ended (timed out, canceled, its caller
// gone) or never existed is dropped.
func (s *Session) Yield(id ID, args, kwargs Payload, progress bool) {
	inv := s.calls.invocation(id)
	switch {
	case inv == nil:
	case progress:
		if inv.ReceiveProgress {
			inv.call.progress(args, kwargs)
		}
	case inv.end():
		inv.call.replier.ReplyResult(args, kwargs, false)
	}
}

// InvocationError applies the callee's ERROR for the invocation id: it
// ends the call, and the caller gets the error uri with args and kwargs.
// An ERROR for an invocation that has ended is dropped.
func (s *Session) InvocationError(id ID, uri string, args, kwargs Payload) {
	if inv := s.calls.invocation(id); inv != nil && inv.end() {
		inv.call.replier.ReplyError(uri, args, kwargs)
	}
}

// leaveCalls ends the session's part in RPC when it leaves: its
// registrations go; its calls in flight end (their callees get INTERRUPT
// killnowait, and their answers are dropped); its invocations in flight
// end with ERROR wamp.error.canceled to their callers.
func (s *Session) leaveCalls() {
	t := s.calls
	if t == nil {
		return
	}
	for _, reg := range t.regs {
		if removed, deleted := s.realm.dealer.remove(reg, s); removed {
			s.realm.registrationLeft(s, reg, deleted)
		}
	}
	t.regs = nil
	t.mu.Lock()
	t.left = true
	calls, invs, hooked := t.calls, t.invocations, t.hooked
	t.calls, t.invocations, t.hooked = nil, nil, nil
	t.mu.Unlock()
	for _, call := range hooked {
		call.claim() // stops its timer; the hook's answer is dropped
	}
	for _, inv := range inOrder(calls) {
		if inv.end() {
			inv.interrupt(CancelKillNoWait, ErrorCanceled)
		}
	}
	for _, inv := range inOrder(invs) {
		if inv.end() {
			inv.call.replier.ReplyError(ErrorCanceled, errorArgs("the callee left"), Payload{})
		}
	}
}

// inOrder returns the invocations of table m in the order they were made
// (each table numbers its entries in order), so that a leaving session's
// peers hear about them in that order.
func inOrder[K ID | uint64](m map[K]*invocation) []*invocation {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]*invocation, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// addCall enters inv in the caller's table; false when the caller has
// max calls in flight (or has left).
func (t *sessionCalls) addCall(inv *invocation, max int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.left || len(t.calls) >= max {
		return false
	}
	if t.calls == nil {
		t.calls = make(map[uint64]*invocation)
	}
	t.nextKey++
	inv.key = t.nextKey
	t.calls[inv.key] = inv
	return true
}

// addInvocation enters inv in the callee's table under a new invocation
// id. It returns the error URI and description of the refusal when the
// callee has left or has max invocations in flight.
func (t *sessionCalls) addInvocation(inv *invocation, max int) (uri, why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.left:
		return ErrorCanceled, "the callee left"
	case len(t.invocations) >= max:
		return ErrorTooManyCalls, "the callee has " + strconv.Itoa(max) + " invocations in flight"
	}
	if t.invocations == nil {
		t.invocations = make(map[ID]*invocation)
	}
	for {
		if t.nextInv++; t.nextInv > MaxID {
			t.nextInv = 1
		}
		if t.invocations[t.nextInv] == nil {
			break
		}
	}
	inv.ID, inv.c = t.nextInv, t.callee
	t.invocations[inv.ID] = inv
	return "", ""
}

// dropCall removes inv from the caller's table.
func (t *sessionCalls) dropCall(inv *invocation) {
	t.mu.Lock()
	if t.calls[inv.key] == inv {
		delete(t.calls, inv.key)
	}
	t.mu.Unlock()
}

// dropInvocation removes inv from the callee's table.
func (t *sessionCalls) dropInvocation(inv *invocation) {
	t.mu.Lock()
	if t.invocations[inv.ID] == inv {
		delete(t.invocations, inv.ID)
	}
	t.mu.Unlock()
}

// invocation returns the callee's invocation in flight with id, or nil.
// t may be nil.
func (t *sessionCalls) invocation(id ID) *invocation {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.invocations[id]
}

// findCall returns the caller's call in flight with request id request,
// or nil; a scan, as CANCEL is rare. t may be nil.
func (t *sessionCalls) findCall(request ID) *invocation {
	if t == nil || request == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, inv := range t.calls {
		if inv.call.Request == request {
			return inv
		}
	}
	return nil
}

// addHooked enters call, which an operation hook holds, for CANCEL.
func (t *sessionCalls) addHooked(call *Call) {
	t.mu.Lock()
	if !t.left {
		t.hooked = append(t.hooked, call)
	}
	t.mu.Unlock()
}

// dropHooked removes call once its hook answered.
func (t *sessionCalls) dropHooked(call *Call) {
	t.mu.Lock()
	if i := slices.Index(t.hooked, call); i >= 0 {
		t.hooked = slices.Delete(t.hooked, i, i+1)
	}
	t.mu.Unlock()
}

// findHooked returns the call with request id request that an operation
// hook holds, or nil. t may be nil.
func (t *sessionCalls) findHooked(request ID) *Call {
	if t == nil || request == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, call := range t.hooked {
		if call.Request == request {
			return call
		}
	}
	return nil
}
