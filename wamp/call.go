package wamp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
	"github.com/wampgate/wampgate/wamp/value"
)

// ErrCallAnswered is returned by the answering methods of Call when the
// call was already answered (or timed out, or its caller canceled it).
var ErrCallAnswered = errors.New("wamp: call already answered")

// ErrNoProgress is returned by Call.Progress when the caller did not ask
// for progressive results.
var ErrNoProgress = errors.New("wamp: the caller did not ask for progressive results")

// Replier sends the answers of a Call in the caller's protocol. Protocol
// packages implement it. The router makes at most one final answer per
// call (ReplyError, or ReplyResult with progress false), progressive
// results only before it, and never two at once; from any goroutine.
type Replier interface {
	// ReplyResult answers with a result (v2 RESULT, v1 CALLRESULT): args
	// (a list) and kwargs (a dict), each absent when its Raw is nil, in
	// any format, which the replier converts to its own. progress marks
	// a progressive result (v2 RESULT.Details.progress), which only calls
	// with ReceiveProgress get. args and kwargs are valid only during the
	// call.
	ReplyResult(args, kwargs Payload, progress bool)
	// ReplyError answers with an error (v2 ERROR, v1 CALLERROR): its URI,
	// args and kwargs as for ReplyResult.
	ReplyError(uri string, args, kwargs Payload)
}

// Call is one remote procedure call on the caller's side. The router
// routes it to a registered callee (a session, or a procedure the realm
// serves itself, see Realm.Register), else hands it to Handler.OnCall.
// Go code that receives a Call answers it exactly once, immediately or
// later from any goroutine, with Result or Error (v1-style: one result
// value, or an error with a description and details) or with Yield or
// Raise (v2-style: arguments and keyword arguments), optionally after
// progressive results (Progress). Answers to a session that has closed
// are dropped.
type Call struct {
	// Procedure is the full procedure URI (v1 CURIEs already resolved).
	Procedure string
	// Args and Kwargs are the call's arguments (a list) and keyword
	// arguments (a dict), raw, in the caller's format; absent when Raw is
	// nil. A v1 CALL has Args, the JSON list of its arguments (compacted),
	// and no Kwargs. JSONArgs gives the arguments one by one as JSON.
	Args, Kwargs Payload
	// Request is the caller's request id (v2 CALL.Request), by which
	// CANCEL names the call; 0 for v1 calls.
	Request ID
	// Timeout is CALL.Options.timeout: when positive, a call that is not
	// answered within it ends with the error wamp.error.timeout.
	Timeout time.Duration
	// ReceiveProgress is CALL.Options.receive_progress: the caller takes
	// progressive results.
	ReceiveProgress bool
	// DiscloseMe is CALL.Options.disclose_me: the callee sees who calls.
	DiscloseMe bool

	replier Replier

	// mu orders the answers: a progressive result is sent under it while
	// the call is unanswered, and the final answer claims the call under
	// it first, so nothing follows the final answer.
	mu       sync.Mutex
	answered bool
	timer    *time.Timer // the timeout's, while one runs
}

// NewCall makes a Call of procedure whose answers go to r; the protocol
// package sets Request and the options. args and kwargs may alias a
// buffer the protocol reuses once Session.Call returns: the router
// copies them before Go code sees the call, and keeps no reference to
// them otherwise.
func NewCall(procedure string, args, kwargs Payload, r Replier) *Call {
	return &Call{Procedure: procedure, Args: args, Kwargs: kwargs, replier: r}
}

// Result answers the call with one result value v, the v1 way: the
// result's arguments are [v] (v1's CALLRESULT carries v). A
// json.RawMessage is sent as the JSON it holds (validated and compacted);
// anything else is encoded with encoding/json (without HTML escaping).
// When v cannot be encoded, Result returns the error and the call stays
// unanswered.
func (c *Call) Result(v any) error {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("wamp: call result for %q: %w", c.Procedure, err)
	}
	return c.Yield(jsonList(b), Payload{})
}

// Error answers the call with an error, the v1 way: uri identifies the
// error, desc describes it for developers, details (nil: none) is
// encoded like a Result value. The error's arguments are [desc], or
// [desc, details] when details is not a JSON object; an object becomes
// the keyword arguments. v1's CALLERROR gets back exactly desc and
// details (see wamp/DIFFERENCES.md). When details cannot be encoded,
// Error returns the error and the call stays unanswered.
func (c *Call) Error(uri, desc string, details any) error {
	d, err := encodeValue(desc)
	if err != nil {
		return fmt.Errorf("wamp: call error description for %q: %w", c.Procedure, err)
	}
	var kwargs Payload
	if details != nil {
		det, err := encodeValue(details)
		if err != nil {
			return fmt.Errorf("wamp: call error details for %q: %w", c.Procedure, err)
		}
		if det[0] == '{' {
			kwargs = Payload{Raw: det, Format: value.JSON}
		} else {
			d = append(append(d, ','), det...)
		}
	}
	return c.Raise(uri, jsonList(d), kwargs)
}

// Yield answers the call with a result: args (a list) and kwargs (a
// dict), each absent when its Raw is nil, in any format. It fails, and
// the call stays unanswered, when args is not a list or kwargs not a dict.
func (c *Call) Yield(args, kwargs Payload) error {
	if err := checkPayload(args, kwargs); err != nil {
		return fmt.Errorf("wamp: call result for %q: %w", c.Procedure, err)
	}
	if !c.claim() {
		return ErrCallAnswered
	}
	c.replier.ReplyResult(args, kwargs, false)
	return nil
}

// Progress sends a progressive result (args and kwargs as for Yield);
// the call stays open for more and its final answer. It returns
// ErrNoProgress when the caller did not ask for progressive results.
func (c *Call) Progress(args, kwargs Payload) error {
	if !c.ReceiveProgress {
		return ErrNoProgress
	}
	if err := checkPayload(args, kwargs); err != nil {
		return fmt.Errorf("wamp: progressive result for %q: %w", c.Procedure, err)
	}
	if !c.progress(args, kwargs) {
		return ErrCallAnswered
	}
	return nil
}

// Raise answers the call with the error uri and its args and kwargs (as
// for Yield).
func (c *Call) Raise(uri string, args, kwargs Payload) error {
	if err := checkPayload(args, kwargs); err != nil {
		return fmt.Errorf("wamp: call error for %q: %w", c.Procedure, err)
	}
	if !c.claim() {
		return ErrCallAnswered
	}
	c.replier.ReplyError(uri, args, kwargs)
	return nil
}

// JSONArgs returns the call's arguments one by one as compact JSON (nil
// when there are none), converted from the caller's format when needed:
// the v1 view of a call's arguments.
func (c *Call) JSONArgs() ([]json.RawMessage, error) {
	raw, err := c.Args.In(value.JSON)
	if err == nil && raw != nil {
		err = jsonscan.Validate(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("wamp: arguments of %q: %w", c.Procedure, err)
	}
	vals := jsonscan.Values(raw, nil)
	if len(vals) == 0 {
		return nil, nil
	}
	buf := make([]byte, 0, len(raw))
	out := make([]json.RawMessage, len(vals))
	for i, v := range vals {
		start := len(buf)
		buf = jsonscan.AppendCompact(buf, v)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out, nil
}

// claim marks the call answered and stops its timeout; it reports false
// when the call was answered already. Whoever claims a call sends its
// final answer.
func (c *Call) claim() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answered {
		return false
	}
	c.answered = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	return true
}

// progress sends a progressive result unless the call is answered.
func (c *Call) progress(args, kwargs Payload) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answered {
		return false
	}
	c.replier.ReplyResult(args, kwargs, true)
	return true
}

// startTimeout arms the call's timeout, when it has one and is still
// unanswered: expire runs when it elapses. One timer per call with a
// timeout, none otherwise.
func (c *Call) startTimeout(expire func()) {
	if c.Timeout <= 0 {
		return
	}
	c.mu.Lock()
	if !c.answered {
		c.timer = time.AfterFunc(c.Timeout, expire)
	}
	c.mu.Unlock()
}

// own copies Args and Kwargs into one buffer of the call's own, before
// Go code that may keep them sees the call.
func (c *Call) own() {
	buf := make([]byte, 0, len(c.Args.Raw)+len(c.Kwargs.Raw))
	buf = append(buf, c.Args.Raw...)
	buf = append(buf, c.Kwargs.Raw...)
	n := len(c.Args.Raw)
	if c.Args.Raw != nil {
		c.Args.Raw = buf[:n:n]
	}
	if c.Kwargs.Raw != nil {
		c.Kwargs.Raw = buf[n:]
	}
}

// checkPayload checks that args, when present, is a list and kwargs a
// dict, from their first bytes.
func checkPayload(args, kwargs Payload) error {
	if args.Raw != nil && !value.IsList(args.format(), args.Raw) {
		return errors.New("arguments are not a list")
	}
	if kwargs.Raw != nil && !value.IsDict(kwargs.format(), kwargs.Raw) {
		return errors.New("keyword arguments are not a dict")
	}
	return nil
}

// errorArgs is a router error's arguments: [text], a description for
// developers.
func errorArgs(text string) Payload {
	d, err := encodeValue(text)
	if err != nil {
		return Payload{}
	}
	return jsonList(d)
}

// jsonList wraps the compact JSON elements elems (comma-separated) in a
// JSON list.
func jsonList(elems []byte) Payload {
	b := make([]byte, 0, len(elems)+2)
	b = append(b, '[')
	b = append(b, elems...)
	return Payload{Raw: append(b, ']'), Format: value.JSON}
}

// encodeValue returns compact JSON for v.
func encodeValue(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if err := jsonscan.Validate(raw); err != nil {
			return nil, fmt.Errorf("invalid raw JSON: %w", err)
		}
		return jsonscan.AppendCompact(nil, raw), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
