package value

import "testing"

// payload128 is a 128-byte JSON list like a typical event payload.
var payload128 = []any{"Hello, world!", map[string]any{"price": 101.25, "lot": "a/b", "qty": int64(7), "tags": []any{"x", "y"}, "ok": true, "note": "fan-out benchmark payload"}}

func BenchmarkValidate(b *testing.B) {
	for _, f := range formats {
		raw := mustAppend(b, f, payload128)
		b.Run(f.String(), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Validate(f, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, f := range formats {
		raw := mustAppend(b, f, payload128)
		b.Run(f.String(), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(f, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, f := range formats {
		dst := make([]byte, 0, 256)
		b.Run(f.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Append(f, dst[:0], payload128); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConvert is the once-per-publication cost of serving a
// subscriber of another serializer.
func BenchmarkConvert(b *testing.B) {
	for _, pair := range [][2]Format{{JSON, MsgPack}, {MsgPack, JSON}, {JSON, CBOR}, {CBOR, MsgPack}} {
		raw := mustAppend(b, pair[0], payload128)
		dst := make([]byte, 0, 256)
		b.Run(pair[0].String()+"-"+pair[1].String(), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Convert(dst[:0], raw, pair[0], pair[1]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkListElement(b *testing.B) {
	for _, f := range formats {
		raw := mustAppend(b, f, payload128)
		b.Run(f.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := ListElement(f, raw, 0); !ok {
					b.Fatal("no element 0")
				}
			}
		})
	}
}
