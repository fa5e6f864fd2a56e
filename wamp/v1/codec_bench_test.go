package v1

import (
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

// Decode benchmarks for the client messages other than the plain PUBLISH
// (BenchmarkDecodePublish): what a subscriber, an RPC caller and a
// publisher with exclude/eligible lists cost to parse.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct{ name, msg string }{
		{"subscribe", `[5,"price/channel"]`},
		{"subscribe-curie", `[5,"event:price"]`},
		{"call", `[2,"c2","http://example.com/calc#add",23,99]`},
		{"publish-excludeMe", `[7,"price/channel",` + event128 + `,true]`},
		{"publish-lists", `[7,"price/channel",` + event128 + `,["k3x9q2ab.1","k3x9q2ab.2"],["k3x9q2ab.3","k3x9q2ab.4","k3x9q2ab.5"]]`},
	} {
		msg := []byte(tc.msg)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEventFrame is the encode-once step of a fan-out: one EVENT
// frame (header and PHP-escaped topic) in one exactly sized allocation.
func BenchmarkEventFrame(b *testing.B) {
	for _, tc := range []struct{ name, topic string }{
		{"plain-topic", "bench_fanout"},
		{"escaped-topic", "price/channel"}, // '/' is escaped as "\/", like PHP
	} {
		pub := &wamp.Publication{Topic: tc.topic}
		pub.SetEvent([]byte(event128))
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(EventFrame(pub, nil))))
			b.ReportAllocs()
			for b.Loop() {
				if f := EventFrame(pub, nil); len(f) == 0 {
					b.Fatal("empty frame")
				}
			}
		})
	}
}

// BenchmarkAppendEncoders measures the server messages appended to a
// reused buffer: no allocation once the buffer has grown.
func BenchmarkAppendEncoders(b *testing.B) {
	ev := []byte(event128)
	callID, result := []byte(`"c2"`), []byte(`{"sum":122,"ok":true}`)
	for _, tc := range []struct {
		name string
		enc  func(dst []byte) []byte
	}{
		{"welcome", func(dst []byte) []byte { return AppendWelcome(dst, 4503599627370497, "wampgate/0.1.0") }},
		{"event", func(dst []byte) []byte { return AppendEvent(dst, "price/channel", ev) }},
		{"callresult", func(dst []byte) []byte { return AppendCallResult(dst, callID, result) }},
		{"callerror", func(dst []byte) []byte {
			return AppendCallError(dst, callID, "http://example.com/error#generic", "RPC not supported on this node", nil)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			buf := tc.enc(nil)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = tc.enc(buf[:0])
			}
		})
	}
}
