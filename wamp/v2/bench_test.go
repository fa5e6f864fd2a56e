package v2

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
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

// queueConn stands in for the gateway's connection in fan-out benchmarks:
// SendFrame appends the frame to an outbound queue, emptied (keeping its
// array) whenever it reaches queueDepth, like a flush would.
type queueConn struct{ out [][]byte }

const queueDepth = 64

func (c *queueConn) SendText([]byte)   {}
func (c *queueConn) SendBinary([]byte) {}
func (c *queueConn) SendFrame(f []byte) {
	if len(c.out) == queueDepth {
		clear(c.out)
		c.out = c.out[:0]
	}
	c.out = append(c.out, f)
}
func (c *queueConn) Close(uint16, string) {}
func (c *queueConn) RemoteAddr() string   { return "bench" }

// fanOutEvent is a 128-byte JSON event, as in wamp's BenchmarkFanOutEncodeOnce.
var fanOutEvent = `"` + strings.Repeat("x", 126) + `"`

// BenchmarkFanOutV2 is a publication of one 128-byte event (the payload
// of a v2 publisher: args [event], or a v1 one: SetEvent) to 1,000 and
// 10,000 subscribers of one topic, through Router.Publish: WAMP v1
// subscribers (the baseline, as in wamp's BenchmarkFanOutEncodeOnce), v2
// JSON ones, v2 MessagePack ones (MessagePack arguments), and half JSON,
// half MessagePack (JSON arguments, converted once). Subscribers join
// through their protocol session (v1: SUBSCRIBE; v2: HELLO, SUBSCRIBE),
// so their memory is laid out alike. It reports the time per delivery,
// deliveries per second and the v2 EVENT encodings per publication, which
// must equal the (serializer, subscription) pairs: 1, or 2 for the mixed
// case; every subscriber of a serializer is queued the very same frame.
func BenchmarkFanOutV2(b *testing.B) {
	const topic = "com.example.fanout"
	for _, n := range []int{1000, 10000} {
		for _, variant := range []string{"v1", "json", "msgpack", "json+msgpack"} {
			b.Run(fmt.Sprintf("subscribers=%d/%s", n, variant), func(b *testing.B) {
				r := newRouter(b, wamp.RouterConfig{})
				var encoded atomic.Int64
				count := func(p *wamp.Protocol) *wamp.Protocol {
					encode := p.EventFrame
					p.EventFrame = func(pub *wamp.Publication, sub *wamp.Subscription) []byte {
						encoded.Add(1)
						return encode(pub, sub)
					}
					return p
				}
				jsonP, mpP := NewProtocol(value.JSON, quiet), NewProtocol(value.MsgPack, quiet)
				count(&jsonP.Protocol)
				count(&mpP.Protocol)
				conns := make([]*queueConn, n)
				for i := range conns {
					conns[i] = &queueConn{out: make([][]byte, 0, queueDepth)}
					if variant == "v1" {
						s := v1.NewSession(r, conns[i])
						s.Open()
						if err := s.HandleMessage([]byte(`[5,"`+topic+`"]`), false); err != nil {
							b.Fatal(err)
						}
						continue
					}
					p := jsonP
					if variant == "msgpack" || variant == "json+msgpack" && i%2 == 1 {
						p = mpP
					}
					s := NewSession(r, conns[i], p)
					for _, m := range [][]any{{1, "realm1", roles}, {32, 1, map[string]any{}, topic}} {
						if err := s.HandleMessage(raw(b, p.Format(), m), false); err != nil {
							b.Fatal(err)
						}
					}
					conns[i].out = conns[i].out[:0]
				}
				f := value.JSON
				if variant == "msgpack" {
					f = value.MsgPack
				}
				args := raw(b, f, []any{fanOutEvent[1 : len(fanOutEvent)-1]})
				pairs := int64(1)
				switch variant {
				case "json+msgpack":
					pairs = 2
				case "v1":
					pairs = 0 // v1.Protocol is not wrapped: the shared frame shows encode-once
				}
				before := r.Stats().Deliveries
				b.ReportAllocs()
				for b.Loop() {
					pub := &wamp.Publication{Topic: topic}
					if variant == "v1" {
						pub.SetEvent([]byte(fanOutEvent))
					} else {
						pub.Args = wamp.Payload{Raw: args, Format: f}
					}
					r.Publish(pub)
				}
				got := r.Stats().Deliveries - before
				if got != uint64(n)*uint64(b.N) {
					b.Fatalf("%d deliveries, want %d", got, n*b.N)
				}
				if e := encoded.Load(); e != pairs*int64(b.N) {
					b.Fatalf("%d encodings for %d publications, want %d per publication", e, b.N, pairs)
				}
				last := func(c *queueConn) *byte { return &c.out[len(c.out)-1][0] }
				if last(conns[0]) != last(conns[n-2]) || last(conns[1]) != last(conns[n-1]) {
					b.Fatal("subscribers of one serializer were queued different frame copies")
				}
				nsPerDelivery := float64(b.Elapsed().Nanoseconds()) / float64(got)
				b.ReportMetric(nsPerDelivery, "ns/delivery")
				b.ReportMetric(1e9/nsPerDelivery, "deliveries/s")
				b.ReportMetric(float64(encoded.Load())/float64(b.N), "encodes/pub")
			})
		}
	}
}
