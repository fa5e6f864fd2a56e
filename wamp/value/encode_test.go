package value

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/vmihailenco/msgpack/v5"
)

func TestAppendJSON(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, `null`},
		{true, `true`},
		{map[string]any{"b": 1, "a": []any{true, nil, "x"}, "": int64(-5)}, `{"":-5,"a":[true,null,"x"],"b":1}`},
		{"<>&'", `"<>&'"`},
		{"a\"b\\c\n\r\t\b\f\x01\x1f\x7f", `"a\"b\\c\n\r\t\b\f\u0001\u001f` + "\x7f\""},
		{"é ✓ 😀 \u2028", "\"é ✓ 😀 \u2028\""},
		{1.0, `1.0`},
		{-0.0, `0.0`},
		{math.Copysign(0, -1), `-0.0`},
		{0.1, `0.1`},
		{-2.5, `-2.5`},
		{1e20, `100000000000000000000.0`},
		{1e21, `1e+21`},
		{1e-6, `0.000001`},
		{1e-7, `1e-07`},
		{123456789.125, `123456789.125`},
		{float32(0.5), `0.5`},
		{int8(-8), `-8`},
		{int16(-16), `-16`},
		{int32(-32), `-32`},
		{int64(math.MinInt64), `-9223372036854775808`},
		{uint(7), `7`},
		{uint16(16), `16`},
		{uint32(32), `32`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{[]byte{0x10, 0xe3, 0xff, 0x90, 0x53, 0x07, 0x5c, 0x52, 0x6f, 0x5f, 0xc0, 0x6d, 0x4f, 0xe3, 0x7c, 0xdb}, `"\u0000EOP/kFMHXFJvX8BtT+N82w=="`}, // the spec's example
		{[]byte{}, `"\u0000"`},
		{[]string{"a", "b"}, `["a","b"]`},
		{[]int64{-1, 2}, `[-1,2]`},
		{[]uint64{1 << 63}, `[9223372036854775808]`},
		{map[string]string{"z": "1", "y": "2"}, `{"y":"2","z":"1"}`},
		{map[string]any(nil), `{}`},
		{[]any(nil), `[]`},
		{map[string]any{"\x00k": "v"}, `{"\u0000k":"v"}`},
	} {
		got, err := Append(JSON, []byte("prefix:"), tc.v)
		if err != nil {
			t.Errorf("Append(%#v): %v", tc.v, err)
			continue
		}
		if string(got) != "prefix:"+tc.want {
			t.Errorf("Append(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestAppendRejects(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		v    any
		want string
	}{
		{JSON, math.NaN(), "NaN and infinities"},
		{JSON, math.Inf(1), "NaN and infinities"},
		{JSON, []any{math.Inf(-1)}, "NaN and infinities"},
		{JSON, "\x00abc", "starting with U+0000"},
		{JSON, []string{"\x00"}, "starting with U+0000"},
		{JSON, "\xff", "invalid UTF-8"},
		{MsgPack, "\xff", "invalid UTF-8"},
		{CBOR, "a\xc0", "invalid UTF-8"},
		{JSON, map[string]any{"\xff": 1}, "invalid UTF-8 in dict key"},
		{MsgPack, map[string]string{"\xff": ""}, "invalid UTF-8 in dict key"},
		{CBOR, map[string]any{"\xff": 1}, "invalid UTF-8 in dict key"},
		{JSON, make(chan int), "unsupported type chan int"},
		{MsgPack, struct{}{}, "unsupported type struct {}"},
		{CBOR, map[int]any{}, "unsupported type map[int]interface {}"},
		{CBOR, []any{1, []int{1}}, "unsupported type []int"},
	} {
		dst := []byte("keep")
		got, err := Append(tc.f, dst, tc.v)
		var ee *EncodeError
		if !errors.As(err, &ee) || ee.Format != tc.f || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Append(%s, %#v) error = %v, want a %s *EncodeError containing %q", tc.f, tc.v, err, tc.f, tc.want)
		}
		if string(got) != "keep" {
			t.Errorf("Append(%s, %#v) returned %q on error, want dst unchanged", tc.f, tc.v, got)
		}
	}
	// NaN and infinities are fine where the format has them.
	for _, f := range []Format{MsgPack, CBOR} {
		b := mustAppend(t, f, []any{math.NaN(), math.Inf(-1), "\x00abc"})
		v, err := Decode(f, b)
		if err != nil || !Equal(v, []any{math.NaN(), math.Inf(-1), "\x00abc"}) {
			t.Errorf("%s: NaN, -Inf, NUL string: %v %v", f, v, err)
		}
	}
}

func TestAppendBinaryFormats(t *testing.T) {
	str32 := strings.Repeat("s", 32)
	list16 := make([]any, 16)
	for _, tc := range []struct {
		f    Format
		v    any
		want []byte
	}{
		{MsgPack, nil, hx("c0")},
		{MsgPack, []any{false, true}, hx("92 c2 c3")},
		{MsgPack, 127, hx("7f")},
		{MsgPack, 128, hx("cc 80")},
		{MsgPack, 256, hx("cd 01 00")},
		{MsgPack, 65536, hx("ce 00 01 00 00")},
		{MsgPack, int64(1) << 32, hx("cf 00 00 00 01 00 00 00 00")},
		{MsgPack, -1, hx("ff")},
		{MsgPack, -32, hx("e0")},
		{MsgPack, -33, hx("d0 df")},
		{MsgPack, -129, hx("d1 ff 7f")},
		{MsgPack, -32769, hx("d2 ff ff 7f ff")},
		{MsgPack, int64(math.MinInt64), hx("d3 80 00 00 00 00 00 00 00")},
		{MsgPack, uint64(math.MaxUint64), hx("cf ff ff ff ff ff ff ff ff")},
		{MsgPack, 1.5, hx("cb 3f f8 00 00 00 00 00 00")},
		{MsgPack, float32(1.5), hx("cb 3f f8 00 00 00 00 00 00")},
		{MsgPack, "abc", hx("a3 61 62 63")},
		{MsgPack, str32, append(hx("d9 20"), str32...)},
		{MsgPack, strings.Repeat("s", 256), append(hx("da 01 00"), strings.Repeat("s", 256)...)},
		{MsgPack, []byte{1, 2}, hx("c4 02 01 02")},
		{MsgPack, make([]byte, 256), append(hx("c5 01 00"), make([]byte, 256)...)},
		{MsgPack, list16, append(hx("dc 00 10"), bytes.Repeat([]byte{0xc0}, 16)...)},
		{MsgPack, map[string]any{"b": 1, "a": 2}, hx("82 a1 61 02 a1 62 01")},
		{MsgPack, map[string]any{}, hx("80")},

		{CBOR, nil, hx("f6")},
		{CBOR, []any{false, true}, hx("82 f4 f5")},
		{CBOR, 23, hx("17")},
		{CBOR, 24, hx("18 18")},
		{CBOR, 256, hx("19 01 00")},
		{CBOR, 65536, hx("1a 00 01 00 00")},
		{CBOR, int64(1) << 32, hx("1b 00 00 00 01 00 00 00 00")},
		{CBOR, -1, hx("20")},
		{CBOR, -25, hx("38 18")},
		{CBOR, int64(math.MinInt64), hx("3b 7f ff ff ff ff ff ff ff")},
		{CBOR, uint64(math.MaxUint64), hx("1b ff ff ff ff ff ff ff ff")},
		{CBOR, 1.5, hx("fb 3f f8 00 00 00 00 00 00")},
		{CBOR, "abc", hx("63 61 62 63")},
		{CBOR, str32, append(hx("78 20"), str32...)},
		{CBOR, []byte{1, 2}, hx("42 01 02")},
		{CBOR, list16, append(hx("90"), bytes.Repeat([]byte{0xf6}, 16)...)},
		{CBOR, map[string]any{"b": 1, "a": 2}, hx("a2 61 61 02 61 62 01")},
		{CBOR, map[string]string{"k": "v"}, hx("a1 61 6b 61 76")},
	} {
		got := mustAppend(t, tc.f, tc.v)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("Append(%s, %#v) = % x, want % x", tc.f, tc.v, got, tc.want)
		}
	}
}

// TestLibrariesAgree: what the msgpack and cbor libraries encode, Decode
// reads; what Append writes, the libraries read to the same values.
func TestLibrariesAgree(t *testing.T) {
	v := sample()
	mp, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for f, raw := range map[Format][]byte{MsgPack: mp, CBOR: cb} {
		got, err := Decode(f, raw)
		if err != nil {
			t.Fatalf("%s: Decode of the library's encoding: %v", f, err)
		}
		if !Equal(got, v) {
			t.Errorf("%s: Decode of the library's encoding = %#v, want %#v", f, got, v)
		}
	}

	var fromMP any
	if err := msgpack.Unmarshal(mustAppend(t, MsgPack, v), &fromMP); err != nil {
		t.Fatalf("msgpack library rejects Append's output: %v", err)
	}
	if got := normalize(fromMP); !Equal(got, v) {
		t.Errorf("msgpack library read Append's output as %#v, want %#v", got, v)
	}
	var fromCB any
	if err := cborDecMode.Unmarshal(mustAppend(t, CBOR, v), &fromCB); err != nil {
		t.Fatalf("cbor library rejects Append's output: %v", err)
	}
	if got := normalize(fromCB); !Equal(got, v) {
		t.Errorf("cbor library read Append's output as %#v, want %#v", got, v)
	}
}

func TestRoundTrip(t *testing.T) {
	v := sample()
	for _, f := range formats {
		raw := mustAppend(t, f, v)
		if err := Validate(f, raw); err != nil {
			t.Fatalf("%s: Validate(Append(v)): %v", f, err)
		}
		got, err := Decode(f, raw)
		if err != nil {
			t.Fatalf("%s: Decode(Append(v)): %v", f, err)
		}
		if !Equal(got, v) {
			t.Errorf("%s: round trip = %#v, want %#v", f, got, v)
		}
		// Deterministic: the same value encodes to the same bytes.
		if again := mustAppend(t, f, got); !bytes.Equal(again, raw) {
			t.Errorf("%s: re-encoding differs:\n% x\n% x", f, again, raw)
		}
	}
}

func TestConvert(t *testing.T) {
	js := []byte(`["\u0000AQID",1,1.5,"x",{"k":null,"b":false}]`)
	mp := hx("95 c4 03 01 02 03 01 cb 3f f8 00 00 00 00 00 00 a1 78 82 a1 62 c2 a1 6b c0")
	cb := hx("85 43 01 02 03 01 fb 3f f8 00 00 00 00 00 00 61 78 a2 61 62 f4 61 6b f6")
	sorted := []byte(`["\u0000AQID",1,1.5,"x",{"b":false,"k":null}]`)
	for _, tc := range []struct {
		from, to Format
		in, want []byte
	}{
		{JSON, MsgPack, js, mp},
		{JSON, CBOR, js, cb},
		{MsgPack, JSON, mp, sorted},
		{CBOR, JSON, cb, sorted},
		{MsgPack, CBOR, mp, cb},
		{CBOR, MsgPack, cb, mp},
		{JSON, JSON, []byte(` [1, 2] `), []byte(` [1, 2] `)}, // unchanged
	} {
		got, err := Convert([]byte("x"), tc.in, tc.from, tc.to)
		if err != nil {
			t.Errorf("Convert %s→%s: %v", tc.from, tc.to, err)
			continue
		}
		if !bytes.Equal(got[1:], tc.want) || got[0] != 'x' {
			t.Errorf("Convert %s→%s = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
	for _, tc := range []struct {
		from Format
		in   []byte
		want string
	}{
		{MsgPack, hx("a2 00 61"), "starting with U+0000"},
		{CBOR, hx("f9 7e 00"), "NaN"},
		{MsgPack, hx("c1"), "reserved type code"},
	} {
		if _, err := Convert(nil, tc.in, tc.from, JSON); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Convert(%x) %s→json error = %v, want %q", tc.in, tc.from, err, tc.want)
		}
	}
}

// TestNoAllocations: the routing-path functions do not allocate.
func TestNoAllocations(t *testing.T) {
	payload := map[string]any{"price": 101.25, "lot": "a/b", "qty": int64(7), "tags": []any{"x", "y"}, "ok": true}
	for _, f := range formats {
		raw := mustAppend(t, f, []any{"hello", payload})
		dst := make([]byte, 0, 512)
		var elems [4][]byte
		for name, fn := range map[string]func(){
			"Validate":     func() { _ = Validate(f, raw) },
			"ListElements": func() { _, _ = ListElements(f, raw, elems[:]) },
			"ListElement":  func() { _, _ = ListElement(f, raw, 1) },
			"Append":       func() { _, _ = Append(f, dst[:0], payload) },
			"Convert-same": func() { _, _ = Convert(dst[:0], raw, f, f) },
		} {
			if n := testing.AllocsPerRun(100, fn); n != 0 {
				t.Errorf("%s %s: %.0f allocations, want 0", f, name, n)
			}
		}
	}
}
