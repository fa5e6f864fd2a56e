package value

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"
)

// jsonAppendText appends s as a JSON string: compact, no HTML escaping,
// only '"', '\\' and control characters escaped. s must be valid UTF-8.
func jsonAppendText(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// jsonText checks that s can be a JSON text string and appends it.
func jsonText(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return dst, encodeErr(JSON, "invalid UTF-8 in string")
	}
	if len(s) > 0 && s[0] == 0 {
		return dst, encodeErr(JSON, "a string starting with U+0000 would read back as binary")
	}
	return jsonAppendText(dst, s), nil
}

// jsonAppendBinary appends b by the binary convention: "\u0000" + base64.
func jsonAppendBinary(dst, b []byte) []byte {
	dst = append(dst, binaryPrefix...)
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// jsonAppendFloat appends f in the shortest form that parses back to f,
// with a fraction or an exponent so that it reads back as a float.
func jsonAppendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, encodeErr(JSON, "NaN and infinities have no JSON form")
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'f' {
		for _, c := range dst[start:] {
			if c == '.' {
				return dst, nil
			}
		}
		dst = append(dst, '.', '0')
	}
	return dst, nil
}
