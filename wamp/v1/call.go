package v1

import (
	"fmt"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
	"github.com/wampgate/wampgate/wamp/value"
)

// A v1 CALL is a wamp.Call like a v2 one: its arguments become the call's
// Args (the JSON list of the v1 arguments), so a WAMP v2 callee
// registered under the procedure gets them as INVOCATION arguments, and
// its answer comes back as CALLRESULT or CALLERROR:
//
//   - CALLRESULT [3, callID, result]: the result's single argument; the
//     list of its arguments when there are several; its keyword
//     arguments when there are no arguments (an empty list counts as
//     none); else null.
//   - CALLERROR [4, callID, errorURI, desc, details]: desc is the error's
//     first argument when that is a string, else the error URI; details
//     are the error's keyword arguments when present, else the arguments
//     after desc (one: that value; several: their list; none: no details
//     element).
//
// Call.Result and Call.Error, the v1-style answers of Go hooks, map onto
// this exactly: Result(v) is the single argument v, Error(uri, desc, d) is
// the arguments [desc] (or [desc, d]) with d as keyword arguments when it
// is an object.

// handleCall routes a CALL (after CURIE expansion) as a wamp.Call.
func (s *Session) handleCall(m *Message) {
	r := &callReplier{session: s.core, callID: m.CallID}
	if m.ProcedureError != "" {
		r.send(AppendCallError(nil, r.callID, ErrorInvalidURI, m.ProcedureError, nil))
		return
	}
	args := wamp.Payload{Raw: argsList(m.Args), Format: value.JSON}
	s.core.Call(wamp.NewCall(s.prefixes.resolve(m.Procedure), args, wamp.Payload{}, r))
}

// argsList returns the JSON list of the raw call arguments, each
// compacted, in a buffer of its own.
func argsList(raw [][]byte) []byte {
	n := len("[]") + len(raw)
	for _, a := range raw {
		n += len(a)
	}
	buf := append(make([]byte, 0, n), '[')
	for i, a := range raw {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = jsonscan.AppendCompact(buf, a)
	}
	return append(buf, ']')
}

// callReplier answers one CALL with CALLRESULT or CALLERROR.
type callReplier struct {
	session *wamp.Session
	callID  []byte
}

// ReplyResult sends CALLRESULT (see the mapping above). A result that
// cannot be written as JSON is answered with CALLERROR
// wamp.error.invalid_argument. v1 calls never ask for progressive
// results; one would be dropped.
func (r *callReplier) ReplyResult(args, kwargs wamp.Payload, progress bool) {
	if progress {
		return
	}
	result, err := callResult(args, kwargs)
	if err != nil {
		r.send(AppendCallError(nil, r.callID, wamp.ErrorInvalidArgument,
			"the result cannot be sent as JSON: "+err.Error(), nil))
		return
	}
	r.send(AppendCallResult(nil, r.callID, result))
}

// ReplyError sends CALLERROR (see the mapping above). Details that cannot
// be written as JSON are left out.
func (r *callReplier) ReplyError(uri string, args, kwargs wamp.Payload) {
	desc, details, err := callError(uri, args, kwargs)
	if err != nil {
		r.session.Router().Logger().Debug("wamp v1: call error details dropped", "session", r.session.ID(), "err", err)
	}
	r.send(AppendCallError(nil, r.callID, uri, desc, details))
}

func (r *callReplier) send(msg []byte) {
	if r.session.Live() {
		r.session.Conn().SendText(msg)
	}
}

// callResult returns the result element of v1's CALLRESULT for a call
// result with args and kwargs (in any format), as compact JSON: the
// single argument, the list of several, the keyword arguments when there
// are no arguments, else null.
func callResult(args, kwargs wamp.Payload) ([]byte, error) {
	elems, list, err := jsonArgs(args)
	switch {
	case err != nil:
		return nil, err
	case len(elems) == 1:
		return elems[0], nil
	case len(elems) > 1:
		return list, nil
	case kwargs.Present():
		return jsonDict(kwargs)
	}
	return []byte("null"), nil
}

// callError returns the description and details of v1's CALLERROR for a
// call error uri with args and kwargs (in any format): desc is the first
// argument when it is a string, else uri; details (nil: none) are the
// keyword arguments when present, else the remaining arguments (one: that
// value, several: their list). On error desc is still set and details
// are nil.
func callError(uri string, args, kwargs wamp.Payload) (desc string, details []byte, err error) {
	desc = uri
	elems, _, err := jsonArgs(args)
	if err != nil {
		return desc, nil, err
	}
	if len(elems) > 0 {
		if text, ok := value.Text(value.JSON, elems[0]); ok {
			desc, elems = text, elems[1:]
		}
	}
	switch {
	case kwargs.Present():
		details, err = jsonDict(kwargs)
		return desc, details, err
	case len(elems) == 1:
		return desc, elems[0], nil
	case len(elems) > 1:
		details = append(details, '[')
		for i, e := range elems {
			if i > 0 {
				details = append(details, ',')
			}
			details = append(details, e...)
		}
		return desc, append(details, ']'), nil
	}
	return desc, nil, nil
}

// jsonArgs converts the argument list args to compact JSON and returns
// its elements (slices of list), nil when args is absent.
func jsonArgs(args wamp.Payload) (elems [][]byte, list []byte, err error) {
	raw, err := args.In(value.JSON)
	if err != nil || raw == nil {
		return nil, nil, err
	}
	if err := jsonscan.Validate(raw); err != nil {
		return nil, nil, fmt.Errorf("arguments: %w", err)
	}
	list = jsonscan.Compact(raw)
	elems, err = jsonscan.Elements(list, nil)
	if err != nil || list[0] != '[' {
		return nil, nil, fmt.Errorf("arguments are not a JSON list")
	}
	return elems, list, nil
}

// jsonDict converts the keyword arguments kwargs to compact JSON.
func jsonDict(kwargs wamp.Payload) ([]byte, error) {
	raw, err := kwargs.In(value.JSON)
	if err != nil {
		return nil, err
	}
	if err := jsonscan.Validate(raw); err != nil || jsonscan.KindOf(raw) != jsonscan.Object {
		return nil, fmt.Errorf("keyword arguments are not a JSON object")
	}
	return jsonscan.Compact(raw), nil
}
