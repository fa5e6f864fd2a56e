package value

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Append appends the encoding of the neutral value v in format f to dst
// (see the package documentation for the accepted types). On error dst is
// returned as it was.
func Append(f Format, dst []byte, v any) ([]byte, error) {
	if !f.valid() {
		return dst, encodeErr(f, "unknown format")
	}
	out, err := appendValue(f, dst, v, 0)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// appendValue appends v, found inside depth lists and dicts.
func appendValue(f Format, dst []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return appendNull(f, dst), nil
	case bool:
		return appendBool(f, dst, v), nil
	case int64:
		return appendInt(f, dst, v), nil
	case int:
		return appendInt(f, dst, int64(v)), nil
	case int8:
		return appendInt(f, dst, int64(v)), nil
	case int16:
		return appendInt(f, dst, int64(v)), nil
	case int32:
		return appendInt(f, dst, int64(v)), nil
	case uint64:
		return AppendUint(f, dst, v), nil
	case uint:
		return AppendUint(f, dst, uint64(v)), nil
	case uint16:
		return AppendUint(f, dst, uint64(v)), nil
	case uint32:
		return AppendUint(f, dst, uint64(v)), nil
	case float64:
		return appendFloat(f, dst, v)
	case float32:
		return appendFloat(f, dst, float64(v))
	case string:
		return AppendText(f, dst, v)
	case []byte:
		return appendBinary(f, dst, v), nil
	case []any:
		if depth+1 > MaxDepth {
			return dst, encodeErr(f, fmt.Sprintf("nesting deeper than %d", MaxDepth))
		}
		var err error
		dst = AppendListStart(f, dst, len(v))
		for i, e := range v {
			dst = AppendListNext(f, dst, i)
			if dst, err = appendValue(f, dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return AppendListEnd(f, dst), nil
	case []string:
		var err error
		dst = AppendListStart(f, dst, len(v))
		for i, e := range v {
			dst = AppendListNext(f, dst, i)
			if dst, err = AppendText(f, dst, e); err != nil {
				return dst, err
			}
		}
		return AppendListEnd(f, dst), nil
	case []int64:
		dst = AppendListStart(f, dst, len(v))
		for i, e := range v {
			dst = appendInt(f, AppendListNext(f, dst, i), e)
		}
		return AppendListEnd(f, dst), nil
	case []uint64:
		dst = AppendListStart(f, dst, len(v))
		for i, e := range v {
			dst = AppendUint(f, AppendListNext(f, dst, i), e)
		}
		return AppendListEnd(f, dst), nil
	case map[string]any:
		return appendDict(f, dst, v, depth)
	case map[string]string:
		return appendStringDict(f, dst, v)
	}
	return dst, encodeErr(f, fmt.Sprintf("unsupported type %T", v))
}

// keysOnStack is how many dict keys are sorted without allocating.
const keysOnStack = 16

// sortedKeys appends the keys of m to keys, sorted.
func sortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendDict(f Format, dst []byte, m map[string]any, depth int) ([]byte, error) {
	if depth+1 > MaxDepth {
		return dst, encodeErr(f, fmt.Sprintf("nesting deeper than %d", MaxDepth))
	}
	var buf [keysOnStack]string
	keys := sortedKeys(buf[:0], m)
	dst = appendDictStart(f, dst, len(keys))
	var err error
	for i, k := range keys {
		if dst, err = appendDictKey(f, dst, i, k); err != nil {
			return dst, err
		}
		if dst, err = appendValue(f, dst, m[k], depth+1); err != nil {
			return dst, err
		}
	}
	return appendDictEnd(f, dst), nil
}

func appendStringDict(f Format, dst []byte, m map[string]string) ([]byte, error) {
	var buf [keysOnStack]string
	keys := sortedKeys(buf[:0], m)
	dst = appendDictStart(f, dst, len(keys))
	var err error
	for i, k := range keys {
		if dst, err = appendDictKey(f, dst, i, k); err != nil {
			return dst, err
		}
		if dst, err = AppendText(f, dst, m[k]); err != nil {
			return dst, err
		}
	}
	return appendDictEnd(f, dst), nil
}

// AppendUint appends the integer u in format f.
func AppendUint(f Format, dst []byte, u uint64) []byte {
	switch f {
	case JSON:
		return strconv.AppendUint(dst, u, 10)
	case MsgPack:
		return mpAppendUint(dst, u)
	}
	return cborAppendHead(dst, 0, u)
}

func appendInt(f Format, dst []byte, v int64) []byte {
	switch f {
	case JSON:
		return strconv.AppendInt(dst, v, 10)
	case MsgPack:
		return mpAppendInt(dst, v)
	}
	return cborAppendInt(dst, v)
}

func appendFloat(f Format, dst []byte, v float64) ([]byte, error) {
	switch f {
	case JSON:
		return jsonAppendFloat(dst, v)
	case MsgPack:
		return mpAppendFloat(dst, v), nil
	}
	return cborAppendFloat(dst, v), nil
}

func appendNull(f Format, dst []byte) []byte {
	switch f {
	case JSON:
		return append(dst, "null"...)
	case MsgPack:
		return append(dst, 0xc0)
	}
	return append(dst, 0xf6)
}

func appendBool(f Format, dst []byte, b bool) []byte {
	switch f {
	case JSON:
		if b {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case MsgPack:
		if b {
			return append(dst, 0xc3)
		}
		return append(dst, 0xc2)
	}
	if b {
		return append(dst, 0xf5)
	}
	return append(dst, 0xf4)
}

// AppendText appends the text string s in format f. s must be valid UTF-8
// and, for JSON, must not start with U+0000 (it would read back as
// binary).
func AppendText(f Format, dst []byte, s string) ([]byte, error) {
	switch f {
	case JSON:
		return jsonText(dst, s)
	case MsgPack:
		if !utf8.ValidString(s) {
			return dst, encodeErr(f, "invalid UTF-8 in string")
		}
		return mpAppendText(dst, s), nil
	}
	if !utf8.ValidString(s) {
		return dst, encodeErr(f, "invalid UTF-8 in string")
	}
	return cborAppendText(dst, s), nil
}

func appendBinary(f Format, dst, b []byte) []byte {
	switch f {
	case JSON:
		return jsonAppendBinary(dst, b)
	case MsgPack:
		return mpAppendBinary(dst, b)
	}
	return cborAppendBinary(dst, b)
}

// AppendListStart appends the start of a list of n elements in format f.
// A list is written as AppendListStart, then AppendListNext and the
// element's encoding for each element i, then AppendListEnd; this is how
// WAMP messages are written around raw arguments.
func AppendListStart(f Format, dst []byte, n int) []byte {
	switch f {
	case JSON:
		return append(dst, '[')
	case MsgPack:
		return mpAppendListHead(dst, n)
	}
	return cborAppendHead(dst, 4, uint64(n))
}

// AppendListNext appends what comes before the element at index i of a
// list: a comma for JSON after the first element, nothing otherwise.
func AppendListNext(f Format, dst []byte, i int) []byte {
	if f == JSON && i > 0 {
		return append(dst, ',')
	}
	return dst
}

// AppendListEnd appends the end of a list: ']' for JSON, nothing for the
// binary formats, which count elements.
func AppendListEnd(f Format, dst []byte) []byte {
	if f == JSON {
		return append(dst, ']')
	}
	return dst
}

func appendDictStart(f Format, dst []byte, n int) []byte {
	switch f {
	case JSON:
		return append(dst, '{')
	case MsgPack:
		return mpAppendDictHead(dst, n)
	}
	return cborAppendHead(dst, 5, uint64(n))
}

// appendDictKey appends the key k of the i-th member of a dict.
func appendDictKey(f Format, dst []byte, i int, k string) ([]byte, error) {
	if !utf8.ValidString(k) {
		return dst, encodeErr(f, "invalid UTF-8 in dict key")
	}
	switch f {
	case JSON:
		if i > 0 {
			dst = append(dst, ',')
		}
		return append(jsonAppendText(dst, k), ':'), nil
	case MsgPack:
		return mpAppendText(dst, k), nil
	}
	return cborAppendText(dst, k), nil
}

func appendDictEnd(f Format, dst []byte) []byte {
	if f == JSON {
		return append(dst, '}')
	}
	return dst
}
