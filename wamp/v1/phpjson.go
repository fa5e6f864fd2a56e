package v1

import "unicode/utf8"

// PHP's json_encode with default flags escapes more than Go's encoding/json:
// '/' becomes `\/` and every non-ASCII character becomes `\uXXXX` (a UTF-16
// surrogate pair above U+FFFF), in lower-case hex. Clients written against
// Ratchet see those bytes in WELCOME, EVENT topics and CALLRESULT/CALLERROR
// ids and URIs, so every string wampgate itself encodes goes through
// AppendPHPString. Event payloads are not re-encoded (see DIFFERENCES.md).

const hexDigits = "0123456789abcdef"

// AppendPHPString appends s as a JSON string literal, quotes included,
// escaped byte for byte like PHP's json_encode with default flags. Invalid
// UTF-8 (which json_encode refuses outright) is written as \ufffd.
func AppendPHPString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending plain ASCII
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII(c) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendASCIIEscape(dst, c)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			r1, r2 := surrogates(r)
			dst = appendU(appendU(dst, r1), r2)
		} else {
			dst = appendU(dst, r) // also U+FFFD for invalid bytes
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// PHPStringLen is len(AppendPHPString(nil, s)), computed without
// allocating, so callers can size a frame exactly.
func PHPStringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case plainASCII(c):
				n++
			case c == '"' || c == '\\' || c == '/' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			n += 12
		} else {
			n += 6
		}
		i += size
	}
	return n
}

// plainASCII reports whether ASCII byte c is copied verbatim by json_encode.
func plainASCII(c byte) bool {
	return c >= 0x20 && c != '"' && c != '\\' && c != '/'
}

func appendASCIIEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\', '/':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return appendU(dst, rune(c))
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u',
		hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

func surrogates(r rune) (hi, lo rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}
