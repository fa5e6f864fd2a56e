package v1

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

// event128 is a 128-byte event payload.
var event128 = `{"price":100.25,"lot":"` + strings.Repeat("x", 128-34) + `","ok":true}`

func BenchmarkDecodePublish(b *testing.B) {
	msg := []byte(`[7,"price/channel",` + event128 + `,false,[]]`)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// nullConn counts frames and drops them, like a gateway queue would
// without the I/O.
type nullConn struct{ frames atomic.Int64 }

func (c *nullConn) SendText([]byte)      {}
func (c *nullConn) SendBinary([]byte)    {}
func (c *nullConn) SendFrame([]byte)     { c.frames.Add(1) }
func (c *nullConn) Close(uint16, string) {}
func (c *nullConn) RemoteAddr() string   { return "bench" }

// subscribers opens n v1 sessions subscribed to topic.
func subscribers(b *testing.B, r *wamp.Router, topic string, n int) []*Session {
	sessions := make([]*Session, n)
	for i := range sessions {
		s := NewSession(r, &nullConn{})
		s.Open()
		if err := s.HandleMessage([]byte(`[5,"`+topic+`"]`), false); err != nil {
			b.Fatal(err)
		}
		sessions[i] = s
	}
	return sessions
}

// BenchmarkPublishFanOut measures one client PUBLISH (decode, hook,
// encode once, queue to every subscriber); allocations must not grow with
// the number of subscribers.
func BenchmarkPublishFanOut(b *testing.B) {
	for _, tc := range []struct {
		n         int
		excludeMe bool
	}{{1, false}, {1000, false}, {10000, false}, {10000, true}} {
		n := tc.n
		name := fmt.Sprintf("subscribers=%d", n)
		msg := []byte(`[7,"price/channel",` + event128 + `]`)
		if tc.excludeMe {
			name += "/excludeMe"
			msg = []byte(`[7,"price/channel",` + event128 + `,true]`)
		}
		b.Run(name, func(b *testing.B) {
			r := newRouter(wamp.RouterConfig{})
			subs := subscribers(b, r, "price/channel", n)
			b.ReportAllocs()
			for b.Loop() {
				if err := subs[0].HandleMessage(msg, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
		})
	}
}

// BenchmarkRouterPublish is a server-side publication to 1,000
// subscribers, without decoding.
func BenchmarkRouterPublish(b *testing.B) {
	r := newRouter(wamp.RouterConfig{})
	subscribers(b, r, "t", 1000)
	var prepared wamp.Publication // the event is prepared once
	prepared.SetEvent([]byte(event128))
	b.ReportAllocs()
	for b.Loop() {
		pub := new(wamp.Publication)
		*pub = prepared
		pub.Topic = "t"
		r.Publish(pub)
	}
}

// BenchmarkPublishEligible publishes to 10 eligible sessions among 10,000
// subscribers: the registry path, not a scan.
func BenchmarkPublishEligible(b *testing.B) {
	r := newRouter(wamp.RouterConfig{})
	subs := subscribers(b, r, "t", 10000)
	var ids []string
	for i := 0; i < 10000; i += 1000 {
		ids = append(ids, `"`+subs[i].ID().String()+`"`)
	}
	msg := []byte(`[7,"t",` + event128 + `,[],[` + strings.Join(ids, ",") + `]]`)
	b.ReportAllocs()
	for b.Loop() {
		if err := subs[1].HandleMessage(msg, false); err != nil {
			b.Fatal(err)
		}
	}
}
