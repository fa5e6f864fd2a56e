package wamp_test

import (
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/wampgate/wampgate/authz"
	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
	"github.com/wampgate/wampgate/wamp/value"
)

// queueConn stands in for the gateway's connection: SendFrame appends the
// frame to an outbound queue, as netpoll.Conn.Send does, without the
// lock and the I/O. The queue is emptied (keeping its array) whenever it
// reaches queueDepth, like a flush would.
type queueConn struct {
	out [][]byte
}

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

// countingV1 is WAMP v1 with a counter of EventFrame calls, to check that
// a publication is encoded once however many subscribers it reaches.
func countingV1() (*wamp.Protocol, *atomic.Int64) {
	var n atomic.Int64
	return &wamp.Protocol{Name: v1.Subprotocol, EventFrame: func(p *wamp.Publication, sub *wamp.Subscription) []byte {
		n.Add(1)
		return v1.EventFrame(p, sub)
	}}, &n
}

// join opens n sessions of proto, each subscribed to the topics topicOf
// returns for it.
func join(b *testing.B, r *wamp.Router, proto *wamp.Protocol, n int, topicOf func(i int) []string) ([]*wamp.Session, []*queueConn) {
	b.Helper()
	sessions, conns := make([]*wamp.Session, n), make([]*queueConn, n)
	for i := range sessions {
		conns[i] = &queueConn{out: make([][]byte, 0, queueDepth)}
		s := joinSession(r.V1Realm(), conns[i], proto)
		for _, t := range topicOf(i) {
			subscribe(b, s, t)
		}
		sessions[i] = s
	}
	return sessions, conns
}

func one(topic string) func(int) []string { return func(int) []string { return []string{topic} } }

var event128 = []byte(`"` + string(make128()) + `"`)

// args128 is event128 as the JSON arguments of a WAMP v2 publication,
// [event128], whose v1 event has to be cut out of them.
var args128 = wamp.Payload{Raw: []byte(`[` + string(event128) + `]`), Format: value.JSON}

// v1Event128 is a publication of event128 prepared once with SetEvent, as
// a server-side v1-style publisher does; newEvent copies it, so every
// publication shares the prepared event like a v1 PUBLISH's own.
var v1Event128 = func() wamp.Publication {
	var p wamp.Publication
	p.SetEvent(event128)
	return p
}()

// newEvent returns a fresh publication of event128 to topic.
func newEvent(topic string) *wamp.Publication {
	p := new(wamp.Publication)
	*p = v1Event128
	p.Topic = topic
	return p
}

func make128() []byte {
	b := make([]byte, 126)
	for i := range b {
		b[i] = 'x'
	}
	return b
}

// BenchmarkFanOutEncodeOnce is a server-side publication (Router.Publish:
// normalize, relay hook, encode the EVENT frame once, queue it to every
// subscriber) to 1,000 and 10,000 subscribers, with and without a
// five-session exclude list, with the cluster's relay hook set, and with
// a WAMP v2 publication's JSON arguments (v2args: the v1 event is cut out
// of them once per publication). It
// reports the time per delivery, the allocations per publication (they
// must not grow with the subscribers) and how often the frame was encoded
// per publication (must be 1).
func BenchmarkFanOutEncodeOnce(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, variant := range []string{"plain", "exclude5", "relayHook", "v2args"} {
			b.Run(fmt.Sprintf("subscribers=%d/%s", n, variant), func(b *testing.B) {
				proto, encoded := countingV1()
				var relayed atomic.Int64
				cfg := wamp.RouterConfig{Logger: quiet}
				if variant == "relayHook" {
					cfg.Relay = func(*wamp.Publication) { relayed.Add(1) }
				}
				r := newRouter(b, cfg)
				subs, conns := join(b, r, proto, n, one("bench/fanout"))
				var exclude []wamp.ID
				if variant == "exclude5" {
					for i := 0; i < 5; i++ {
						exclude = append(exclude, subs[i*n/5].ID())
					}
				}
				want := uint64(n - len(exclude))
				before := r.Stats().Deliveries
				b.ReportAllocs()
				for b.Loop() {
					var pub *wamp.Publication
					if variant == "v2args" {
						pub = &wamp.Publication{Topic: "bench/fanout", Args: args128}
					} else {
						pub = newEvent("bench/fanout")
					}
					if exclude != nil {
						pub.Exclude = append(make([]wamp.ID, 0, len(exclude)), exclude...)
					}
					r.Publish(pub)
				}
				got := r.Stats().Deliveries - before
				if got != want*uint64(b.N) {
					b.Fatalf("%d deliveries, want %d", got, want*uint64(b.N))
				}
				if e := encoded.Load(); e != int64(b.N) {
					b.Fatalf("%d encodings for %d publications", e, b.N)
				}
				// Encode once: every subscriber holds the very same bytes.
				last := func(c *queueConn) *byte { return &c.out[len(c.out)-1][0] }
				if last(conns[1]) != last(conns[n-1]) {
					b.Fatal("subscribers were queued different frame copies")
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(got), "ns/delivery")
				b.ReportMetric(float64(encoded.Load())/float64(b.N), "encodes/pub")
			})
		}
	}
}

// BenchmarkPublishLookup publishes to one topic with a single subscriber
// among many topics (each with one subscriber), and to a topic nobody
// subscribed to: the cost of the topic table, independent of fan-out.
func BenchmarkPublishLookup(b *testing.B) {
	for _, topics := range []int{10, 10000, 100000} {
		r := newRouter(b, wamp.RouterConfig{})
		join(b, r, v1.Protocol, topics, func(i int) []string { return []string{"bench/t" + strconv.Itoa(i)} })
		names := make([]string, 1024)
		for i := range names {
			names[i] = "bench/t" + strconv.Itoa(i*7919%topics)
		}
		b.Run(fmt.Sprintf("topics=%d/hit", topics), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Publish(newEvent(names[i&1023]))
				i++
			}
		})
		b.Run(fmt.Sprintf("topics=%d/miss", topics), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Publish(newEvent("bench/nobody"))
			}
		})
	}
}

// countConn counts queued frames atomically: safe for publishers on
// several goroutines.
type countConn struct{ frames atomic.Int64 }

func (c *countConn) SendText([]byte)      {}
func (c *countConn) SendBinary([]byte)    {}
func (c *countConn) SendFrame([]byte)     { c.frames.Add(1) }
func (c *countConn) Close(uint16, string) {}
func (c *countConn) RemoteAddr() string   { return "bench" }

// BenchmarkPublishParallel publishes from every core to 1,000 topics of
// 10 subscribers each: contention in the sharded topic table and the
// topics' read locks.
func BenchmarkPublishParallel(b *testing.B) {
	const topics, perTopic = 1000, 10
	r := newRouter(b, wamp.RouterConfig{})
	names := make([]string, topics)
	for t := range names {
		names[t] = "bench/p" + strconv.Itoa(t)
		for range perTopic {
			subscribe(b, joinSession(r.V1Realm(), &countConn{}, v1.Protocol), names[t])
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)) * 7919
		for pb.Next() {
			r.Publish(newEvent(names[i%topics]))
			i++
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perTopic), "ns/delivery")
}

// BenchmarkSubscribeUnsubscribe is one session subscribing to a topic and
// leaving it again: a new topic among many (creates and drops a table
// entry), and a crowded topic (10,000 other subscribers: O(1) removal).
func BenchmarkSubscribeUnsubscribe(b *testing.B) {
	for _, tc := range []struct {
		name   string
		others int
		shared bool
	}{
		{"newTopic/among=10", 10, false},
		{"newTopic/among=100000", 100000, false},
		{"crowdedTopic/subscribers=10000", 10000, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := newRouter(b, wamp.RouterConfig{})
			topicOf := func(i int) []string { return []string{"bench/t" + strconv.Itoa(i)} }
			topic := "bench/fresh"
			if tc.shared {
				topicOf, topic = one("bench/crowded"), "bench/crowded"
			}
			join(b, r, v1.Protocol, tc.others, topicOf)
			s := joinSession(r.V1Realm(), &queueConn{}, v1.Protocol)
			b.ReportAllocs()
			for b.Loop() {
				subscribe(b, s, topic)
				if !s.UnsubscribeTopic(topic) {
					b.Fatal("not subscribed")
				}
			}
		})
	}
}

// BenchmarkSessionPublish is a client's publication to 1,000 subscribers
// through Session.Publish (authorization, the OnPublish hook, fan-out):
// without roles (the default: one atomic load), with roles (a cached
// decision), with 200 rules in the role (still a cached decision), and
// with an authrole filter (each recipient checked at delivery).
func BenchmarkSessionPublish(b *testing.B) {
	all := []wamp.Action{wamp.ActionSubscribe, wamp.ActionPublish}
	few := []authz.Rule{{URI: "bench/", Match: wamp.MatchPrefix, Allow: all}, {URI: "bench/admin", Match: wamp.MatchPrefix}}
	many := slices.Clone(few)
	for i := range 198 {
		many = append(many, authz.Rule{URI: "other" + strconv.Itoa(i) + ".", Match: wamp.MatchPrefix, Allow: all})
	}
	for _, variant := range []string{"noRoles", "roles", "roles200rules", "authroleFilter"} {
		b.Run(variant, func(b *testing.B) {
			cfg := wamp.RouterConfig{Logger: quiet}
			if variant == "roles" || variant == "roles200rules" {
				rules := few
				if variant == "roles200rules" {
					rules = many
				}
				roles, err := authz.New(map[string][]authz.Rule{wamp.Anonymous: rules})
				if err != nil {
					b.Fatal(err)
				}
				cfg.Authorizer = roles
			}
			r := newRouter(b, cfg)
			proto, _ := countingV1()
			join(b, r, proto, 1000, one("bench/fanout"))
			publisher := joinSession(r.V1Realm(), &queueConn{}, proto)
			before := r.Stats().Deliveries
			b.ReportAllocs()
			for b.Loop() {
				pub := newEvent("bench/fanout")
				if variant == "authroleFilter" {
					pub.Auth = &wamp.PublicationAuth{ExcludeAuthRole: []string{"trader"}}
				}
				if err := publisher.Publish(pub); err != nil {
					b.Fatal(err)
				}
			}
			got := r.Stats().Deliveries - before
			if got != 1000*uint64(b.N) {
				b.Fatalf("%d deliveries, want %d", got, 1000*b.N)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(got), "ns/delivery")
		})
	}
}
