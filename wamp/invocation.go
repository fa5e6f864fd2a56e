package wamp

// CancelMode is how a call is canceled (CANCEL.Options.mode, and the mode
// of the INTERRUPT a callee gets).
type CancelMode uint8

// The cancel modes of the WAMP spec:
//
//   - CancelSkip: the caller gets ERROR wamp.error.canceled at once; the
//     callee is not told, and its answer is dropped.
//   - CancelKill: the callee gets INTERRUPT and the call stays open: the
//     caller gets whatever the callee answers (usually its ERROR).
//   - CancelKillNoWait: the caller gets ERROR wamp.error.canceled at once
//     and the callee INTERRUPT; the callee's answer is dropped.
//
// A callee that did not announce call_canceling is never interrupted:
// every mode is then CancelSkip.
const (
	CancelKillNoWait CancelMode = iota
	CancelKill
	CancelSkip
)

var cancelModeNames = [...]string{"killnowait", "kill", "skip"}

// String is the mode's name in the WAMP spec.
func (m CancelMode) String() string {
	if int(m) < len(cancelModeNames) {
		return cancelModeNames[m]
	}
	return "invalid"
}

// ParseCancelMode reads CANCEL.Options.mode: "" (the option absent) is
// CancelKillNoWait, as in nexus (the spec names no default).
func ParseCancelMode(s string) (CancelMode, bool) {
	if s == "" {
		return CancelKillNoWait, true
	}
	for i, name := range cancelModeNames {
		if s == name {
			return CancelMode(i), true
		}
	}
	return 0, false
}

// Callee is how the dealer reaches a session that registers procedures:
// the protocol session implements it and hands it to Session.SetCallee.
// Its methods are called from any goroutine and must not block.
type Callee interface {
	// Invoke sends INVOCATION for inv. It returns an error when inv's
	// payload cannot be written in the callee's serializer; the call then
	// ends with ERROR wamp.error.invalid_argument. inv is valid only
	// during the call.
	Invoke(inv *Invocation) error
	// Interrupt sends INTERRUPT for the invocation id, with the cancel
	// mode (kill or killnowait) and the reason (an error URI:
	// wamp.error.canceled, wamp.error.timeout). Only callees that
	// announced call_canceling get it.
	Interrupt(id ID, mode CancelMode, reason string)
}

// Invocation is one call as its callee sees it: what INVOCATION carries.
type Invocation struct {
	// ID is the invocation's request id, unique among the callee's
	// invocations in flight (sequential per callee session).
	ID ID
	// Registration is the id of the registration the call reached.
	Registration ID
	// Procedure is the procedure called when the registration is a
	// pattern (INVOCATION.Details.procedure), "" otherwise.
	Procedure string
	// Caller is the caller's session id when disclosed (disclose_me, or
	// the callee's disclose_caller), 0 otherwise; CallerAuthID and
	// CallerAuthRole are then its authid and authrole.
	Caller         ID
	CallerAuthID   string
	CallerAuthRole string
	// ReceiveProgress tells that the caller takes progressive results.
	ReceiveProgress bool
	// Args and Kwargs are the call's payload, in the caller's format.
	Args, Kwargs Payload

	procedure string // the procedure called, whatever the match
}

// invocation is one call in flight to a callee session. It is in the
// caller's table (by a key of the caller's) and in the callee's (by its
// invocation id) from INVOCATION until it ends; whoever ends it first —
// the callee's final YIELD or ERROR, the timeout, CANCEL, or either side
// leaving — claims its Call (Call.claim), removes it from both tables and
// sends the caller's answer; everyone else finds it gone or claimed and
// does nothing. It holds no payload once INVOCATION is sent.
type invocation struct {
	Invocation
	call    *Call
	caller  *Session
	callee  *Session
	c       Callee // the callee's
	key     uint64 // in the caller's table
	killing bool   // a kill-mode CANCEL was sent on; guarded by call.mu
}

// end claims the invocation's call and removes the invocation from both
// session tables; false when someone else ended it.
func (inv *invocation) end() bool {
	if !inv.call.claim() {
		return false
	}
	inv.caller.calls.dropCall(inv)
	inv.callee.calls.dropInvocation(inv)
	inv.caller.realm.dealer.inFlight.Add(-1)
	return true
}

// interrupt sends INTERRUPT when the callee announced call_canceling.
func (inv *invocation) interrupt(mode CancelMode, reason string) {
	if inv.callee.calls.canceling {
		inv.c.Interrupt(inv.ID, mode, reason)
	}
}

// expire ends the call when its timeout elapsed: the caller gets
// wamp.error.timeout, the callee INTERRUPT (killnowait), as the spec asks
// of dealer-run timeouts.
func (inv *invocation) expire() {
	if inv.end() {
		inv.interrupt(CancelKillNoWait, ErrorTimeout)
		inv.call.replier.ReplyError(ErrorTimeout, errorArgs("the call timed out"), Payload{})
	}
}

// cancel applies the caller's CANCEL in mode.
func (inv *invocation) cancel(mode CancelMode) {
	if !inv.callee.calls.canceling {
		mode = CancelSkip
	}
	if mode == CancelKill {
		c := inv.call
		c.mu.Lock()
		first := !c.answered && !inv.killing
		inv.killing = true
		c.mu.Unlock()
		if first {
			inv.c.Interrupt(inv.ID, CancelKill, ErrorCanceled)
		}
		return
	}
	if inv.end() {
		if mode == CancelKillNoWait {
			inv.interrupt(CancelKillNoWait, ErrorCanceled)
		}
		inv.call.replier.ReplyError(ErrorCanceled, errorArgs("the call was canceled"), Payload{})
	}
}
