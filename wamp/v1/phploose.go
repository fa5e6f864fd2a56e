package v1

import (
	"bytes"
	"math"
	"strconv"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
)

// Ratchet inspects decoded PHP values with PHP's loose rules. These
// helpers reproduce them on raw JSON values so that wampgate accepts the
// same sloppy messages: a type id "5", 5.0, "7.0" or true (== 1), and the
// (bool) cast of PUBLISH's excludeMe.

// typeID returns the message type PHP's `switch ($json[0])` over the
// values 0…8 selects with loose ==: numbers and numeric strings by value,
// true as 1. ok is false when no type id matches.
func typeID(v []byte) (t MessageType, ok bool) {
	var f float64
	switch jsonscan.KindOf(v) {
	case jsonscan.Number:
		f, _ = strconv.ParseFloat(string(v), 64)
	case jsonscan.String:
		if f, ok = numericString(jsonscan.Unquote(v)); !ok {
			return 0, false
		}
	case jsonscan.True:
		return MsgPrefix, true
	default:
		return 0, false
	}
	if f < 0 || f > float64(MsgEvent) || f != float64(int(f)) {
		return 0, false
	}
	return MessageType(f), true
}

// truthy is PHP's (bool) cast of a scalar JSON value (lists and objects
// never reach it: they are exclude lists): false for false,
// null, 0, 0.0, "" and "0"; true otherwise.
func truthy(v []byte) bool {
	switch jsonscan.KindOf(v) {
	case jsonscan.True:
		return true
	case jsonscan.Number:
		f, _ := strconv.ParseFloat(string(v), 64)
		return f != 0
	case jsonscan.String:
		s := jsonscan.Unquote(v)
		return s != "" && s != "0"
	}
	return false
}

// looseID is the session id an element of an exclude or eligible list
// names. Session ids are integers, sent to v1 clients as decimal strings;
// Ratchet compared list elements with PHP's loose in_array, under which
// 123 == "123". So a string of decimal digits and a JSON number with a
// whole value both name the session with that id; anything else (other
// strings, booleans, null, lists, objects, ids out of range) is 0, which
// names no session.
func looseID(v []byte) wamp.ID {
	var n uint64
	switch jsonscan.KindOf(v) {
	case jsonscan.String:
		body := string(v[1 : len(v)-1])
		if bytes.IndexByte(v, '\\') >= 0 {
			body = jsonscan.Unquote(v)
		}
		if body == "" || countDigits(body) != len(body) {
			return 0
		}
		n, _ = strconv.ParseUint(body, 10, 64)
	case jsonscan.Number:
		if bytes.ContainsAny(v, ".eE-") {
			f, _ := strconv.ParseFloat(string(v), 64)
			if f != math.Trunc(f) || f < 1 || f > float64(wamp.MaxID) {
				return 0
			}
			n = uint64(f)
		} else {
			n, _ = strconv.ParseUint(string(v), 10, 64)
		}
	}
	if id := wamp.ID(n); id.Valid() {
		return id
	}
	return 0
}

// numericString reports whether s is a PHP 8 numeric string (optional
// surrounding whitespace, optional sign, decimal digits with an optional
// fraction and exponent) and returns its value.
func numericString(s string) (float64, bool) {
	i, end := 0, len(s)
	for i < end && isPHPSpace(s[i]) {
		i++
	}
	for end > i && isPHPSpace(s[end-1]) {
		end--
	}
	body := s[i:end]
	j := 0
	if j < len(body) && (body[j] == '+' || body[j] == '-') {
		j++
	}
	intDigits := countDigits(body[j:])
	j += intDigits
	fracDigits := 0
	if j < len(body) && body[j] == '.' {
		j++
		fracDigits = countDigits(body[j:])
		j += fracDigits
	}
	if intDigits == 0 && fracDigits == 0 {
		return 0, false
	}
	if j < len(body) && (body[j] == 'e' || body[j] == 'E') {
		k := j + 1
		if k < len(body) && (body[k] == '+' || body[k] == '-') {
			k++
		}
		n := countDigits(body[k:])
		if n == 0 {
			return 0, false
		}
		j = k + n
	}
	if j != len(body) {
		return 0, false
	}
	f, _ := strconv.ParseFloat(body, 64)
	return f, true
}

func isPHPSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func countDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
