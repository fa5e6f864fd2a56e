package gateway

import (
	"encoding/json"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp/value"
)

// TestMessagesByType counts WAMP v2 messages in and out by type, over
// each serializer: a subscriber and a publisher that ends with a message
// that is not WAMP (ABORT, close), so its connection's counts reach the node's totals
// before the first scrape; /metrics and /healthz agree.
func TestMessagesByType(t *testing.T) {
	forEachFormat(t, func(t *testing.T, f value.Format) {
		n := startNode(t, testConfig("epoll"))
		const topic = "com.example.counted"
		sub := joinV2(t, n.Addr(), f, "realm1")
		subID := sub.subscribe(1, dict{}, topic)
		pub := joinV2(t, n.Addr(), f, "realm1")
		for i := range 2 {
			pub.publishAck(uint64(10+i), nil, topic, list{i}, nil)
			sub.recvEvent(subID, dict{}, list{int64(i)}, nil)
		}
		pub.sendRaw(encodeValue(t, f, "not a list"))
		if m := pub.recv(); len(m) < 1 || m[0] != int64(3) {
			t.Fatalf("want ABORT after a message that is not WAMP, got %v", m)
		}
		if _, _, err := pub.ExpectClose(waitLong); err != nil {
			t.Fatalf("want a close after a message that is not WAMP: %v", err)
		}
		pub.Close() // the node ends the close when our FIN comes
		deadline := time.Now().Add(waitLong)
		for n.Stats().SessionsClosed < 1 {
			if time.Now().After(deadline) {
				t.Fatal("the publisher's connection never closed")
			}
			time.Sleep(time.Millisecond)
		}

		proto := "wamp.2." + f.String()
		wantIn := map[string]uint64{"HELLO": 2, "SUBSCRIBE": 1, "PUBLISH": 2, "other": 1, "CALL": 0, "GOODBYE": 0}
		wantOut := map[string]uint64{"WELCOME": 2, "SUBSCRIBED": 1, "PUBLISHED": 2, "EVENT": 2, "ABORT": 1, "RESULT": 0, "other": 0}
		mfs := scrape(t, n.Addr())
		for typ, want := range wantIn {
			if got := metricValue(t, mfs, "wampgate_messages_received_total", dto.MetricType_COUNTER, "protocol", proto, "type", typ); got != float64(want) {
				t.Errorf("received %s %s = %v, want %d", proto, typ, got, want)
			}
		}
		for typ, want := range wantOut {
			if got := metricValue(t, mfs, "wampgate_messages_sent_total", dto.MetricType_COUNTER, "protocol", proto, "type", typ); got != float64(want) {
				t.Errorf("sent %s %s = %v, want %d", proto, typ, got, want)
			}
		}
		if got := metricValue(t, mfs, "wampgate_messages_in_total", dto.MetricType_COUNTER); got != 6 {
			t.Errorf("wampgate_messages_in_total = %v, want 6", got)
		}

		_, _, body := opsGet(t, "GET", "http://"+n.Addr()+"/healthz")
		var h Stats
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatalf("/healthz: %v\n%s", err, body)
		}
		got := h.Messages[proto]
		for typ, want := range wantIn {
			if got.In[typ] != want {
				t.Errorf("/healthz messages %s in %s = %d, want %d", proto, typ, got.In[typ], want)
			}
		}
		for typ, want := range wantOut {
			if got.Out[typ] != want {
				t.Errorf("/healthz messages %s out %s = %d, want %d", proto, typ, got.Out[typ], want)
			}
		}
	})
}

// TestMessageTypePeek reads type codes from the first bytes of each
// serializer's messages and refuses what does not start like one.
func TestMessageTypePeek(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func([]byte) int
		in   []byte
		want int
	}{
		{"json", jsonType, []byte(` [ 36, 1]`), 36},
		{"json v1", jsonType, []byte(`[8,"t",1]`), 8},
		{"json not a list", jsonType, []byte(`{"a":1}`), -1},
		{"json no code", jsonType, []byte(`["x"]`), -1},
		{"json long code", jsonType, []byte(`[12345]`), -1},
		{"json empty", jsonType, nil, -1},
		{"msgpack fixarray", msgpackType, []byte{0x94, 0x24, 1, 2, 0x80}, 36},
		{"msgpack array16", msgpackType, []byte{0xdc, 0, 20, 0x30}, 48},
		{"msgpack uint8", msgpackType, []byte{0x93, 0xcc, 70}, 70},
		{"msgpack map", msgpackType, []byte{0x81, 1, 2}, -1},
		{"msgpack cut", msgpackType, []byte{0xdc, 0}, -1},
		{"cbor small", cborType, []byte{0x84, 0x08, 1, 2, 3}, 8},
		{"cbor code 36", cborType, []byte{0x84, 0x18, 0x24}, 36},
		{"cbor indefinite", cborType, []byte{0x9f, 0x01, 0xff}, 1},
		{"cbor text", cborType, []byte{0x61, 'a'}, -1},
		{"cbor cut", cborType, []byte{0x84, 0x18}, -1},
	} {
		if got := tc.fn(tc.in); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := framePayload([]byte{0x81, 126, 0, 3, 'a', 'b', 'c'}); string(got) != "abc" {
		t.Errorf("framePayload of a 16-bit length frame: %q", got)
	}
	if got := framePayload([]byte{0x82, 127, 0}); got != nil {
		t.Errorf("framePayload of a cut frame: %q", got)
	}
}

// BenchmarkMessageCountOut is what counting adds to each message sent,
// EVENT deliveries included: finding the payload in the frame, peeking at
// its type and picking the counter (the increment itself happens under
// the lock netpoll's Send takes anyway).
func BenchmarkMessageCountOut(b *testing.B) {
	for _, f := range []value.Format{value.JSON, value.MsgPack, value.CBOR} {
		b.Run(f.String(), func(b *testing.B) {
			n, err := New(testConfig("epoll"))
			if err != nil {
				b.Fatal(err)
			}
			mc := n.msgs.counter("wamp.2." + f.String())
			frame := wsframe.Binary(encodeV2(b, f, 36, 1, 2, dict{}, list{"x"}))
			b.ReportAllocs()
			for b.Loop() {
				*mc.outSlot(framePayload(frame))++
			}
			if mc.out[mc.totals.kinds.out.slot[36]] == 0 {
				b.Fatal("not counted as EVENT")
			}
		})
	}
}
