package v1

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
)

// Message is one decoded client message. Which fields are set depends on
// Type. Byte slices point into the decoded frame and are only valid as
// long as it is; strings are owned.
type Message struct {
	Type MessageType

	// Prefix is PREFIX's CURIE prefix ("" when null or missing) and URI
	// its expansion. URISet is false when the URI is missing or not a
	// string or number: the prefix is then unresolved.
	Prefix string
	URI    string
	URISet bool

	// CallID is CALL's call id as the JSON to echo in the answer: strings
	// PHP-escaped, numbers as sent, null when missing. Owned.
	CallID []byte
	// Procedure is CALL's procedure URI or CURIE; numbers give their
	// text. ProcedureError is set instead when the procedure is missing,
	// null, a boolean, a list or an object.
	Procedure      string
	ProcedureError string
	// Args are CALL's arguments, raw.
	Args [][]byte

	// Topic is the topic URI or CURIE of SUBSCRIBE, UNSUBSCRIBE and
	// PUBLISH; numbers give their text, null or missing gives "".
	Topic string

	// Event is PUBLISH's raw payload, nil when missing (null).
	Event []byte
	// ExcludeMe is the (bool) cast of PUBLISH's 4th element when it is a
	// scalar; Exclude its values when it is a list or object.
	ExcludeMe bool
	Exclude   []wamp.ID
	// Eligible holds the values of PUBLISH's 5th element, a list or
	// object. Elements that do not name a session id (see looseID) become
	// 0, which names no session (also in Exclude).
	Eligible []wamp.ID
}

// keptElements is how many top-level elements Decode keeps on the stack;
// PUBLISH has five.
const keptElements = 6

// Decode parses one client message. Every error is a *wamp.CloseError with
// code 1007 (invalid payload) and a reason saying what is wrong, for the
// cases where Ratchet closes the connection with 1007 or dies.
func Decode(msg []byte) (Message, error) {
	var buf [keptElements][]byte
	el, err := jsonscan.Elements(msg, buf[:0])
	if err != nil {
		var se *jsonscan.SyntaxError
		if errors.As(err, &se) {
			return Message{}, invalid("malformed JSON: " + se.Error())
		}
		return Message{}, invalid("message is not a JSON list")
	}
	if len(el) == 0 {
		return Message{}, invalid("empty list: message type id missing")
	}
	t, ok := typeID(el[0])
	if !ok {
		return Message{}, invalid(fmt.Sprintf("unknown message type id %s", clip(el[0])))
	}
	m := Message{Type: t}
	switch t {
	case MsgPrefix:
		if m.Prefix, err = stringOrNumber(el, 1, "PREFIX prefix"); err != nil {
			return Message{}, err
		}
		if v := at(el, 2); isStringOrNumber(v) {
			m.URI, m.URISet = text(v), true
		}
	case MsgCall:
		if err = checkElement1(el, "CALL call id"); err != nil {
			return Message{}, err
		}
		m.CallID = callID(at(el, 1))
		switch v := at(el, 2); {
		case isStringOrNumber(v):
			m.Procedure = text(v)
		case v == nil:
			m.ProcedureError = "CALL without a procedure URI"
		default:
			m.ProcedureError = "procedure URI must be a string, not " + describe(v)
		}
		if len(el) > 3 {
			m.Args = append([][]byte(nil), el[3:]...)
		}
	case MsgSubscribe, MsgUnsubscribe:
		if m.Topic, err = stringOrNumber(el, 1, t.String()+" topic"); err != nil {
			return Message{}, err
		}
	case MsgPublish:
		if m.Topic, err = stringOrNumber(el, 1, "PUBLISH topic"); err != nil {
			return Message{}, err
		}
		m.Event = at(el, 2)
		switch v := at(el, 3); jsonscan.KindOf(v) {
		case jsonscan.Array, jsonscan.Object:
			m.Exclude = sessionIDs(v)
		case jsonscan.Invalid: // missing
		default:
			m.ExcludeMe = truthy(v)
		}
		switch v := at(el, 4); jsonscan.KindOf(v) {
		case jsonscan.Array, jsonscan.Object:
			m.Eligible = sessionIDs(v)
		case jsonscan.Invalid: // missing
		default:
			return Message{}, invalid("PUBLISH eligible must be a list of session ids, not " + describe(v))
		}
	default: // WELCOME, CALLRESULT, CALLERROR, EVENT
		return Message{}, invalid(fmt.Sprintf("clients may not send %s", t))
	}
	return m, nil
}

func invalid(reason string) error {
	return &wamp.CloseError{Code: wamp.CloseInvalidPayload, Reason: reason}
}

// at returns element i, or nil when the message is shorter.
func at(el [][]byte, i int) []byte {
	if i < len(el) {
		return el[i]
	}
	return nil
}

func isStringOrNumber(v []byte) bool {
	k := jsonscan.KindOf(v)
	return k == jsonscan.String || k == jsonscan.Number
}

// text returns a string's content or a number's text.
func text(v []byte) string {
	if jsonscan.KindOf(v) == jsonscan.String {
		return jsonscan.Unquote(v)
	}
	return string(v)
}

// checkElement1 applies Ratchet's check of element 1 of every message: it
// may be missing or null, otherwise it must be a string or a number.
func checkElement1(el [][]byte, what string) error {
	v := at(el, 1)
	switch jsonscan.KindOf(v) {
	case jsonscan.Invalid, jsonscan.Null, jsonscan.String, jsonscan.Number:
		return nil
	default:
		return invalid(what + " must be a string or number, not " + describe(v))
	}
}

// stringOrNumber returns element i as a string (a number's text, "" for
// null or missing) after checkElement1.
func stringOrNumber(el [][]byte, i int, what string) (string, error) {
	if err := checkElement1(el, what); err != nil {
		return "", err
	}
	if v := at(el, i); isStringOrNumber(v) {
		return text(v), nil
	}
	return "", nil
}

// callID returns the JSON that echoes call id v: a string re-encoded the
// PHP way, a number as sent, null for null or missing.
func callID(v []byte) []byte {
	switch jsonscan.KindOf(v) {
	case jsonscan.String:
		return AppendPHPString(nil, jsonscan.Unquote(v))
	case jsonscan.Number:
		return append([]byte(nil), v...)
	}
	return []byte("null")
}

// sessionIDs returns the values of list or object v as session ids (see
// looseID).
func sessionIDs(v []byte) []wamp.ID {
	var buf [8][]byte
	vals := jsonscan.Values(v, buf[:0])
	if len(vals) == 0 {
		return nil
	}
	ids := make([]wamp.ID, len(vals))
	for i, e := range vals {
		ids[i] = looseID(e)
	}
	return ids
}

// describe names the JSON type of v for error reasons.
func describe(v []byte) string {
	switch jsonscan.KindOf(v) {
	case jsonscan.Null:
		return "null"
	case jsonscan.True, jsonscan.False:
		return "a boolean"
	case jsonscan.Number:
		return "a number"
	case jsonscan.String:
		return "a string"
	case jsonscan.Array:
		return "a list"
	case jsonscan.Object:
		return "an object"
	}
	return "missing"
}

// clip shortens a raw value for an error reason (close reasons are
// limited to 123 bytes), cutting at a UTF-8 character boundary.
func clip(v []byte) string {
	const max = 32
	if len(v) <= max {
		return string(v)
	}
	n := max
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return string(v[:n]) + "..."
}
