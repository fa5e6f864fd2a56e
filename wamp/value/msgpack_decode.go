package value

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
)

// MessagePack is checked by a scanner of its own, which knows MaxDepth,
// the UTF-8 rule for str and the string-key rule for maps and never
// allocates; the msgpack library then builds values from bytes the scanner
// accepted (see Decode).

// mpHead reads the MessagePack header at b[i]. For str, bin, array and map
// n is the length or count and j the index of the first payload byte; for
// every other kind j is the index past the whole value.
func mpHead(b []byte, i int) (k Kind, n int, j int, err error) {
	if i >= len(b) {
		return Invalid, 0, i, decodeErr(MsgPack, i, "unexpected end of data")
	}
	c := b[i]
	switch {
	case c <= 0x7f || c >= 0xe0:
		return Int, 0, i + 1, nil
	case c <= 0x8f:
		return Dict, int(c & 0x0f), i + 1, nil
	case c <= 0x9f:
		return List, int(c & 0x0f), i + 1, nil
	case c <= 0xbf:
		n = int(c & 0x1f)
		if n > len(b)-i-1 {
			return String, 0, i, decodeErr(MsgPack, i, "length exceeds the data")
		}
		return String, n, i + 1, nil
	}
	switch c {
	case 0xc0:
		return Null, 0, i + 1, nil
	case 0xc2, 0xc3:
		return Bool, 0, i + 1, nil
	case 0xc4, 0xc5, 0xc6:
		n, j, err = mpLength(b, i+1, 1<<(c-0xc4))
		return Bytes, n, j, err
	case 0xca, 0xcb:
		j, err = mpFixed(b, i+1, 4<<(c-0xca))
		return Float, 0, j, err
	case 0xcc, 0xcd, 0xce, 0xcf:
		j, err = mpFixed(b, i+1, 1<<(c-0xcc))
		return Int, 0, j, err
	case 0xd0, 0xd1, 0xd2, 0xd3:
		j, err = mpFixed(b, i+1, 1<<(c-0xd0))
		return Int, 0, j, err
	case 0xd9, 0xda, 0xdb:
		n, j, err = mpLength(b, i+1, 1<<(c-0xd9))
		return String, n, j, err
	case 0xdc, 0xdd:
		n, j, err = mpLength(b, i+1, 2<<(c-0xdc))
		return List, n, j, err
	case 0xde, 0xdf:
		n, j, err = mpLength(b, i+1, 2<<(c-0xde))
		return Dict, n, j, err
	case 0xc1:
		return Invalid, 0, i, decodeErr(MsgPack, i, "reserved type code 0xc1")
	}
	return Invalid, 0, i, decodeErr(MsgPack, i, fmt.Sprintf("extension type 0x%02x is not supported", c))
}

// mpFixed checks that size bytes follow at b[i] and returns the index past them.
func mpFixed(b []byte, i, size int) (int, error) {
	if len(b)-i < size {
		return i, decodeErr(MsgPack, i, "unexpected end of data")
	}
	return i + size, nil
}

// mpLength reads a big-endian length of size bytes at b[i].
func mpLength(b []byte, i, size int) (int, int, error) {
	j, err := mpFixed(b, i, size)
	if err != nil {
		return 0, i, err
	}
	var n uint32
	switch size {
	case 1:
		n = uint32(b[i])
	case 2:
		n = uint32(binary.BigEndian.Uint16(b[i:]))
	default:
		n = binary.BigEndian.Uint32(b[i:])
	}
	if uint64(n) > uint64(len(b)-j) {
		// Every byte of a string and every element takes a byte at least.
		return 0, i, decodeErr(MsgPack, i, "length exceeds the data")
	}
	return int(n), j, nil
}

// mpValue checks the value at b[i] inside depth containers and returns
// the index past it.
func mpValue(b []byte, i, depth int) (int, error) {
	k, n, j, err := mpHead(b, i)
	if err != nil {
		return j, err
	}
	switch k {
	case String:
		if !utf8.Valid(b[j : j+n]) {
			return i, decodeErr(MsgPack, i, "invalid UTF-8 in string")
		}
		return j + n, nil
	case Bytes:
		return j + n, nil
	case List:
		if depth+1 > MaxDepth {
			return i, decodeErr(MsgPack, i, fmt.Sprintf("nesting deeper than %d", MaxDepth))
		}
		for ; n > 0; n-- {
			if j, err = mpValue(b, j, depth+1); err != nil {
				return j, err
			}
		}
		return j, nil
	case Dict:
		if depth+1 > MaxDepth {
			return i, decodeErr(MsgPack, i, fmt.Sprintf("nesting deeper than %d", MaxDepth))
		}
		if n > (len(b)-j)/2 {
			return i, decodeErr(MsgPack, i, "length exceeds the data")
		}
		for ; n > 0; n-- {
			if kk, _, _, err := mpHead(b, j); err != nil || kk != String {
				return j, decodeErr(MsgPack, j, "dict key is not a string")
			}
			if j, err = mpValue(b, j, depth+1); err != nil {
				return j, err
			}
			if j, err = mpValue(b, j, depth+1); err != nil {
				return j, err
			}
		}
		return j, nil
	}
	return j, nil
}

// mpElements checks the MessagePack list b and calls fn with the index
// and raw bytes of each element until fn returns false; each element is
// checked as a value of its own. It returns the number of elements seen.
func mpElements(b []byte, fn func(int, []byte) bool) (int, error) {
	k, n, j, err := mpHead(b, 0)
	if err != nil {
		return 0, err
	}
	if k != List {
		return 0, decodeErr(MsgPack, 0, "not a list")
	}
	for idx := 0; idx < n; idx++ {
		end, err := mpValue(b, j, 0)
		if err != nil {
			return idx, err
		}
		if !fn(idx, b[j:end]) {
			return idx + 1, nil
		}
		j = end
	}
	if j != len(b) {
		return n, decodeErr(MsgPack, j, "unexpected data after the value")
	}
	return n, nil
}

// mpBuild decodes the MessagePack value b, which mpValue accepted, with the
// msgpack library and normalizes the result to neutral values.
func mpBuild(b []byte) (any, error) {
	d := msgpack.GetDecoder()
	defer msgpack.PutDecoder(d)
	d.Reset(bytes.NewReader(b))
	v, err := d.DecodeInterface()
	if err != nil {
		return nil, decodeErr(MsgPack, 0, err.Error())
	}
	return normalize(v), nil
}
