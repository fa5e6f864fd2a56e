package wamp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
)

// ErrCallAnswered is returned by Call.Result and Call.Error when the call
// was already answered.
var ErrCallAnswered = errors.New("wamp: call already answered")

// Replier sends the answer of a Call in a protocol's wire format. Protocol
// packages implement it; Call guarantees it is used at most once per call.
// Its methods may be called from any goroutine.
type Replier interface {
	// ReplyResult answers with a result, given as compact JSON.
	ReplyResult(result []byte)
	// ReplyError answers with an error URI, a description and optional
	// details as compact JSON (nil: no details element).
	ReplyError(uri, desc string, details []byte)
}

// Call is one remote procedure call, handed to Handler.OnCall. The handler
// answers it exactly once with Result or Error, immediately or later from
// any goroutine; answers to a session that has closed are dropped.
type Call struct {
	// Procedure is the full procedure URI (CURIEs already resolved).
	Procedure string
	// Args are the call arguments as raw JSON values, in order, exactly as
	// the client sent them (compacted). They are owned by the Call.
	Args []json.RawMessage

	replier  Replier
	answered atomic.Bool
}

// NewCall makes a Call whose answer goes to r. Protocol packages use it.
func NewCall(procedure string, args []json.RawMessage, r Replier) *Call {
	return &Call{Procedure: procedure, Args: args, replier: r}
}

// Result answers the call with v. A json.RawMessage is sent as the JSON it
// holds (validated and compacted); anything else is encoded with
// encoding/json (without HTML escaping). When v cannot be encoded, Result
// returns the error and the call stays unanswered.
func (c *Call) Result(v any) error {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("wamp: call result for %q: %w", c.Procedure, err)
	}
	if !c.answered.CompareAndSwap(false, true) {
		return ErrCallAnswered
	}
	c.replier.ReplyResult(b)
	return nil
}

// Error answers the call with an error: uri identifies the error, desc
// describes it for developers, details (nil: omitted) is encoded like a
// Result value. When details cannot be encoded, Error returns the error
// and the call stays unanswered.
func (c *Call) Error(uri, desc string, details any) error {
	var d []byte
	if details != nil {
		var err error
		if d, err = encodeValue(details); err != nil {
			return fmt.Errorf("wamp: call error details for %q: %w", c.Procedure, err)
		}
	}
	if !c.answered.CompareAndSwap(false, true) {
		return ErrCallAnswered
	}
	c.replier.ReplyError(uri, desc, d)
	return nil
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
