package v2

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wampgate/wampgate/wamp"
)

// This file holds the dealer messages of a Session: REGISTER, UNREGISTER,
// CALL, CANCEL, YIELD and a callee's ERROR, which the core's dealer
// routes (wamp.Session.Register, Call, …). Towards the client, a
// session's callee (INVOCATION, INTERRUPT) and each call's replier
// (RESULT, ERROR) encode in the session's serializer, converting payloads
// that come from another serializer; payloads are never decoded when the
// formats match.

// ErrTooManyRegistrations is the error URI answering a REGISTER beyond
// the per-session registration limit (the spec has no URI for it).
const ErrTooManyRegistrations = "wampgate.error.too_many_registrations"

// dealerRole is WELCOME.Details.roles.dealer: the dealer features the
// router implements.
func dealerRole() map[string]any {
	return map[string]any{"features": map[string]any{
		"progressive_call_results":   true, // receive_progress, YIELD progress → RESULT progress
		"call_canceling":             true, // CANCEL skip, kill, killnowait; INTERRUPT
		"call_timeout":               true, // CALL timeout, run by the dealer
		"caller_identification":      true, // disclose_me, disclose_caller → INVOCATION caller
		"shared_registration":        true, // invoke: single, roundrobin, random, first, last
		"pattern_based_registration": true, // match: prefix, wildcard
		"session_meta_api":           true, // wamp.session.count, list, get (the spec wants it on both roles)
		"registration_meta_api":      true, // wamp.registration.* procedures and events
	}}
}

// leaveRPC is called before the core session leaves. The core's Leave
// does the dealer's part (registrations, calls and invocations in flight
// end); the v2 session keeps no RPC state of its own.
func (s *Session) leaveRPC() {}

// handleRPC handles REGISTER, UNREGISTER, CALL, CANCEL, YIELD and ERROR
// (a callee's answer to an INVOCATION) of an established session.
// Malformed options are answered with ERROR wamp.error.invalid_argument
// where the message has an answer (REGISTER, CALL); a CANCEL with an
// unknown mode cancels in the default mode, killnowait.
func (s *Session) handleRPC(m *Message) error {
	switch m.Type {
	case Register:
		s.handleRegister(m)
	case Unregister:
		if err := s.core.Unregister(wamp.ID(m.ID)); err != nil {
			uri, text := s.rpcRefusal(err)
			s.sendError(Unregister, m.Request, uri, text)
		} else {
			s.send(&Message{Type: Unregistered, Request: m.Request})
		}
	case Call:
		s.handleCall(m)
	case Cancel:
		mode, ok := cancelMode(m.Dict)
		if !ok {
			s.router.Logger().Debug("wamp v2: CANCEL with an unknown mode: killnowait", "session", s.core.ID(), "options", m.Dict)
		}
		s.core.Cancel(wamp.ID(m.Request), mode)
	case Yield:
		s.core.Yield(wamp.ID(m.Request), s.payload(m.Args), s.payload(m.Kwargs), m.Dict["progress"] == true)
	case Error:
		s.core.InvocationError(wamp.ID(m.Request), m.URI, s.payload(m.Args), s.payload(m.Kwargs))
	}
	return nil
}

// handleRegister answers REGISTER with REGISTERED, or ERROR:
// invalid_argument for malformed options, invalid_uri (also for the
// reserved prefix "wamp."), procedure_already_exists, or the
// registration limit.
func (s *Session) handleRegister(m *Message) {
	opts, text := registerOptions(m.Dict)
	if text != "" {
		s.sendError(Register, m.Request, ErrInvalidArgument, text)
		return
	}
	if !wamp.ValidURI(m.URI, opts.Match, false) {
		s.sendError(Register, m.Request, ErrInvalidURI, fmt.Sprintf("%q is not a valid %s procedure URI", m.URI, opts.Match))
		return
	}
	s.core.SetCallee(&callee{s: s, core: s.core, progress: s.Client().Has(CalleeProgressiveCallResults)},
		s.Client().Has(CalleeCallCanceling))
	reg, err := s.core.Register(m.URI, opts)
	if err != nil {
		uri, text := s.rpcRefusal(err)
		s.sendError(Register, m.Request, uri, text)
		return
	}
	s.send(&Message{Type: Registered, Request: m.Request, ID: uint64(reg.ID())})
}

// handleCall routes CALL through the core's dealer; the answer comes as
// RESULT or ERROR through the call's replier. Malformed options and URIs
// are answered with ERROR at once.
func (s *Session) handleCall(m *Message) {
	rep := &callReplier{s: s, core: s.core, request: m.Request}
	call := wamp.NewCall(m.URI, s.payload(m.Args), s.payload(m.Kwargs), rep)
	call.Request = wamp.ID(m.Request)
	if text := callOptions(m.Dict, call); text != "" {
		s.sendError(Call, m.Request, ErrInvalidArgument, text)
		return
	}
	if m.Dict["progress"] == true {
		s.sendError(Call, m.Request, ErrFeatureNotSupported, "progressive call invocations are not supported")
		return
	}
	if !wamp.ValidURI(m.URI, wamp.MatchExact, false) {
		s.sendError(Call, m.Request, ErrInvalidURI, fmt.Sprintf("%q is not a valid procedure URI", m.URI))
		return
	}
	s.core.Call(call)
}

// payload is a message's Args or Kwargs (nil: absent) as a payload in
// the session's format. It aliases the message buffer: the core copies
// what it keeps.
func (s *Session) payload(raw []byte) wamp.Payload {
	if raw == nil {
		return wamp.Payload{}
	}
	return wamp.Payload{Raw: raw, Format: s.proto.ser.format}
}

// rpcRefusal is the error URI and text answering err, a refusal by the
// core's dealer.
func (s *Session) rpcRefusal(err error) (uri, text string) {
	if errors.Is(err, wamp.ErrTooManyRegistrations) {
		return ErrTooManyRegistrations, err.Error()
	}
	return refusal(err)
}

// registerOptions reads REGISTER.Options match, invoke and
// disclose_caller; text says what is malformed. Other options are
// ignored.
func registerOptions(d map[string]any) (opts wamp.RegisterOptions, text string) {
	if v, ok := d["match"]; ok {
		name, _ := v.(string)
		if opts.Match, ok = wamp.ParseMatch(name); !ok || name == "" {
			return opts, `option "match" must be "exact", "prefix" or "wildcard"`
		}
	}
	if v, ok := d["invoke"]; ok {
		name, _ := v.(string)
		if opts.Invoke, ok = wamp.ParseInvokePolicy(name); !ok || name == "" {
			return opts, `option "invoke" must be "single", "roundrobin", "random", "first" or "last"`
		}
	}
	var ok bool
	if opts.DiscloseCaller, ok = boolOption(d, "disclose_caller", false); !ok {
		return opts, `option "disclose_caller" must be a boolean`
	}
	return opts, ""
}

// maxTimeout is the largest timeout option, in milliseconds, that a
// time.Duration holds (about 292 years); larger ones are cut to it.
const maxTimeout = math.MaxInt64 / int64(time.Millisecond)

// callOptions reads CALL.Options timeout, receive_progress and
// disclose_me into call; text says what is malformed. Other options are
// ignored.
func callOptions(d map[string]any, call *wamp.Call) (text string) {
	var ok bool
	if call.ReceiveProgress, ok = boolOption(d, "receive_progress", false); !ok {
		return `option "receive_progress" must be a boolean`
	}
	if call.DiscloseMe, ok = boolOption(d, "disclose_me", false); !ok {
		return `option "disclose_me" must be a boolean`
	}
	if _, ok = boolOption(d, "progress", false); !ok {
		return `option "progress" must be a boolean`
	}
	raw, present := d["timeout"]
	if !present {
		return ""
	}
	var ms int64
	switch v := raw.(type) {
	case int64:
		ms = v
	case float64: // a JSON client's 1000.0, or a float from MessagePack
		if v != math.Trunc(v) || v < 0 {
			ms = -1
		} else {
			ms = int64(min(v, float64(maxTimeout)))
		}
	default:
		ms = -1
	}
	if ms < 0 {
		return `option "timeout" must be a non-negative integer (milliseconds)`
	}
	call.Timeout = time.Duration(min(ms, maxTimeout)) * time.Millisecond
	return ""
}

// cancelMode reads CANCEL.Options.mode; ok is false, and the mode the
// default, when it is present and not one of the spec's modes.
func cancelMode(d map[string]any) (wamp.CancelMode, bool) {
	name, isString := d["mode"].(string)
	if _, present := d["mode"]; present && !isString {
		return wamp.CancelKillNoWait, false
	}
	mode, ok := wamp.ParseCancelMode(name)
	if !ok {
		return wamp.CancelKillNoWait, false
	}
	return mode, true
}

// sendFrame encodes m as one complete frame and queues it; it fails only
// when m cannot be encoded.
func (s *Session) sendFrame(m *Message) error {
	frame, err := s.proto.frame(m)
	if err != nil {
		return err
	}
	s.conn.SendFrame(frame)
	return nil
}

// callee is the wamp.Callee of one core session: the dealer sends its
// INVOCATION and INTERRUPT messages through it, from any goroutine.
// Nothing is sent once the core session has left (its invocations end
// with it), so a later session on the same connection never sees them.
type callee struct {
	s        *Session
	core     *wamp.Session
	progress bool // the callee announced progressive_call_results
}

// Invoke sends INVOCATION. Details carry procedure (pattern
// registrations), caller, caller_authid and caller_authrole (when
// disclosed) and receive_progress (when the caller asked and the callee
// announced progressive_call_results).
func (c *callee) Invoke(inv *wamp.Invocation) error {
	if !c.core.Live() {
		return nil
	}
	f := c.s.proto.ser.format
	args, err := inv.Args.In(f)
	if err != nil {
		return fmt.Errorf("the arguments cannot be sent in %s: %w", f, err)
	}
	kwargs, err := inv.Kwargs.In(f)
	if err != nil {
		return fmt.Errorf("the keyword arguments cannot be sent in %s: %w", f, err)
	}
	m := Message{Type: Invocation, Request: uint64(inv.ID), ID: uint64(inv.Registration), Args: args, Kwargs: kwargs}
	progress := inv.ReceiveProgress && c.progress
	if inv.Procedure != "" || inv.Caller != 0 || progress {
		m.Dict = make(map[string]any, 4)
		if inv.Procedure != "" {
			m.Dict["procedure"] = inv.Procedure
		}
		if inv.Caller != 0 {
			m.Dict["caller"] = uint64(inv.Caller)
			m.Dict["caller_authid"] = inv.CallerAuthID
			m.Dict["caller_authrole"] = inv.CallerAuthRole
		}
		if progress {
			m.Dict["receive_progress"] = true
		}
	}
	if err := c.s.sendFrame(&m); err != nil {
		return fmt.Errorf("the invocation cannot be sent: %w", err)
	}
	return nil
}

// Interrupt sends INTERRUPT with Options mode and reason.
func (c *callee) Interrupt(id wamp.ID, mode wamp.CancelMode, reason string) {
	if !c.core.Live() {
		return
	}
	c.s.send(&Message{Type: Interrupt, Request: uint64(id), Dict: map[string]any{"mode": mode.String(), "reason": reason}})
}

// progressDetails is RESULT.Details of a progressive result; shared and
// never modified.
var progressDetails = map[string]any{"progress": true}

// callReplier is the wamp.Replier of one CALL: RESULT and ERROR to the
// caller, in its serializer. Answers after the caller's core session left
// are dropped.
type callReplier struct {
	s       *Session
	core    *wamp.Session
	request uint64
}

// ReplyResult sends RESULT (with Details.progress for a progressive
// result). A final result that does not convert to the caller's
// serializer is answered with ERROR wamp.error.invalid_argument; a
// progressive one is dropped.
func (r *callReplier) ReplyResult(args, kwargs wamp.Payload, progress bool) {
	if !r.core.Live() {
		return
	}
	m := Message{Type: Result, Request: r.request}
	if progress {
		m.Dict = progressDetails
	}
	err := r.convert(&m, args, kwargs)
	if err == nil {
		err = r.s.sendFrame(&m)
	}
	if err == nil {
		return
	}
	r.s.router.Logger().Debug("wamp v2: call result not sent", "session", r.core.ID(), "progress", progress, "err", err)
	if !progress {
		r.s.sendError(Call, r.request, ErrInvalidArgument, "the result cannot be sent in "+r.s.proto.ser.format.String()+": "+err.Error())
	}
}

// ReplyError sends ERROR for the CALL with uri, args and kwargs. When
// they do not convert to the caller's serializer, the ERROR keeps its
// URI and says so in its arguments.
func (r *callReplier) ReplyError(uri string, args, kwargs wamp.Payload) {
	if !r.core.Live() {
		return
	}
	m := Message{Type: Error, ReqType: Call, Request: r.request, URI: uri}
	err := r.convert(&m, args, kwargs)
	if err == nil {
		err = r.s.sendFrame(&m)
	}
	if err != nil {
		r.s.sendError(Call, r.request, uri, "the error's payload cannot be sent in "+r.s.proto.ser.format.String()+": "+err.Error())
	}
}

// convert sets m's Args and Kwargs to args and kwargs in the session's
// format.
func (r *callReplier) convert(m *Message, args, kwargs wamp.Payload) (err error) {
	f := r.s.proto.ser.format
	if m.Args, err = args.In(f); err != nil {
		return err
	}
	m.Kwargs, err = kwargs.In(f)
	return err
}

// Urgent reports whether msg is a CANCEL: the gateway runs it at once
// even while operations wait behind an operation hook, so that a call an
// operation hook holds can be canceled.
func (s *Session) Urgent(msg []byte) bool {
	var m Message
	return s.proto.ser.DecodeInto(msg, &m) == nil && m.Type == Cancel
}
