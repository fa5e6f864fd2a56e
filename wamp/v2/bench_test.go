package v2

import (
	"strings"
	"testing"

	"github.com/wampgate/wampgate/wamp/value"
)

// event128 is a 128-byte payload (in JSON) like the fan-out benchmarks'.
var event128 = map[string]any{"price": 101.25, "lot": "a/b", "note": strings.Repeat("x", 72), "qty": int64(7)}

// BenchmarkAppendEvent is the encode-once step of a v2 fan-out: one EVENT
// per (serializer, subscription) with args [event128].
func BenchmarkAppendEvent(b *testing.B) {
	for _, s := range allSerializers {
		args := raw(b, s.Format(), []any{event128})
		m := &Message{Type: Event, Request: 5512315355, ID: 4429313566, Args: args}
		dst := make([]byte, 0, 512)
		b.Run(s.Format().String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = s.Append(dst[:0], m); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(dst)))
		})
	}
}

// BenchmarkDecodePublish is what a PUBLISH costs to check and slice
// (args stay raw; only Options are decoded).
func BenchmarkDecodePublish(b *testing.B) {
	for _, s := range allSerializers {
		f := s.Format()
		for _, tc := range []struct {
			name    string
			options map[string]any
		}{
			{"no-options", nil},
			{"options", map[string]any{"acknowledge": true, "exclude_me": false, "exclude": []any{int64(1234567), int64(7654321)}}},
		} {
			msg := encode(b, s, &Message{Type: Publish, Request: 239714735, Dict: tc.options, URI: "com.myapp.topic1", Args: raw(b, f, []any{event128})})
			b.Run(f.String()+"/"+tc.name, func(b *testing.B) {
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				var m Message
				for b.Loop() {
					if err := s.DecodeInto(msg, &m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEventForOtherSerializer is the once-per-publication cost of
// serving a subscriber of another serializer: convert the args, encode
// the EVENT.
func BenchmarkEventForOtherSerializer(b *testing.B) {
	js := SerializerFor(value.JSON)
	args := raw(b, value.JSON, []any{event128})
	for _, s := range allSerializers[1:] {
		dst := make([]byte, 0, 512)
		conv := make([]byte, 0, 512)
		b.Run("json-"+s.Format().String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a, err := value.Convert(conv[:0], args, js.Format(), s.Format())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Append(dst[:0], &Message{Type: Event, Request: 1, ID: 2, Args: a}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
