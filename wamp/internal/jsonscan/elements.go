package jsonscan

import (
	"errors"
	"strconv"
)

// ErrNotList is returned by Elements for valid JSON that PHP does not
// decode to a list: a scalar, or an object whose keys are not "0", "1", …
// in order.
var ErrNotList = errors.New("message is not a JSON list")

// Elements validates the whole message msg and appends the slices of its
// top-level elements to dst. The top level must be a list, or an object
// whose keys are exactly "0", "1", … in this order (PHP's json_decode turns
// that into the same list). The returned slices point into msg.
func Elements(msg []byte, dst [][]byte) ([][]byte, error) {
	i := skipWS(msg, 0)
	if i >= len(msg) {
		return dst, errAt(i, "empty message")
	}
	var (
		end int
		err error
	)
	switch msg[i] {
	case '[':
		dst, end, err = listElements(msg, i, dst)
	case '{':
		dst, end, err = numberedObjectElements(msg, i, dst)
	default:
		if end, err = value(msg, i, 0); err == nil {
			err = ErrNotList
		}
	}
	if err != nil {
		return dst, err
	}
	if j := skipWS(msg, end); j != len(msg) {
		return dst, errAt(j, "unexpected data after JSON value")
	}
	return dst, nil
}

func listElements(b []byte, i int, dst [][]byte) ([][]byte, int, error) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return dst, i + 1, nil
	}
	for {
		end, err := value(b, i, 1)
		if err != nil {
			return dst, end, err
		}
		dst = append(dst, b[i:end])
		i = skipWS(b, end)
		if i >= len(b) {
			return dst, i, errAt(i, "unexpected end of JSON in list")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return dst, i + 1, nil
		default:
			return dst, i, errAt(i, "expected ',' or ']' in list")
		}
	}
}

// numberedObjectElements handles a top-level object. The whole object is
// validated first so that malformed JSON is reported as such, not as "not
// a list".
func numberedObjectElements(b []byte, i int, dst [][]byte) ([][]byte, int, error) {
	end, err := object(b, i, 1)
	if err != nil {
		return dst, end, err
	}
	var buf [24]byte
	n := 0
	err = eachMember(b[i:end], func(key, val []byte) bool {
		want := strconv.AppendInt(append(buf[:0], '"'), int64(n), 10)
		want = append(want, '"')
		if string(key) != string(want) && Unquote(key) != string(want[1:len(want)-1]) {
			return false
		}
		dst = append(dst, val)
		n++
		return true
	})
	if err != nil {
		return dst, end, err
	}
	return dst, end, nil
}

// eachMember calls fn with the key and value slices of every member of a
// validated object obj, stopping with ErrNotList when fn returns false.
func eachMember(obj []byte, fn func(key, val []byte) bool) error {
	i := skipWS(obj, 1)
	for i < len(obj) && obj[i] != '}' {
		key, val, end, err := memberSpans(obj, i, 1)
		if err != nil {
			return err
		}
		if !fn(key, val) {
			return ErrNotList
		}
		i = skipWS(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i = skipWS(obj, i+1)
		}
	}
	return nil
}

// Values appends the elements of the list, or the member values of the
// object, v to dst. v must be a list or object slice returned by this
// package (already validated); for any other kind dst is returned as is.
func Values(v []byte, dst [][]byte) [][]byte {
	switch KindOf(v) {
	case Array:
		dst, _, _ = listElements(v, 0, dst)
	case Object:
		_ = eachMember(v, func(_, val []byte) bool {
			dst = append(dst, val)
			return true
		})
	}
	return dst
}

// First returns the first element of the JSON list v (nil for an empty
// list), scanning only as far as that element: the rest of the list is
// trusted to have been validated by whoever built it. ok is false when v
// does not start a list or its first element is malformed.
func First(v []byte) (first []byte, ok bool) {
	i := skipWS(v, 0)
	if i >= len(v) || v[i] != '[' {
		return nil, false
	}
	i = skipWS(v, i+1)
	if i < len(v) && v[i] == ']' {
		return nil, true
	}
	end, err := value(v, i, 1)
	if err != nil {
		return nil, false
	}
	if j := skipWS(v, end); j >= len(v) || v[j] != ',' && v[j] != ']' {
		return nil, false
	}
	return v[i:end], true
}
