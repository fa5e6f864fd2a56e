package value

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
)

// JSON is read in two passes: jsonscan checks the syntax (RFC 8259, UTF-8,
// escapes) without allocating, then jsonReader walks the now well-formed
// text to apply what jsonscan does not know: MaxDepth, the binary string
// convention and the float64 range of numbers, building values when asked.

// binaryPrefix is how a binary string starts in JSON: a quote and U+0000.
const binaryPrefix = `"\u0000`

// jsonSyntax runs jsonscan over b and converts its error.
func jsonSyntax(b []byte) error {
	err := jsonscan.Validate(b)
	if err == nil {
		return nil
	}
	var se *jsonscan.SyntaxError
	if !errors.As(err, &se) {
		return decodeErr(JSON, 0, err.Error())
	}
	msg := se.Msg
	if strings.HasPrefix(msg, "nesting deeper") {
		// jsonscan's own limit is far above ours; say ours.
		msg = fmt.Sprintf("nesting deeper than %d", MaxDepth)
	}
	return decodeErr(JSON, se.Offset, msg)
}

// jsonReader walks JSON that jsonSyntax accepted.
type jsonReader struct {
	b     []byte
	build bool // build values, or only check them
}

func jsonSkipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// value reads the value at b[i] (no leading whitespace) inside depth
// containers and returns it (when building) and the index past it.
func (r *jsonReader) value(i, depth int) (any, int, error) {
	switch r.b[i] {
	case '[':
		return r.list(i, depth+1)
	case '{':
		return r.dict(i, depth+1)
	case '"':
		return r.str(i)
	case 't':
		return true, i + 4, nil
	case 'f':
		return false, i + 5, nil
	case 'n':
		return nil, i + 4, nil
	}
	return r.number(i)
}

func (r *jsonReader) list(i, depth int) (any, int, error) {
	if depth > MaxDepth {
		return nil, i, decodeErr(JSON, i, fmt.Sprintf("nesting deeper than %d", MaxDepth))
	}
	var out []any
	if r.build {
		out = []any{}
	}
	i = jsonSkipWS(r.b, i+1)
	if r.b[i] == ']' {
		return out, i + 1, nil
	}
	for {
		v, end, err := r.value(i, depth)
		if err != nil {
			return nil, end, err
		}
		if r.build {
			out = append(out, v)
		}
		i = jsonSkipWS(r.b, end)
		if r.b[i] == ']' {
			return out, i + 1, nil
		}
		i = jsonSkipWS(r.b, i+1) // past ','
	}
}

func (r *jsonReader) dict(i, depth int) (any, int, error) {
	if depth > MaxDepth {
		return nil, i, decodeErr(JSON, i, fmt.Sprintf("nesting deeper than %d", MaxDepth))
	}
	var out map[string]any
	if r.build {
		out = make(map[string]any)
	}
	i = jsonSkipWS(r.b, i+1)
	if r.b[i] == '}' {
		return out, i + 1, nil
	}
	for {
		kend := jsonStringEnd(r.b, i)
		key := r.b[i:kend]
		vstart := jsonSkipWS(r.b, jsonSkipWS(r.b, kend)+1) // past ':'
		v, end, err := r.value(vstart, depth)
		if err != nil {
			return nil, end, err
		}
		if r.build {
			out[jsonscan.Unquote(key)] = v
		}
		i = jsonSkipWS(r.b, end)
		if r.b[i] == '}' {
			return out, i + 1, nil
		}
		i = jsonSkipWS(r.b, i+1) // past ','
	}
}

// jsonStringEnd returns the index just past the well-formed string that
// starts with the quote b[i].
func jsonStringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

func (r *jsonReader) str(i int) (any, int, error) {
	end := jsonStringEnd(r.b, i)
	s := r.b[i:end]
	if bytes.HasPrefix(s, []byte(binaryPrefix)) {
		b, err := jsonBinary(s)
		if err != nil {
			return nil, i, decodeErr(JSON, i, "invalid base64 in binary string")
		}
		return b, end, nil
	}
	if !r.build {
		return nil, end, nil
	}
	return jsonscan.Unquote(s), end, nil
}

// jsonBinary decodes the well-formed JSON string s (quotes included) that
// starts with binaryPrefix.
func jsonBinary(s []byte) ([]byte, error) {
	body := s[len(binaryPrefix) : len(s)-1]
	if bytes.IndexByte(body, '\\') >= 0 {
		body = []byte(jsonscan.Unquote(s)[1:]) // '/' may come escaped
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(out, body)
	return out[:n], err
}

// number reads a well-formed number: an integer (no fraction, no
// exponent) becomes int64, or uint64 above math.MaxInt64; anything else,
// and integers beyond 64 bits, become float64.
func (r *jsonReader) number(i int) (any, int, error) {
	end, isFloat := i, false
	for ; end < len(r.b); end++ {
		c := r.b[end]
		if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
		} else if (c < '0' || c > '9') && c != '-' && c != '+' {
			break
		}
	}
	s := r.b[i:end]
	// Each return converts to any only when building: boxing a number
	// allocates, and checking must not.
	if !isFloat {
		if n, err := strconv.ParseInt(string(s), 10, 64); err == nil {
			if !r.build {
				return nil, end, nil
			}
			return n, end, nil
		}
		if u, err := strconv.ParseUint(string(s), 10, 64); err == nil {
			if !r.build {
				return nil, end, nil
			}
			return u, end, nil
		}
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil && math.IsInf(f, 0) {
		return nil, i, decodeErr(JSON, i, "number out of range")
	}
	if !r.build {
		return nil, end, nil
	}
	return f, end, nil
}

// jsonValue checks (and builds) the single JSON value that is b.
func jsonValue(b []byte, build bool) (any, error) {
	if err := jsonSyntax(b); err != nil {
		return nil, err
	}
	r := jsonReader{b: b, build: build}
	v, _, err := r.value(jsonSkipWS(b, 0), 0)
	return v, err
}

// jsonElements checks the JSON list b and calls fn with the index and raw
// bytes of each element until fn returns false; each element is checked
// as a value of its own. It returns the number of elements seen.
func jsonElements(b []byte, fn func(int, []byte) bool) (int, error) {
	if err := jsonSyntax(b); err != nil {
		return 0, err
	}
	i := jsonSkipWS(b, 0)
	if b[i] != '[' {
		return 0, decodeErr(JSON, i, "not a list")
	}
	r := jsonReader{b: b}
	i = jsonSkipWS(b, i+1)
	if b[i] == ']' {
		return 0, nil
	}
	for n := 0; ; n++ {
		_, end, err := r.value(i, 0)
		if err != nil {
			return n, err
		}
		if !fn(n, b[i:end]) {
			return n + 1, nil
		}
		i = jsonSkipWS(b, end)
		if b[i] == ']' {
			return n + 1, nil
		}
		i = jsonSkipWS(b, i+1)
	}
}
