package jsonscan

import (
	"bytes"
	"unicode/utf8"
)

// Unquote decodes a validated JSON string slice (quotes included) into its
// Go string. A string without escapes costs one allocation, the string
// itself.
func Unquote(s []byte) string {
	if len(s) < 2 {
		return ""
	}
	body := s[1 : len(s)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body)
	}
	return string(appendUnquoted(make([]byte, 0, len(body)), s))
}

// appendUnquoted appends the decoded content of the validated JSON string
// slice s to dst.
func appendUnquoted(dst, s []byte) []byte {
	if len(s) < 2 {
		return dst
	}
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' {
			j := i + 1
			for j < len(body) && body[j] != '\\' {
				j++
			}
			dst = append(dst, body[i:j]...)
			i = j
			continue
		}
		switch body[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(body, i+2)
			if r >= 0xD800 && r <= 0xDBFF {
				lo, _ := hex4(body, i+8)
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default: // '"', '\\', '/'
			dst = append(dst, body[i+1])
		}
		i += 2
	}
	return dst
}

// AppendCompact appends the validated JSON value v to dst with every
// whitespace byte outside strings removed. Nothing else changes: numbers,
// escapes and key order stay exactly as sent.
func AppendCompact(dst, v []byte) []byte {
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			i = stringEnd(v, i) - 1
		case ' ', '\t', '\n', '\r':
			dst = append(dst, v[start:i]...)
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}

// stringEnd returns the index just past the validated string starting at
// the quote v[i].
func stringEnd(v []byte, i int) int {
	for i++; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(v)
}

// Compact returns the validated JSON value v without whitespace outside
// strings: v itself when it has none, else a compacted copy.
func Compact(v []byte) []byte {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			i = stringEnd(v, i) - 1
		case ' ', '\t', '\n', '\r':
			return AppendCompact(make([]byte, 0, len(v)), v)
		}
	}
	return v
}
