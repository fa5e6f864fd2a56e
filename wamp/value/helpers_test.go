package value

import (
	"encoding/hex"
	"strings"
	"testing"
)

// hx decodes hex with optional spaces: hx("92 01 a1 61").
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

var formats = []Format{JSON, MsgPack, CBOR}

// nested returns a list nested depth deep around 1 in format f.
func nested(f Format, depth int) []byte {
	var b []byte
	for range depth {
		switch f {
		case JSON:
			b = append(b, '[')
		case MsgPack:
			b = append(b, 0x91)
		case CBOR:
			b = append(b, 0x81)
		}
	}
	b = append(b, 1)
	if f == JSON {
		b[len(b)-1] = '1'
		for range depth {
			b = append(b, ']')
		}
	}
	return b
}

// nestedValue is the neutral value of nested(f, depth).
func nestedValue(depth int) any {
	var v any = int64(1)
	for range depth {
		v = []any{v}
	}
	return v
}

// sample is a payload of every neutral type.
func sample() map[string]any {
	return map[string]any{
		"null":  nil,
		"bools": []any{true, false},
		"ints":  []any{int64(0), int64(-1), int64(127), int64(-33), int64(1 << 40), int64(-1 << 63), uint64(1 << 63)},
		"float": 101.25,
		"text":  "a/b \"q\" é ✓ 😀 <&>",
		"bin":   []byte{0, 1, 2, 0xfe, 0xff},
		"empty": map[string]any{},
		"list":  []any{},
		"deep":  map[string]any{"k": []any{map[string]any{"x": "y"}}},
	}
}

func mustAppend(t testing.TB, f Format, v any) []byte {
	t.Helper()
	b, err := Append(f, nil, v)
	if err != nil {
		t.Fatalf("Append(%s, %#v): %v", f, v, err)
	}
	return b
}
