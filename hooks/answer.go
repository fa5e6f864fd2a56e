package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// MaxAnswer bounds an answer's body; a longer one is a hook failure.
const MaxAnswer = 1 << 20

// Answer is one decoded answer of the application.
type Answer struct {
	// Error, when not nil, is the application's refusal.
	Error *wamp.HookError
	// Args and Kwargs: a publication's rewritten payload or a call's
	// result, JSON, each when present.
	Args, Kwargs wamp.Payload
	// Skip and Reply (with ReplyArgs, ReplyKwargs): a publication's
	// answer.
	Skip                   bool
	Reply                  bool
	ReplyArgs, ReplyKwargs wamp.Payload
	// AuthID and AuthRole (when not empty) and Extra (when not nil): a
	// connect answer.
	AuthID, AuthRole string
	Extra            map[string]any
}

// ErrJunk wraps every reason an answer is not the contract's.
var ErrJunk = errors.New("hook answer is not the contract's")

func junk(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrJunk, fmt.Sprintf(format, args...))
}

// DecodeAnswer reads body, the application's answer: a JSON object with
// exactly one of "result" (an object) and "error" (an object with a
// string "uri"). Unknown fields are ignored; known ones of the wrong type
// are an error (wrapping ErrJunk), as is a body over MaxAnswer bytes,
// invalid JSON, or one nested deeper than value.MaxDepth.
func DecodeAnswer(body []byte) (*Answer, error) {
	if len(body) > MaxAnswer {
		return nil, junk("%d bytes, over the %d-byte limit", len(body), MaxAnswer)
	}
	body = bytes.TrimSpace(body)
	if err := value.Validate(value.JSON, body); err != nil {
		return nil, junk("not JSON: %v", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, junk("not a JSON object")
	}
	res, hasResult := present(top, "result")
	e, hasError := present(top, "error")
	switch {
	case hasResult == hasError:
		return nil, junk(`want exactly one of "result" and "error"`)
	case hasError:
		return decodeError(e)
	}
	return decodeResult(res)
}

// present returns top[name] when it is there and not null.
func present(top map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	v, ok := top[name]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// fields splits raw, which must be a JSON object, into its fields.
func fields(raw json.RawMessage, what string) (map[string]json.RawMessage, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, junk("%s is not an object", what)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, junk("%s: %v", what, err)
	}
	return m, nil
}

func decodeError(raw json.RawMessage) (*Answer, error) {
	m, err := fields(raw, "error")
	if err != nil {
		return nil, err
	}
	e := &wamp.HookError{}
	if err := stringField(m, "uri", &e.URI); err != nil {
		return nil, err
	}
	if !wamp.ValidURI(e.URI, wamp.MatchExact, false) {
		return nil, junk("error.uri %q is not a WAMP URI", e.URI)
	}
	if err := stringField(m, "message", &e.Message); err != nil {
		return nil, err
	}
	if e.Args, err = payloadField(m, "args", '['); err != nil {
		return nil, err
	}
	if e.Kwargs, err = payloadField(m, "kwargs", '{'); err != nil {
		return nil, err
	}
	return &Answer{Error: e}, nil
}

func decodeResult(raw json.RawMessage) (*Answer, error) {
	m, err := fields(raw, "result")
	if err != nil {
		return nil, err
	}
	a := &Answer{}
	if a.Args, err = payloadField(m, "args", '['); err != nil {
		return nil, err
	}
	if a.Kwargs, err = payloadField(m, "kwargs", '{'); err != nil {
		return nil, err
	}
	if v, ok := present(m, "skip"); ok {
		if err := json.Unmarshal(v, &a.Skip); err != nil {
			return nil, junk("result.skip is not a boolean")
		}
	}
	if v, ok := present(m, "reply"); ok {
		r, err := fields(v, "result.reply")
		if err != nil {
			return nil, err
		}
		a.Reply = true
		if a.ReplyArgs, err = payloadField(r, "args", '['); err != nil {
			return nil, err
		}
		if a.ReplyKwargs, err = payloadField(r, "kwargs", '{'); err != nil {
			return nil, err
		}
	}
	if err := stringField(m, "authid", &a.AuthID); err != nil {
		return nil, err
	}
	if err := stringField(m, "authrole", &a.AuthRole); err != nil {
		return nil, err
	}
	if v, ok := present(m, "extra"); ok {
		if v[0] != '{' {
			return nil, junk("result.extra is not an object")
		}
		x, err := value.Decode(value.JSON, v)
		if err != nil {
			return nil, junk("result.extra: %v", err)
		}
		a.Extra = x.(map[string]any)
	}
	return a, nil
}

// stringField reads m[name] into dst when present: it must be a string.
func stringField(m map[string]json.RawMessage, name string, dst *string) error {
	v, ok := present(m, name)
	if !ok {
		return nil
	}
	if v[0] != '"' || json.Unmarshal(v, dst) != nil {
		return junk("%s is not a string", name)
	}
	return nil
}

// payloadField reads m[name] as a JSON payload that starts with kind
// ('[' a list, '{' a dict), absent when missing or null.
func payloadField(m map[string]json.RawMessage, name string, kind byte) (wamp.Payload, error) {
	v, ok := present(m, name)
	if !ok {
		return wamp.Payload{}, nil
	}
	if v[0] != kind {
		want := "a list"
		if kind == '{' {
			want = "an object"
		}
		return wamp.Payload{}, junk("%s is not %s", name, want)
	}
	return wamp.Payload{Raw: bytes.Clone(v), Format: value.JSON}, nil
}
