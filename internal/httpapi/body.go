package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// Call timeouts: a call without one (or with 0) gets DefaultCallTimeout;
// MaxCallTimeout is the largest a request may ask for.
const (
	DefaultCallTimeout = 10 * time.Second
	MaxCallTimeout     = 5 * time.Minute
)

// reservedPrefix starts the topics only the router publishes to.
const reservedPrefix = "wamp."

// maxID is the largest session id: 2^53.
const maxID = 1 << 53

// PublishRequest is a decoded POST /api/publish body.
type PublishRequest struct {
	Realm             string // "" means the router's v1 realm
	Topic             string
	Args, Kwargs      wamp.Payload // JSON, absent when Raw is nil
	Exclude, Eligible []wamp.ID
	Retain            bool
}

// CallRequest is a decoded POST /api/call body.
type CallRequest struct {
	Realm        string // "" means the router's v1 realm
	Procedure    string
	Args, Kwargs wamp.Payload // JSON, absent when Raw is nil
	Timeout      time.Duration
}

// BodyError says why a request body is refused: the error URI and what
// is wrong, for the 400 answer.
type BodyError struct {
	URI     string
	Message string
}

func (e *BodyError) Error() string { return e.URI + ": " + e.Message }

func invalidArgument(format string, a ...any) *BodyError {
	return &BodyError{URI: wamp.ErrorInvalidArgument, Message: fmt.Sprintf(format, a...)}
}

// DecodePublish decodes and checks a publish body: a JSON object with a
// topic (a WAMP URI, not under "wamp."), and optionally args (a list),
// kwargs (an object; [] is taken as {}, as PHP's json_encode writes an
// empty array), exclude and eligible (lists of session ids: integers in
// [0, 2^53] or their decimal strings), retain (a boolean) and realm (a
// string). null stands for an absent field. Unknown or repeated fields,
// JSON that the WAMP serializers refuse (nesting deeper than
// value.MaxDepth, invalid UTF-8, …) and wrong types are errors.
func DecodePublish(body []byte) (*PublishRequest, error) {
	req := &PublishRequest{}
	var topic *string
	err := decodeObject(body, func(key string, raw json.RawMessage) *BodyError {
		var err *BodyError
		switch key {
		case "topic":
			topic, err = stringField(key, raw)
		case "args":
			req.Args, err = argsField(raw)
		case "kwargs":
			req.Kwargs, err = kwargsField(raw)
		case "exclude":
			req.Exclude, err = idsField(key, raw)
		case "eligible":
			req.Eligible, err = idsField(key, raw)
		case "retain":
			req.Retain, err = boolField(key, raw)
		case "realm":
			req.Realm, err = realmField(raw)
		default:
			err = unknownField(key, "topic, args, kwargs, exclude, eligible, retain, realm")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if topic == nil {
		return nil, invalidArgument(`"topic" is missing`)
	}
	if err := checkURI("topic", *topic); err != nil {
		return nil, err
	}
	if strings.HasPrefix(*topic, reservedPrefix) {
		return nil, &BodyError{URI: wamp.ErrorInvalidURI, Message: "the topic prefix wamp. is reserved for the router's own topics"}
	}
	req.Topic = *topic
	return req, nil
}

// DecodeCall decodes and checks a call body: a JSON object with a
// procedure (a WAMP URI), and optionally args, kwargs and realm (as for
// DecodePublish) and timeout (an integer number of milliseconds, at most
// MaxCallTimeout; 0 or absent means DefaultCallTimeout).
func DecodeCall(body []byte) (*CallRequest, error) {
	req := &CallRequest{Timeout: DefaultCallTimeout}
	var procedure *string
	err := decodeObject(body, func(key string, raw json.RawMessage) *BodyError {
		var err *BodyError
		switch key {
		case "procedure":
			procedure, err = stringField(key, raw)
		case "args":
			req.Args, err = argsField(raw)
		case "kwargs":
			req.Kwargs, err = kwargsField(raw)
		case "timeout":
			req.Timeout, err = timeoutField(raw)
		case "realm":
			req.Realm, err = realmField(raw)
		default:
			err = unknownField(key, "procedure, args, kwargs, timeout, realm")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if procedure == nil {
		return nil, invalidArgument(`"procedure" is missing`)
	}
	if err := checkURI("procedure", *procedure); err != nil {
		return nil, err
	}
	req.Procedure = *procedure
	return req, nil
}

// decodeObject checks that body is one JSON object that the WAMP JSON
// serializer accepts, then hands each member to field, in order; a
// repeated key is an error.
func decodeObject(body []byte, field func(key string, raw json.RawMessage) *BodyError) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return invalidArgument("the body is empty: want a JSON object")
	}
	if err := value.Validate(value.JSON, body); err != nil {
		return invalidArgument("the body is not acceptable JSON: %s", jsonProblem(err))
	}
	if trimmed[0] != '{' {
		return invalidArgument("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // '{'
		return invalidArgument("the body is not acceptable JSON: %v", err)
	}
	seen := make(map[string]bool, 8)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalidArgument("the body is not acceptable JSON: %v", err)
		}
		key, _ := tok.(string) // an object's keys are strings
		if seen[key] {
			return invalidArgument("field %q is given twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return invalidArgument("field %q: %v", key, err)
		}
		if berr := field(key, raw); berr != nil {
			return berr
		}
	}
	return nil
}

// jsonProblem is what value.Validate found, without the format's name.
func jsonProblem(err error) string {
	var de *value.DecodeError
	if errors.As(err, &de) {
		return fmt.Sprintf("%s at offset %d", de.Msg, de.Offset)
	}
	return err.Error()
}

func unknownField(key, known string) *BodyError {
	return invalidArgument("unknown field %q (known fields: %s)", key, known)
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// stringField reads a string member; null leaves it absent.
func stringField(key string, raw json.RawMessage) (*string, *BodyError) {
	if isNull(raw) {
		return nil, nil
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return nil, invalidArgument("%q must be a string", key)
	}
	return &s, nil
}

// realmField reads "realm": a string, checked against the router later.
func realmField(raw json.RawMessage) (string, *BodyError) {
	s, err := stringField("realm", raw)
	if err != nil || s == nil {
		return "", err
	}
	if *s == "" {
		return "", invalidArgument(`"realm" must not be empty`)
	}
	return *s, nil
}

func boolField(key string, raw json.RawMessage) (bool, *BodyError) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false", "null":
		return false, nil
	}
	return false, invalidArgument("%q must be a boolean", key)
}

// argsField reads "args": a list.
func argsField(raw json.RawMessage) (wamp.Payload, *BodyError) {
	switch {
	case isNull(raw):
		return wamp.Payload{}, nil
	case raw[0] != '[':
		return wamp.Payload{}, invalidArgument(`"args" must be a list`)
	}
	return compactPayload(raw), nil
}

// kwargsField reads "kwargs": an object, or an empty list (PHP's
// json_encode of an empty array), which means none.
func kwargsField(raw json.RawMessage) (wamp.Payload, *BodyError) {
	switch {
	case isNull(raw):
		return wamp.Payload{}, nil
	case raw[0] == '[' && len(bytes.TrimSpace(raw[1:len(raw)-1])) == 0:
		return wamp.Payload{}, nil
	case raw[0] != '{':
		return wamp.Payload{}, invalidArgument(`"kwargs" must be an object`)
	}
	return compactPayload(raw), nil
}

// compactPayload is a JSON payload part without whitespace outside
// strings (subscribers get it as it is), escapes kept as sent.
func compactPayload(raw json.RawMessage) wamp.Payload {
	if bytes.ContainsAny(raw, " \t\r\n") {
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil { // valid: decodeObject checked it
			raw = b.Bytes()
		}
	}
	return wamp.Payload{Raw: raw, Format: value.JSON}
}

// idsField reads a list of session ids: integers in [0, 2^53], or
// strings holding one in decimal (a v1 WELCOME sends its id so).
func idsField(key string, raw json.RawMessage) ([]wamp.ID, *BodyError) {
	if isNull(raw) {
		return nil, nil
	}
	var elems []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
		return nil, invalidArgument("%q must be a list of session ids", key)
	}
	ids := make([]wamp.ID, 0, len(elems))
	for i, e := range elems {
		text := string(e)
		if e[0] == '"' {
			if json.Unmarshal(e, &text) != nil {
				text = ""
			}
		}
		id, ok := parseID(text)
		if !ok {
			return nil, invalidArgument("%q element %d must be a session id (an integer in [0, 2^53], or its decimal string), got %s",
				key, i, abbrev(e))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// parseID reads a decimal integer in [0, 2^53], digits only.
func parseID(s string) (wamp.ID, bool) {
	if s == "" || len(s) > 16 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > maxID {
		return 0, false
	}
	return wamp.ID(n), true
}

// timeoutField reads "timeout": whole milliseconds in [0,
// MaxCallTimeout]; 0 and null mean DefaultCallTimeout.
func timeoutField(raw json.RawMessage) (time.Duration, *BodyError) {
	if isNull(raw) {
		return DefaultCallTimeout, nil
	}
	maxMS := MaxCallTimeout.Milliseconds()
	ms, ok := parseID(string(raw))
	if !ok || int64(ms) > maxMS {
		return 0, invalidArgument(`"timeout" must be an integer number of milliseconds in [0, %d], got %s`, maxMS, abbrev(raw))
	}
	if ms == 0 {
		return DefaultCallTimeout, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// checkURI checks a topic or procedure with the core's URI rules.
func checkURI(key, uri string) *BodyError {
	if !wamp.ValidURI(uri, wamp.MatchExact, false) {
		return &BodyError{URI: wamp.ErrorInvalidURI, Message: fmt.Sprintf("%s is not a valid %s URI: "+
			"dot-separated non-empty components without spaces or #", abbrev(strconv.AppendQuote(nil, uri)), key)}
	}
	return nil
}

// abbrev shows at most 40 bytes of a JSON value in an error message.
func abbrev(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:37]) + "..."
	}
	return string(raw)
}
