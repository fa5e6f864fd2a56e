package value

import (
	"bytes"
	"math"
	"testing"
)

func FuzzDecodeJSON(f *testing.F) {
	fuzzDecode(f, JSON, [][]byte{
		[]byte(`[36,5512315355,4429313566,{},["Hello, world!"]]`),
		[]byte(`{"a":[1,-2.5e-3,"\u00e9\ud83d\ude00",null,true],"b":{"c":{}}}`),
		[]byte(`["\u0000EOP/kFMHXFJvX8BtT+N82w==", "\u0000+\/8=", "\u0000"]`),
		[]byte(`[9223372036854775807, 9223372036854775808, 18446744073709551616, -9223372036854775809, 1e308, 1e-400]`),
		[]byte(`"\ud800"`),
		[]byte(`{"a":1,"a":2}`),
		nested(JSON, MaxDepth),
	})
}

func FuzzDecodeMsgPack(f *testing.F) {
	fuzzDecode(f, MsgPack, [][]byte{
		mustAppend(f, MsgPack, sample()),
		hx("95 24 cf 00 00 00 01 48 8c 3f db ce 08 01 cb 1e 80 91 ad 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21"),
		hx("93 ca 3f c0 00 00 d3 80 00 00 00 00 00 00 00 cf ff ff ff ff ff ff ff ff"),
		hx("82 a1 61 c4 02 00 01 a1 62 a2 00 61"),
		hx("d6 ff 00 00 00 00"),
		nested(MsgPack, MaxDepth),
	})
}

func FuzzDecodeCBOR(f *testing.F) {
	fuzzDecode(f, CBOR, [][]byte{
		mustAppend(f, CBOR, sample()),
		hx("85 18 24 1b 00 00 00 01 48 8c 3f db 1a 08 01 cb 1e a0 81 6d 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21"),
		hx("84 f9 3e 00 fa 3f c0 00 00 3b ff ff ff ff ff ff ff ff f7"),
		hx("a2 61 61 42 00 01 61 62 62 00 61"),
		hx("9f 01 ff"),
		nested(CBOR, MaxDepth),
	})
}

// fuzzDecode checks that nothing panics, that Validate and the raw
// helpers agree with Decode, and that a decoded value encodes in every
// format and decodes back to an equal value.
func fuzzDecode(f *testing.F, format Format, seeds [][]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Decode(format, raw)
		if verr := Validate(format, raw); (err == nil) != (verr == nil) {
			t.Fatalf("Decode error %v, Validate error %v", err, verr)
		}
		n, listOK := ListLen(format, raw)
		first, firstOK := ListElement(format, raw, 0)
		dictLen, dictOK := DictLen(format, raw)
		u, uintOK := Uint(format, raw)
		s, textOK := Text(format, raw)
		if err != nil {
			if dictOK || uintOK || textOK {
				t.Fatalf("Decode rejects %x (%v) but DictLen %v, Uint %v, Text %v accept it", raw, err, dictOK, uintOK, textOK)
			}
			return
		}
		if got, want := KindOf(format, raw), kindOfValue(v); got != want {
			t.Fatalf("KindOf = %s, Decode gave a %s (%#v)", got, want, v)
		}
		switch x := v.(type) {
		case []any:
			if !listOK || n != len(x) {
				t.Fatalf("ListLen = %d, %v; Decode gave %d elements", n, listOK, len(x))
			}
			if firstOK != (len(x) > 0) {
				t.Fatalf("ListElement(0) ok = %v with %d elements", firstOK, len(x))
			}
		case map[string]any:
			if !dictOK || dictLen < len(x) { // duplicate keys collapse
				t.Fatalf("DictLen = %d, %v; Decode gave %d members", dictLen, dictOK, len(x))
			}
		case uint64:
			if !uintOK || u != x {
				t.Fatalf("Uint = %d, %v; Decode gave %d", u, uintOK, x)
			}
		case int64:
			if uintOK != (x >= 0) || uintOK && u != uint64(x) {
				t.Fatalf("Uint = %d, %v; Decode gave %d", u, uintOK, x)
			}
		case string:
			if !textOK || s != x {
				t.Fatalf("Text = %q, %v; Decode gave %q", s, textOK, x)
			}
		}
		if listOK && len(v.([]any)) > 0 {
			e, err := Decode(format, first)
			if err != nil || !Equal(e, v.([]any)[0]) {
				t.Fatalf("element 0 %x decodes to %#v (%v), want %#v", first, e, err, v.([]any)[0])
			}
		}
		for _, to := range formats {
			enc, err := Append(to, nil, v)
			if err != nil {
				if to == JSON && jsonUnrepresentable(v) {
					continue
				}
				t.Fatalf("Append(%s, %#v): %v", to, v, err)
			}
			back, err := Decode(to, enc)
			if err != nil {
				t.Fatalf("Decode(%s, Append(%#v) = %x): %v", to, v, enc, err)
			}
			if !Equal(back, v) {
				t.Fatalf("%s round trip: %#v became %#v", to, v, back)
			}
			if again := mustAppend(t, to, back); !bytes.Equal(again, enc) {
				t.Fatalf("%s: encoding is not deterministic: %x then %x", to, enc, again)
			}
			if to != format {
				conv, err := Convert(nil, raw, format, to)
				if err != nil || !bytes.Equal(conv, enc) {
					t.Fatalf("Convert to %s = %x, %v; want %x", to, conv, err, enc)
				}
			}
		}
	})
}

// kindOfValue is the Kind of a neutral value.
func kindOfValue(v any) Kind {
	switch v.(type) {
	case nil:
		return Null
	case bool:
		return Bool
	case int64, uint64:
		return Int
	case float64:
		return Float
	case string:
		return String
	case []byte:
		return Bytes
	case []any:
		return List
	case map[string]any:
		return Dict
	}
	return Invalid
}

// jsonUnrepresentable reports whether v holds NaN, an infinity or a text
// string starting with U+0000, which JSON cannot carry.
func jsonUnrepresentable(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x) || math.IsInf(x, 0)
	case string:
		return len(x) > 0 && x[0] == 0
	case []any:
		for _, e := range x {
			if jsonUnrepresentable(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if jsonUnrepresentable(e) {
				return true
			}
		}
	}
	return false
}
