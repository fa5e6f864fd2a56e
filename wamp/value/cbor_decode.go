package value

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// CBOR is checked by a scanner of its own, like MessagePack (see
// msgpack_decode.go); the cbor library builds values from what it accepts.

// cborHead reads the head of the data item at b[i]: its major type, its
// additional information and argument, and the index past the head.
func cborHead(b []byte, i int) (major, info byte, arg uint64, j int, err error) {
	if i >= len(b) {
		return 0, 0, 0, i, decodeErr(CBOR, i, "unexpected end of data")
	}
	major, info = b[i]>>5, b[i]&0x1f
	j = i + 1
	switch {
	case info < 24:
		return major, info, uint64(info), j, nil
	case info <= 27:
		size := 1 << (info - 24)
		if len(b)-j < size {
			return major, info, 0, i, decodeErr(CBOR, i, "unexpected end of data")
		}
		switch size {
		case 1:
			arg = uint64(b[j])
		case 2:
			arg = uint64(binary.BigEndian.Uint16(b[j:]))
		case 4:
			arg = uint64(binary.BigEndian.Uint32(b[j:]))
		default:
			arg = binary.BigEndian.Uint64(b[j:])
		}
		return major, info, arg, j + size, nil
	case info == 31:
		if major == 7 {
			return major, info, 0, i, decodeErr(CBOR, i, "unexpected break")
		}
		return major, info, 0, i, decodeErr(CBOR, i, "indefinite-length items are not supported")
	}
	return major, info, 0, i, decodeErr(CBOR, i, "reserved additional information")
}

// cborKind tells the Kind of a data item from its head.
func cborKind(major, info byte, arg uint64) Kind {
	switch major {
	case 0:
		return Int
	case 1:
		if arg > math.MaxInt64 {
			return Float // below math.MinInt64
		}
		return Int
	case 2:
		return Bytes
	case 3:
		return String
	case 4:
		return List
	case 5:
		return Dict
	case 7:
		switch info {
		case 20, 21:
			return Bool
		case 22, 23:
			return Null
		case 25, 26, 27:
			return Float
		}
	}
	return Invalid
}

// cborValue checks the data item at b[i] inside depth containers and
// returns the index past it.
func cborValue(b []byte, i, depth int) (int, error) {
	major, info, arg, j, err := cborHead(b, i)
	if err != nil {
		return j, err
	}
	switch major {
	case 0, 1:
		return j, nil
	case 2, 3:
		if arg > uint64(len(b)-j) {
			return i, decodeErr(CBOR, i, "length exceeds the data")
		}
		end := j + int(arg)
		if major == 3 && !utf8.Valid(b[j:end]) {
			return i, decodeErr(CBOR, i, "invalid UTF-8 in string")
		}
		return end, nil
	case 4, 5:
		if depth+1 > MaxDepth {
			return i, decodeErr(CBOR, i, fmt.Sprintf("nesting deeper than %d", MaxDepth))
		}
		per := uint64(1)
		if major == 5 {
			per = 2
		}
		if arg > uint64(len(b)-j)/per {
			return i, decodeErr(CBOR, i, "length exceeds the data")
		}
		for n := arg; n > 0; n-- {
			if major == 5 {
				if j >= len(b) || b[j]>>5 != 3 {
					return j, decodeErr(CBOR, j, "dict key is not a text string")
				}
				if j, err = cborValue(b, j, depth+1); err != nil {
					return j, err
				}
			}
			if j, err = cborValue(b, j, depth+1); err != nil {
				return j, err
			}
		}
		return j, nil
	case 6:
		return i, decodeErr(CBOR, i, "tags are not supported")
	}
	// major 7
	if cborKind(major, info, arg) == Invalid {
		return i, decodeErr(CBOR, i, fmt.Sprintf("simple value %d is not supported", arg))
	}
	return j, nil
}

// cborElements checks the CBOR array b and calls fn with the index and
// raw bytes of each element until fn returns false; each element is
// checked as a value of its own. It returns the number of elements seen.
func cborElements(b []byte, fn func(int, []byte) bool) (int, error) {
	major, _, arg, j, err := cborHead(b, 0)
	if err != nil {
		return 0, err
	}
	if major != 4 {
		return 0, decodeErr(CBOR, 0, "not a list")
	}
	if arg > uint64(len(b)-j) {
		return 0, decodeErr(CBOR, 0, "length exceeds the data")
	}
	n := int(arg)
	for idx := 0; idx < n; idx++ {
		end, err := cborValue(b, j, 0)
		if err != nil {
			return idx, err
		}
		if !fn(idx, b[j:end]) {
			return idx + 1, nil
		}
		j = end
	}
	if j != len(b) {
		return n, decodeErr(CBOR, j, "unexpected data after the value")
	}
	return n, nil
}

// cborDecMode builds values from data items cborValue accepted. Its
// limits are no tighter than the scanner's, so it never rejects what the
// scanner accepts; the scanner is what enforces them.
var cborDecMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  MaxDepth,
		MaxArrayElements: math.MaxInt32,
		MaxMapPairs:      math.MaxInt32,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		IntDec:           cbor.IntDecConvertNone,
		DefaultMapType:   reflect.TypeFor[map[string]any](),
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic("value: CBOR decoding options: " + err.Error())
	}
	return dm
}()

// cborBuild decodes the CBOR value b, which cborValue accepted, with the
// cbor library and normalizes the result to neutral values.
func cborBuild(b []byte) (any, error) {
	var v any
	if err := cborDecMode.Unmarshal(b, &v); err != nil {
		return nil, decodeErr(CBOR, 0, err.Error())
	}
	return normalize(v), nil
}
