package value

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		raw  []byte
		want any
	}{
		{JSON, []byte(`null`), nil},
		{JSON, []byte(` true `), true},
		{JSON, []byte(`false`), false},
		{JSON, []byte(`0`), int64(0)},
		{JSON, []byte(`-1`), int64(-1)},
		{JSON, []byte(`9223372036854775807`), int64(math.MaxInt64)},
		{JSON, []byte(`-9223372036854775808`), int64(math.MinInt64)},
		{JSON, []byte(`9223372036854775808`), uint64(1 << 63)},
		{JSON, []byte(`18446744073709551615`), uint64(math.MaxUint64)},
		{JSON, []byte(`18446744073709551616`), 18446744073709551616.0},
		{JSON, []byte(`-9223372036854775809`), -9223372036854775809.0},
		{JSON, []byte(`1.5`), 1.5},
		{JSON, []byte(`1.0`), 1.0},
		{JSON, []byte(`1e2`), 100.0},
		{JSON, []byte(`-2.5E-3`), -2.5e-3},
		{JSON, []byte(`1e-400`), 0.0},
		{JSON, []byte(`"abc"`), "abc"},
		{JSON, []byte(`"\u00e9\ud83d\ude00 a\/b \"\\"`), "é😀 a/b \"\\"},
		{JSON, []byte(`"\u0000AQID"`), []byte{1, 2, 3}},
		{JSON, []byte(`"\u0000"`), []byte{}},
		{JSON, []byte(`"\u0000+\/8="`), []byte{0xfb, 0xff}}, // '/' escaped, as PHP does
		{JSON, []byte(`"\u0001AQID"`), "\x01AQID"},
		{JSON, []byte(" [1, \"a\" ,\n{\"k\" : [true, null]}] "), []any{int64(1), "a", map[string]any{"k": []any{true, nil}}}},
		{JSON, []byte(`{}`), map[string]any{}},
		{JSON, []byte(`[]`), []any{}},
		{JSON, []byte(`{"a":1,"a":2}`), map[string]any{"a": int64(2)}},
		{JSON, []byte(`{"\u0000k":1}`), map[string]any{"\x00k": int64(1)}}, // keys stay text

		{MsgPack, hx("c0"), nil},
		{MsgPack, hx("c2"), false},
		{MsgPack, hx("c3"), true},
		{MsgPack, hx("00"), int64(0)},
		{MsgPack, hx("7f"), int64(127)},
		{MsgPack, hx("e0"), int64(-32)},
		{MsgPack, hx("ff"), int64(-1)},
		{MsgPack, hx("cc ff"), int64(255)},
		{MsgPack, hx("cd 01 00"), int64(256)},
		{MsgPack, hx("ce 00 01 00 00"), int64(65536)},
		{MsgPack, hx("cf 7f ff ff ff ff ff ff ff"), int64(math.MaxInt64)},
		{MsgPack, hx("cf 80 00 00 00 00 00 00 00"), uint64(1 << 63)},
		{MsgPack, hx("cf ff ff ff ff ff ff ff ff"), uint64(math.MaxUint64)},
		{MsgPack, hx("d0 80"), int64(-128)},
		{MsgPack, hx("d1 80 00"), int64(-32768)},
		{MsgPack, hx("d2 80 00 00 00"), int64(math.MinInt32)},
		{MsgPack, hx("d3 80 00 00 00 00 00 00 00"), int64(math.MinInt64)},
		{MsgPack, hx("d3 00 00 00 00 00 00 00 05"), int64(5)},
		{MsgPack, hx("ca 3f c0 00 00"), 1.5},
		{MsgPack, hx("cb 3f f8 00 00 00 00 00 00"), 1.5},
		{MsgPack, hx("cb 7f f8 00 00 00 00 00 01"), math.NaN()},
		{MsgPack, hx("a3 61 62 63"), "abc"},
		{MsgPack, hx("d9 03 61 62 63"), "abc"},
		{MsgPack, hx("da 00 03 61 62 63"), "abc"},
		{MsgPack, hx("a2 00 61"), "\x00a"},
		{MsgPack, hx("c4 03 01 02 03"), []byte{1, 2, 3}},
		{MsgPack, hx("c5 00 00"), []byte{}},
		{MsgPack, hx("92 01 a1 61"), []any{int64(1), "a"}},
		{MsgPack, hx("dc 00 01 01"), []any{int64(1)}},
		{MsgPack, hx("90"), []any{}},
		{MsgPack, hx("81 a1 6b c0"), map[string]any{"k": nil}},
		{MsgPack, hx("de 00 01 a1 6b 01"), map[string]any{"k": int64(1)}},
		{MsgPack, hx("80"), map[string]any{}},

		{CBOR, hx("f6"), nil},
		{CBOR, hx("f7"), nil}, // undefined
		{CBOR, hx("f4"), false},
		{CBOR, hx("f5"), true},
		{CBOR, hx("00"), int64(0)},
		{CBOR, hx("17"), int64(23)},
		{CBOR, hx("18 18"), int64(24)},
		{CBOR, hx("19 01 00"), int64(256)},
		{CBOR, hx("1b 80 00 00 00 00 00 00 00"), uint64(1 << 63)},
		{CBOR, hx("1b ff ff ff ff ff ff ff ff"), uint64(math.MaxUint64)},
		{CBOR, hx("20"), int64(-1)},
		{CBOR, hx("38 ff"), int64(-256)},
		{CBOR, hx("3b 7f ff ff ff ff ff ff ff"), int64(math.MinInt64)},
		{CBOR, hx("3b ff ff ff ff ff ff ff ff"), -18446744073709551616.0},
		{CBOR, hx("f9 3e 00"), 1.5},
		{CBOR, hx("fa 3f c0 00 00"), 1.5},
		{CBOR, hx("fb 3f f8 00 00 00 00 00 00"), 1.5},
		{CBOR, hx("63 61 62 63"), "abc"},
		{CBOR, hx("78 03 61 62 63"), "abc"},
		{CBOR, hx("43 01 02 03"), []byte{1, 2, 3}},
		{CBOR, hx("40"), []byte{}},
		{CBOR, hx("82 01 61 61"), []any{int64(1), "a"}},
		{CBOR, hx("80"), []any{}},
		{CBOR, hx("a1 61 6b f6"), map[string]any{"k": nil}},
		{CBOR, hx("a0"), map[string]any{}},
	} {
		got, err := Decode(tc.f, tc.raw)
		if err != nil {
			t.Errorf("Decode(%s, %q): %v", tc.f, tc.raw, err)
			continue
		}
		if !Equal(got, tc.want) {
			t.Errorf("Decode(%s, %q) = %#v, want %#v", tc.f, tc.raw, got, tc.want)
		}
		if err := Validate(tc.f, tc.raw); err != nil {
			t.Errorf("Validate(%s, %q) = %v, Decode accepted it", tc.f, tc.raw, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		raw  []byte
		want string // in the error message
	}{
		{JSON, []byte(``), "unexpected end"},
		{JSON, []byte(`  `), "unexpected end"},
		{JSON, []byte(`[1,]`), "at offset 3"},
		{JSON, []byte(`[1] 2`), "unexpected data after"},
		{JSON, []byte("\"\xff\""), "invalid UTF-8"},
		{JSON, []byte(`"\ud800"`), "surrogate"},
		{JSON, []byte(`"\u0000!!"`), "invalid base64"},
		{JSON, []byte(`"\u0000AQI"`), "invalid base64"},
		{JSON, []byte(`[1e400]`), "number out of range at offset 1"},
		{JSON, []byte(`-1e999`), "number out of range"},
		{JSON, []byte(`{"a":`), "unexpected end"},
		{JSON, []byte(`NaN`), "unexpected character 'N' at offset 0"},
		{JSON, []byte(`{1:2}`), "expected string key"},
		{JSON, nested(JSON, MaxDepth+1), "nesting deeper than 64 at offset 64"},
		{JSON, nested(JSON, 600), "nesting deeper than 64"},

		{MsgPack, nil, "unexpected end of data"},
		{MsgPack, hx("c1"), "reserved type code"},
		{MsgPack, hx("d4 00 00"), "extension type 0xd4"},
		{MsgPack, hx("c7 01 00 00"), "extension type 0xc7"},
		{MsgPack, hx("d6 ff 00 00 00 00"), "extension type 0xd6"}, // timestamp
		{MsgPack, hx("81 01 01"), "dict key is not a string at offset 1"},
		{MsgPack, hx("81 c4 01 61 01"), "dict key is not a string"},
		{MsgPack, hx("a1 ff"), "invalid UTF-8"},
		{MsgPack, hx("81 a1 ff 01"), "invalid UTF-8"},
		{MsgPack, hx("dd ff ff ff ff"), "length exceeds the data"},
		{MsgPack, hx("df ff ff ff ff 00"), "length exceeds the data"},
		{MsgPack, hx("db ff ff ff ff 00"), "length exceeds the data"},
		{MsgPack, hx("c6 00 00 00 05 00"), "length exceeds the data"},
		{MsgPack, hx("91"), "unexpected end of data at offset 1"},
		{MsgPack, hx("a5 61"), "length exceeds the data at offset 0"},
		{MsgPack, hx("91 91 a2"), "length exceeds the data at offset 2"},
		{MsgPack, hx("cb 00"), "unexpected end of data"},
		{MsgPack, hx("01 01"), "unexpected data after the value at offset 1"},
		{MsgPack, nested(MsgPack, MaxDepth+1), "nesting deeper than 64 at offset 64"},

		{CBOR, nil, "unexpected end of data"},
		{CBOR, hx("c0 60"), "tags are not supported"},
		{CBOR, hx("d9 d9 f7 f6"), "tags are not supported"},
		{CBOR, hx("c2 41 01"), "tags are not supported"}, // bignum
		{CBOR, hx("9f 01 ff"), "indefinite-length"},
		{CBOR, hx("5f 41 01 ff"), "indefinite-length"},
		{CBOR, hx("bf ff"), "indefinite-length"},
		{CBOR, hx("ff"), "unexpected break"},
		{CBOR, hx("1c"), "reserved additional information"},
		{CBOR, hx("a1 01 01"), "dict key is not a text string at offset 1"},
		{CBOR, hx("a1 41 61 01"), "dict key is not a text string"},
		{CBOR, hx("61 ff"), "invalid UTF-8"},
		{CBOR, hx("e0"), "simple value 0 is not supported"},
		{CBOR, hx("f8 20"), "simple value 32 is not supported"},
		{CBOR, hx("9b ff ff ff ff ff ff ff ff"), "length exceeds the data"},
		{CBOR, hx("bb 00 00 00 00 00 00 00 01 61"), "length exceeds the data"},
		{CBOR, hx("7b ff ff ff ff ff ff ff ff 61"), "length exceeds the data"},
		{CBOR, hx("81"), "length exceeds the data at offset 0"},
		{CBOR, hx("82 19 01"), "unexpected end of data at offset 1"},
		{CBOR, hx("19 01"), "unexpected end of data"},
		{CBOR, hx("01 01"), "unexpected data after the value at offset 1"},
		{CBOR, nested(CBOR, MaxDepth+1), "nesting deeper than 64 at offset 64"},
	} {
		_, err := Decode(tc.f, tc.raw)
		var de *DecodeError
		if !errors.As(err, &de) || de.Format != tc.f || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s, %x) error = %v, want a %s *DecodeError containing %q", tc.f, tc.raw, err, tc.f, tc.want)
		}
		if verr := Validate(tc.f, tc.raw); verr == nil || verr.Error() != err.Error() {
			t.Errorf("Validate(%s, %x) = %v, Decode said %v", tc.f, tc.raw, verr, err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	for _, f := range formats {
		ok := nested(f, MaxDepth)
		v, err := Decode(f, ok)
		if err != nil {
			t.Fatalf("%s: %d levels: %v", f, MaxDepth, err)
		}
		if !Equal(v, nestedValue(MaxDepth)) {
			t.Fatalf("%s: %d levels decoded to %v", f, MaxDepth, v)
		}
		if _, err := Append(f, nil, nestedValue(MaxDepth)); err != nil {
			t.Errorf("%s: Append of %d levels: %v", f, MaxDepth, err)
		}
		if _, err := Append(f, nil, nestedValue(MaxDepth+1)); err == nil || !strings.Contains(err.Error(), "nesting deeper than 64") {
			t.Errorf("%s: Append of %d levels: %v, want a nesting error", f, MaxDepth+1, err)
		}
		deepDict := map[string]any{"k": nestedValue(MaxDepth)}
		if _, err := Append(f, nil, deepDict); err == nil {
			t.Errorf("%s: Append of a dict holding %d levels succeeded", f, MaxDepth)
		}
		// A self-referencing list stops at the limit instead of
		// exhausting the stack.
		loop := []any{nil}
		loop[0] = loop
		if _, err := Append(f, nil, loop); err == nil {
			t.Errorf("%s: Append of a cyclic list succeeded", f)
		}
	}
}

// TestUnknownFormat: the zero Format and others are errors, not panics.
func TestUnknownFormat(t *testing.T) {
	for _, f := range []Format{0, 4, 255} {
		if _, err := Decode(f, []byte("1")); err == nil {
			t.Errorf("Decode(%s) succeeded", f)
		}
		if err := Validate(f, []byte("1")); err == nil {
			t.Errorf("Validate(%s) succeeded", f)
		}
		if _, err := Append(f, nil, 1); err == nil {
			t.Errorf("Append(%s) succeeded", f)
		}
		if _, ok := ListLen(f, []byte("[]")); ok {
			t.Errorf("ListLen(%s) succeeded", f)
		}
	}
	if got := Format(9).String(); got != "format(9)" {
		t.Errorf("Format(9).String() = %q", got)
	}
}
