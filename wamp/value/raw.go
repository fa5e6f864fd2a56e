package value

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
)

// Functions on raw encoded values, for the routing path: they look at
// bytes without building values.

// Kind is the kind of a raw value.
type Kind uint8

// The kinds of values. Invalid stands for bytes that do not start a value.
const (
	Invalid Kind = iota
	Null
	Bool
	Int
	Float
	String
	Bytes
	List
	Dict
)

var kindNames = [...]string{"invalid", "null", "bool", "integer", "float", "string", "binary", "list", "dict"}

// String returns the kind's name as used in error messages, e.g. "dict".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// KindOf tells the kind of the value raw starts with from its first bytes,
// without validating the rest. An integer that Decode turns into float64
// (beyond 64 bits) is Float.
func KindOf(f Format, raw []byte) Kind {
	switch f {
	case JSON:
		return jsonKind(bytes.TrimLeft(raw, " \t\r\n"))
	case MsgPack:
		k, _, _, _ := mpHead(raw, 0)
		return k
	case CBOR:
		major, info, arg, _, err := cborHead(raw, 0)
		if err != nil {
			return Invalid
		}
		return cborKind(major, info, arg)
	}
	return Invalid
}

func jsonKind(b []byte) Kind {
	if len(b) == 0 {
		return Invalid
	}
	switch c := b[0]; {
	case c == '"':
		if bytes.HasPrefix(b, []byte(binaryPrefix)) {
			return Bytes
		}
		return String
	case c == '[':
		return List
	case c == '{':
		return Dict
	case c == 't' || c == 'f':
		return Bool
	case c == 'n':
		return Null
	case c == '-' || c >= '0' && c <= '9':
		return jsonNumberKind(b)
	}
	return Invalid
}

// jsonNumberKind tells whether the number b starts with reads as an
// integer (Int) or a float (Float), as Decode reads it.
func jsonNumberKind(b []byte) Kind {
	n := 0
	for ; n < len(b); n++ {
		c := b[n]
		if c == '.' || c == 'e' || c == 'E' {
			return Float
		}
		if (c < '0' || c > '9') && c != '-' && c != '+' {
			break
		}
	}
	b = b[:n]
	if len(b) <= 18 {
		return Int
	}
	if _, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return Int
	}
	if _, err := strconv.ParseUint(string(b), 10, 64); err == nil {
		return Int
	}
	return Float
}

// IsList reports whether raw starts a list (see KindOf).
func IsList(f Format, raw []byte) bool { return KindOf(f, raw) == List }

// IsDict reports whether raw starts a dict (see KindOf).
func IsDict(f Format, raw []byte) bool { return KindOf(f, raw) == Dict }

// elements checks the list raw in format f and calls fn with the index
// and raw bytes of each element until fn returns false.
func elements(f Format, raw []byte, fn func(int, []byte) bool) (int, error) {
	switch f {
	case JSON:
		return jsonElements(raw, fn)
	case MsgPack:
		return mpElements(raw, fn)
	case CBOR:
		return cborElements(raw, fn)
	}
	return 0, decodeErr(f, 0, "unknown format")
}

// ListElements checks that raw is exactly one list in format f whose
// elements are each a valid value (limits counted from the element, so
// the list itself does not count towards MaxDepth), stores the raw bytes
// of its first len(dst) elements in dst and returns the list's length.
// The stored slices alias raw. It never allocates (apart from checking
// JSON binary strings).
func ListElements(f Format, raw []byte, dst [][]byte) (int, error) {
	return elements(f, raw, func(i int, e []byte) bool {
		if i < len(dst) {
			dst[i] = e
		}
		return true
	})
}

// ListLen returns the number of elements of the list raw, false when raw
// is not a valid list (as ListElements checks it).
func ListLen(f Format, raw []byte) (int, bool) {
	n, err := elements(f, raw, func(int, []byte) bool { return true })
	return n, err == nil
}

// ListElement returns the raw bytes of element i of the list raw (an
// alias of raw), false when raw is not a list or has no element i. The
// elements up to i are checked, and, for JSON, the syntax of the whole
// list.
func ListElement(f Format, raw []byte, i int) ([]byte, bool) {
	var elem []byte
	_, err := elements(f, raw, func(k int, e []byte) bool {
		if k == i {
			elem = e
			return false
		}
		return true
	})
	return elem, err == nil && elem != nil
}

// DictLen returns the number of members of the dict raw, false when raw
// is not exactly one valid dict.
func DictLen(f Format, raw []byte) (int, bool) {
	if KindOf(f, raw) != Dict || Validate(f, raw) != nil {
		return 0, false
	}
	switch f {
	case JSON:
		return jsonDictLen(raw), true
	case MsgPack:
		_, n, _, _ := mpHead(raw, 0)
		return n, true
	}
	_, _, n, _, _ := cborHead(raw, 0)
	return int(n), true
}

// jsonDictLen counts the members of the valid JSON dict b.
func jsonDictLen(b []byte) int {
	i := jsonSkipWS(b, jsonSkipWS(b, 0)+1)
	if b[i] == '}' {
		return 0
	}
	r := jsonReader{b: b}
	for n := 1; ; n++ {
		vstart := jsonSkipWS(b, jsonSkipWS(b, jsonStringEnd(b, i))+1)
		_, end, _ := r.value(vstart, 1)
		i = jsonSkipWS(b, end)
		if b[i] == '}' {
			return n
		}
		i = jsonSkipWS(b, i+1)
	}
}

// Uint returns the value of raw when it is exactly one non-negative
// integer (not a float, even an integral one) that fits in uint64.
func Uint(f Format, raw []byte) (uint64, bool) {
	switch f {
	case JSON:
		b := bytes.Trim(raw, " \t\r\n")
		if string(b) == "-0" {
			return 0, true // Decode reads it as 0 too
		}
		if len(b) == 0 || len(b) > 1 && b[0] == '0' {
			return 0, false
		}
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
		if u, err := strconv.ParseUint(string(b), 10, 64); err == nil {
			return u, true
		}
	case MsgPack:
		return mpUint(raw)
	case CBOR:
		if major, _, arg, j, err := cborHead(raw, 0); err == nil && major == 0 && j == len(raw) {
			return arg, true
		}
	}
	return 0, false
}

// mpUint reads a MessagePack integer that is exactly raw and not negative.
func mpUint(raw []byte) (uint64, bool) {
	k, _, j, err := mpHead(raw, 0)
	if err != nil || k != Int || j != len(raw) {
		return 0, false
	}
	var u uint64
	for _, c := range raw[1:] {
		u = u<<8 | uint64(c)
	}
	switch c := raw[0]; {
	case c <= 0x7f:
		return uint64(c), true
	case c >= 0xcc && c <= 0xcf:
		return u, true
	case c >= 0xd0 && c <= 0xd3 && raw[1] < 0x80:
		return u, true // signed, top bit clear
	}
	return 0, false // negative fixint
}

// Text returns the text string that raw is exactly, false when raw is
// anything else (a JSON binary string included).
func Text(f Format, raw []byte) (string, bool) {
	switch f {
	case JSON:
		b := bytes.Trim(raw, " \t\r\n")
		if len(b) == 0 || b[0] != '"' || bytes.HasPrefix(b, []byte(binaryPrefix)) || jsonscan.Validate(b) != nil {
			return "", false
		}
		return jsonscan.Unquote(b), true
	case MsgPack:
		k, n, j, err := mpHead(raw, 0)
		if err != nil || k != String || j+n != len(raw) || !utf8.Valid(raw[j:]) {
			return "", false
		}
		return string(raw[j:]), true
	case CBOR:
		major, _, n, j, err := cborHead(raw, 0)
		if err != nil || major != 3 || n != uint64(len(raw)-j) || !utf8.Valid(raw[j:]) {
			return "", false
		}
		return string(raw[j:]), true
	}
	return "", false
}
