package value

import (
	"encoding/binary"
	"math"
)

// CBOR encoding is written here rather than through the library's encoder
// for the same reasons as MessagePack's: no allocations, fixed choices
// (shortest heads, definite lengths, float64, sorted keys).

// cborAppendHead appends the head of a data item of major type major with
// argument arg in its shortest form.
func cborAppendHead(dst []byte, major byte, arg uint64) []byte {
	m := major << 5
	switch {
	case arg < 24:
		return append(dst, m|byte(arg))
	case arg <= math.MaxUint8:
		return append(dst, m|24, byte(arg))
	case arg <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(arg))
	case arg <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(arg))
	}
	return binary.BigEndian.AppendUint64(append(dst, m|27), arg)
}

func cborAppendInt(dst []byte, v int64) []byte {
	if v >= 0 {
		return cborAppendHead(dst, 0, uint64(v))
	}
	return cborAppendHead(dst, 1, uint64(-1-v))
}

func cborAppendFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, 0xfb), math.Float64bits(f))
}

func cborAppendText(dst []byte, s string) []byte {
	return append(cborAppendHead(dst, 3, uint64(len(s))), s...)
}

func cborAppendBinary(dst, b []byte) []byte {
	return append(cborAppendHead(dst, 2, uint64(len(b))), b...)
}
