package value

import (
	"bytes"
	"testing"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		raw  []byte
		want Kind
	}{
		{JSON, []byte(` null`), Null},
		{JSON, []byte(`true`), Bool},
		{JSON, []byte(`false`), Bool},
		{JSON, []byte(`-12`), Int},
		{JSON, []byte(`18446744073709551615`), Int},
		{JSON, []byte(`18446744073709551616`), Float},
		{JSON, []byte(`1.0`), Float},
		{JSON, []byte(`1e3`), Float},
		{JSON, []byte(`"x"`), String},
		{JSON, []byte(`"\u0000AQ=="`), Bytes},
		{JSON, []byte("\n[1]"), List},
		{JSON, []byte(`{}`), Dict},
		{JSON, []byte(``), Invalid},
		{JSON, []byte(`x`), Invalid},
		{MsgPack, hx("c0"), Null},
		{MsgPack, hx("c3"), Bool},
		{MsgPack, hx("ff"), Int},
		{MsgPack, hx("cf ff ff ff ff ff ff ff ff"), Int},
		{MsgPack, hx("ca 00 00 00 00"), Float},
		{MsgPack, hx("a0"), String},
		{MsgPack, hx("c4 00"), Bytes},
		{MsgPack, hx("90"), List},
		{MsgPack, hx("de 00 00"), Dict},
		{MsgPack, hx("d4 00 00"), Invalid},
		{MsgPack, nil, Invalid},
		{CBOR, hx("f6"), Null},
		{CBOR, hx("f7"), Null},
		{CBOR, hx("f4"), Bool},
		{CBOR, hx("20"), Int},
		{CBOR, hx("3b ff ff ff ff ff ff ff ff"), Float},
		{CBOR, hx("f9 00 00"), Float},
		{CBOR, hx("60"), String},
		{CBOR, hx("40"), Bytes},
		{CBOR, hx("80"), List},
		{CBOR, hx("a0"), Dict},
		{CBOR, hx("c0"), Invalid},
		{CBOR, hx("e0"), Invalid},
		{CBOR, nil, Invalid},
	} {
		if got := KindOf(tc.f, tc.raw); got != tc.want {
			t.Errorf("KindOf(%s, %x) = %s, want %s", tc.f, tc.raw, got, tc.want)
		}
	}
	if IsList(JSON, []byte(`{}`)) || !IsDict(JSON, []byte(`{}`)) || !IsList(CBOR, hx("80")) {
		t.Error("IsList/IsDict disagree with KindOf")
	}
}

func TestListElements(t *testing.T) {
	v := []any{int64(36), int64(5512315355), int64(4429313566), map[string]any{}, []any{"Hello, world!"}}
	for _, f := range formats {
		raw := mustAppend(t, f, v)
		var elems [3][]byte
		n, err := ListElements(f, raw, elems[:])
		if err != nil || n != 5 {
			t.Fatalf("%s: ListElements = %d, %v", f, n, err)
		}
		for i, e := range elems {
			if want := mustAppend(t, f, v[i]); !bytes.Equal(e, want) {
				t.Errorf("%s: element %d = %x, want %x", f, i, e, want)
			}
		}
		if n, ok := ListLen(f, raw); !ok || n != 5 {
			t.Errorf("%s: ListLen = %d, %v", f, n, ok)
		}
		e4, ok := ListElement(f, raw, 4)
		if !ok || !bytes.Equal(e4, mustAppend(t, f, v[4])) {
			t.Errorf("%s: ListElement(4) = %x, %v", f, e4, ok)
		}
		// v1's event is args[0], taken without re-encoding.
		if e, ok := ListElement(f, e4, 0); !ok || !bytes.Equal(e, mustAppend(t, f, "Hello, world!")) {
			t.Errorf("%s: args[0] = %x, %v", f, e, ok)
		}
		for _, i := range []int{-1, 5} {
			if e, ok := ListElement(f, raw, i); ok {
				t.Errorf("%s: ListElement(%d) = %x, want false", f, i, e)
			}
		}
		if _, ok := ListElement(f, mustAppend(t, f, []any{}), 0); ok {
			t.Errorf("%s: element 0 of an empty list", f)
		}
		if _, ok := ListLen(f, mustAppend(t, f, map[string]any{})); ok {
			t.Errorf("%s: ListLen of a dict", f)
		}
		if n, ok := DictLen(f, mustAppend(t, f, map[string]any{"a": 1, "b": []any{1}})); !ok || n != 2 {
			t.Errorf("%s: DictLen = %d, %v", f, n, ok)
		}
		if n, ok := DictLen(f, mustAppend(t, f, map[string]any{})); !ok || n != 0 {
			t.Errorf("%s: DictLen of {} = %d, %v", f, n, ok)
		}
		if _, ok := DictLen(f, raw); ok {
			t.Errorf("%s: DictLen of a list", f)
		}
	}
	// Whitespace in JSON is kept out of the element slices; each element
	// is checked as a value of its own, so the list does not count
	// towards the depth limit.
	raw := append([]byte(" [ 1 ,\t\"a\" , "), nested(JSON, MaxDepth)...)
	raw = append(raw, " ] "...)
	var elems [3][]byte
	if n, err := ListElements(JSON, raw, elems[:]); err != nil || n != 3 || string(elems[0]) != "1" || string(elems[1]) != `"a"` {
		t.Errorf("ListElements(%q) = %d %q %v", raw, n, elems, err)
	}
	if Validate(JSON, raw) == nil {
		t.Errorf("Validate accepts %d levels inside a list", MaxDepth)
	}
	if n, ok := DictLen(JSON, []byte(` { "a" : [1, {"x":2}] , "b":{} } `)); !ok || n != 2 {
		t.Errorf("DictLen with whitespace = %d, %v", n, ok)
	}
}

func TestListElementsRejects(t *testing.T) {
	for _, tc := range []struct {
		f   Format
		raw []byte
	}{
		{JSON, []byte(`{"0":1}`)}, // jsonscan would take it as a list (PHP); WAMP v2 does not
		{JSON, []byte(`1`)},
		{JSON, []byte(`[1,"\u0000!"]`)},
		{JSON, []byte(`[1] x`)},
		{MsgPack, hx("80")},
		{MsgPack, hx("92 01")},
		{MsgPack, hx("91 01 01")},
		{MsgPack, hx("91 c1")},
		{CBOR, hx("a0")},
		{CBOR, hx("9f ff")},
		{CBOR, hx("81 01 01")},
		{CBOR, hx("81 c0 00")},
	} {
		if n, err := ListElements(tc.f, tc.raw, nil); err == nil {
			t.Errorf("ListElements(%s, %x) = %d, nil; want an error", tc.f, tc.raw, n)
		}
	}
}

func TestUintAndText(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		raw  []byte
		want uint64
		ok   bool
	}{
		{JSON, []byte(`0`), 0, true},
		{JSON, []byte(` 9007199254740992 `), 1 << 53, true},
		{JSON, []byte(`18446744073709551615`), 1<<64 - 1, true},
		{JSON, []byte(`18446744073709551616`), 0, false},
		{JSON, []byte(`-1`), 0, false},
		{JSON, []byte(`-0`), 0, true},
		{JSON, []byte(`1.0`), 0, false},
		{JSON, []byte(`1e3`), 0, false},
		{JSON, []byte(`01`), 0, false},
		{JSON, []byte(`"1"`), 0, false},
		{JSON, []byte(``), 0, false},
		{MsgPack, hx("7f"), 127, true},
		{MsgPack, hx("cc ff"), 255, true},
		{MsgPack, hx("cf ff ff ff ff ff ff ff ff"), 1<<64 - 1, true},
		{MsgPack, hx("d0 05"), 5, true},
		{MsgPack, hx("d3 00 20 00 00 00 00 00 00"), 1 << 53, true},
		{MsgPack, hx("d0 ff"), 0, false},
		{MsgPack, hx("ff"), 0, false},
		{MsgPack, hx("cb 3f f0 00 00 00 00 00 00"), 0, false},
		{MsgPack, hx("cc"), 0, false},
		{MsgPack, hx("01 01"), 0, false},
		{CBOR, hx("1b 00 20 00 00 00 00 00 00"), 1 << 53, true},
		{CBOR, hx("20"), 0, false},
		{CBOR, hx("f9 3c 00"), 0, false},
		{CBOR, hx("01 01"), 0, false},
	} {
		if got, ok := Uint(tc.f, tc.raw); got != tc.want || ok != tc.ok {
			t.Errorf("Uint(%s, %x) = %d, %v; want %d, %v", tc.f, tc.raw, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		f    Format
		raw  []byte
		want string
		ok   bool
	}{
		{JSON, []byte(` "a\/b\u00e9" `), "a/bé", true},
		{JSON, []byte(`"\u0000AQ=="`), "", false},
		{JSON, []byte(`"a" "b"`), "", false},
		{JSON, []byte(`"\`), "", false},
		{JSON, []byte("\"\xff\""), "", false},
		{JSON, []byte(`1`), "", false},
		{MsgPack, hx("a2 68 69"), "hi", true},
		{MsgPack, hx("a2 68"), "", false},
		{MsgPack, hx("a1 ff"), "", false},
		{MsgPack, hx("c4 01 68"), "", false},
		{CBOR, hx("62 68 69"), "hi", true},
		{CBOR, hx("62 68 69 00"), "", false},
		{CBOR, hx("61 ff"), "", false},
		{CBOR, hx("41 68"), "", false},
	} {
		if got, ok := Text(tc.f, tc.raw); got != tc.want || ok != tc.ok {
			t.Errorf("Text(%s, %x) = %q, %v; want %q, %v", tc.f, tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}
