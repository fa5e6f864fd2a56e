// Package jsonscan is a one-pass, allocation-free JSON validator and slicer
// for WAMP messages. It accepts exactly what PHP's json_decode accepts
// (RFC 8259 JSON, valid UTF-8, no unpaired UTF-16 surrogate escapes,
// nesting depth at most 512), so wampgate rejects the same frames a
// Ratchet node rejects. Values are returned as slices of the input; nothing
// is decoded until a caller asks for it (Unquote, AppendCompact, Values).
package jsonscan

import (
	"fmt"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of lists and objects accepted, the
// default depth of PHP's json_decode.
const MaxDepth = 512

// Kind is the JSON type of a value, told by its first byte.
type Kind uint8

// The JSON kinds. Invalid is returned for an empty or unknown value.
const (
	Invalid Kind = iota
	Null
	False
	True
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"invalid", "null", "false", "true", "number", "string", "list", "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// KindOf reports the kind of a value slice returned by this package.
func KindOf(v []byte) Kind {
	if len(v) == 0 {
		return Invalid
	}
	switch c := v[0]; {
	case c == '"':
		return String
	case c == '[':
		return Array
	case c == '{':
		return Object
	case c == 'n':
		return Null
	case c == 't':
		return True
	case c == 'f':
		return False
	case c == '-' || (c >= '0' && c <= '9'):
		return Number
	}
	return Invalid
}

// SyntaxError describes why a message is not acceptable JSON.
type SyntaxError struct {
	Offset int    // byte offset of the problem in the message
	Msg    string // what is wrong, e.g. "invalid UTF-8 in string"
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset)
}

func errAt(off int, msg string) error { return &SyntaxError{Offset: off, Msg: msg} }

// Validate reports whether b is exactly one JSON value, optionally
// surrounded by whitespace, within MaxDepth.
func Validate(b []byte) error {
	i := skipWS(b, 0)
	end, err := value(b, i, 0)
	if err != nil {
		return err
	}
	if j := skipWS(b, end); j != len(b) {
		return errAt(j, "unexpected data after JSON value")
	}
	return nil
}

// skipWS returns the index of the first non-whitespace byte at or after i.
// JSON whitespace is space, tab, line feed and carriage return only.
func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value validates the value starting at b[i] (no leading whitespace) and
// returns the index just past it. depth is the number of enclosing
// containers.
func value(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errAt(i, "unexpected end of JSON")
	}
	switch c := b[i]; {
	case c == '"':
		return str(b, i)
	case c == '[':
		return array(b, i, depth+1)
	case c == '{':
		return object(b, i, depth+1)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return number(b, i)
	}
	return i, errAt(i, fmt.Sprintf("unexpected character %q", b[i]))
}

func literal(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, errAt(i, "invalid literal")
	}
	return i + len(lit), nil
}

// number validates -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func number(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return start, errAt(start, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return start, errAt(start, "invalid number")
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return start, errAt(start, "invalid number")
		}
		i = j
	}
	return i, nil
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// str validates the string starting at the quote b[i]: escapes, UTF-8,
// no raw control characters, surrogate escapes in pairs.
func str(b []byte, i int) (int, error) {
	start := i
	i++
	for i < len(b) {
		for i < len(b) && plainStringByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			n, err := escape(b, i)
			if err != nil {
				return i, err
			}
			i += n
		case c < 0x20:
			return i, errAt(i, "control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i, errAt(i, "invalid UTF-8 in string")
			}
			i += size
		}
	}
	return start, errAt(start, "unterminated string")
}

// plainStringByte marks the bytes that stand for themselves inside a
// string: printable ASCII except '"' and '\\'.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escape validates the escape sequence at b[i] == '\\' and returns its
// length, including a following low-surrogate escape when b[i] starts a
// high surrogate.
func escape(b []byte, i int) (int, error) {
	if i+1 >= len(b) {
		return 0, errAt(i, "unterminated string")
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
	default:
		return 0, errAt(i, "invalid escape in string")
	}
	r, ok := hex4(b, i+2)
	if !ok {
		return 0, errAt(i, "invalid \\u escape in string")
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, errAt(i, "unpaired UTF-16 surrogate in string")
	case r >= 0xD800 && r <= 0xDBFF:
		if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
			if lo, ok := hex4(b, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				return 12, nil
			}
		}
		return 0, errAt(i, "unpaired UTF-16 surrogate in string")
	}
	return 6, nil
}

// hex4 decodes four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func array(b []byte, i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, errAt(i, "nesting deeper than 512")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := value(b, i, depth)
		if err != nil {
			return end, err
		}
		i = skipWS(b, end)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of JSON in list")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, errAt(i, "expected ',' or ']' in list")
		}
	}
}

func object(b []byte, i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, errAt(i, "nesting deeper than 512")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = member(b, i, depth); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of JSON in object")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, errAt(i, "expected ',' or '}' in object")
		}
	}
}

// member validates `"key" : value` starting at b[i] and returns the index
// past the value.
func member(b []byte, i, depth int) (int, error) {
	_, _, end, err := memberSpans(b, i, depth)
	return end, err
}

// memberSpans validates one object member at b[i] and returns its key and
// value slices and the index past the value.
func memberSpans(b []byte, i, depth int) (key, val []byte, end int, err error) {
	if i >= len(b) || b[i] != '"' {
		return nil, nil, i, errAt(i, "expected string key in object")
	}
	kend, err := str(b, i)
	if err != nil {
		return nil, nil, kend, err
	}
	key = b[i:kend]
	i = skipWS(b, kend)
	if i >= len(b) || b[i] != ':' {
		return nil, nil, i, errAt(i, "expected ':' after object key")
	}
	i = skipWS(b, i+1)
	vend, err := value(b, i, depth)
	if err != nil {
		return nil, nil, vend, err
	}
	return key, b[i:vend], vend, nil
}
