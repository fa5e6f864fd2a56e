package broadcast

import (
	"bytes"
	"log/slog"
	"reflect"
	"testing"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// collect is a wsframe.Sink keeping binary messages.
type collect struct{ msgs [][]byte }

func (c *collect) Message(op ws.OpCode, p []byte) error {
	c.msgs = append(c.msgs, bytes.Clone(p))
	return nil
}
func (c *collect) Control(ws.OpCode, []byte) error { return nil }

// jsonPayload is raw JSON as a payload part.
func jsonPayload(s string) wamp.Payload {
	return wamp.Payload{Raw: []byte(s), Format: value.JSON}
}

// testRecord is a publication of a v1-style event as a record carries it.
func testRecord(topic, event string, exclude, eligible []wamp.ID) *wamp.Publication {
	return &wamp.Publication{Realm: "realm1", Topic: topic, ID: 1, Args: jsonPayload("[" + event + "]"),
		Exclude: exclude, Eligible: eligible}
}

func TestRecordsRoundTripThroughFrames(t *testing.T) {
	big := `"` + string(bytes.Repeat([]byte("x"), 70000)) + `"`
	pubs := []*wamp.Publication{
		{Realm: "realm1", Topic: "http://example.com/t", ID: 1 << 53, PublisherID: 3<<10 | 2,
			Args: jsonPayload(`[{"a":[1,2,"é"]}]`), Exclude: []wamp.ID{3<<10 | 2, 9<<10 | 1}},
		{Realm: "realm2", Topic: "t", ID: 7, Kwargs: jsonPayload(`{"k":null}`), Eligible: []wamp.ID{2}, DiscloseMe: true},
		{Realm: "r", Topic: "big", ID: 12345, Args: jsonPayload(`[` + big + `]`), Kwargs: jsonPayload(`{}`), Retain: true},
		{Realm: "realm1", Topic: "auth", ID: 9, PublisherID: 5 << 10, DiscloseMe: true, Auth: &wamp.PublicationAuth{
			PublisherAuthID: "alice", PublisherAuthRole: "trader", ExcludeAuthID: []string{"bob", ""},
			EligibleAuthRole: []string{"trader", "viewer"}}},
		{Realm: "realm1", Topic: "roles", ID: 10, Auth: &wamp.PublicationAuth{EligibleAuthID: []string{"é"}, ExcludeAuthRole: []string{"anonymous"}}},
		{Realm: "realm1", Topic: "disclosed, no authid", ID: 11, PublisherID: 6 << 10, DiscloseMe: true},
	}
	for _, masked := range []bool{true, false} {
		q := newQueue(10, 1<<20)
		for _, p := range pubs {
			q.push(encodeRecord(p))
		}
		q.rewind(1)
		b := q.next(1, batchLimits{room: frameRoom, maxBatch: 1 << 20, maxMessage: 1 << 21, window: 1 << 21})
		if b.first != 1 || b.count != len(pubs) {
			t.Fatalf("batch first %d count %d", b.first, b.count)
		}
		frame := frameIn(b.buf, masked)
		var sink collect
		p := wsframe.Parser{ServerFrames: !masked}
		if err := p.Feed(frame, &sink); err != nil || len(sink.msgs) != 1 {
			t.Fatalf("masked=%v: parse: %v, %d messages", masked, err, len(sink.msgs))
		}
		r := reader{b: sink.msgs[0][1:]}
		f, n := r.batchHeader()
		if f != 1 || n != uint64(len(pubs)) {
			t.Fatalf("header %d %d", f, n)
		}
		for i, want := range pubs {
			got := r.record()
			want := *want
			want.Relayed = true
			if r.err != nil || !reflect.DeepEqual(*got, want) {
				t.Fatalf("record %d: %v\n got %+v\nwant %+v", i, r.err, got, want)
			}
		}
		if len(r.b) != 0 {
			t.Fatalf("%d trailing bytes", len(r.b))
		}
	}
}

// unbounded lets next take anything.
var unbounded = batchLimits{maxBatch: 1 << 30, maxMessage: 1 << 30, window: 1 << 30}

// records returns the records of a batch message built without headroom.
func records(t *testing.T, b batch) string {
	t.Helper()
	r := reader{b: b.buf[1:]}
	if first, n := r.batchHeader(); first != b.first || n != uint64(b.count) || r.err != nil {
		t.Fatalf("batch header %d %d %v, want %d %d", first, n, r.err, b.first, b.count)
	}
	return string(r.b)
}

func TestQueueDropsOldestAndKeepsUnacknowledgedRecords(t *testing.T) {
	q := newQueue(3, 1<<20)
	q.rewind(1)
	for i := range 5 {
		if dropped, _ := q.push([]byte{byte('a' + i)}); dropped != (i >= 3) {
			t.Fatalf("push %d: dropped %v", i, dropped)
		}
	}
	if st := q.stats(); st.queued != 3 || st.dropped != 2 {
		t.Fatalf("stats %+v, want 3 queued and 2 dropped", st)
	}
	b := q.next(1, batchLimits{maxBatch: 2, maxMessage: 1 << 20, window: 1 << 20}) // two records
	if b.first != 3 || b.count != 2 || records(t, b) != "cd" || b.inFlight != 0 {
		t.Fatalf("batch %+v", b)
	}
	// Sent, not acknowledged: in flight, and the next batch goes on.
	if st := q.stats(); st.queued != 1 || st.unacked != 2 || st.sent != 2 {
		t.Fatalf("after the first batch: %+v", st)
	}
	if b2 := q.next(1, unbounded); b2.first != 5 || records(t, b2) != "e" || b2.inFlight != 2 {
		t.Fatalf("second batch %+v", b2)
	}
	// A full queue drops the oldest even if it is in flight.
	q.push([]byte("f"))
	if st := q.stats(); st.queued != 1 || st.unacked != 2 || st.dropped != 3 {
		t.Fatalf("after dropping an unacknowledged record: %+v", st)
	}
	// A writer holding an older connection's generation gets nothing.
	if b := q.next(0, unbounded); b.count != 0 {
		t.Fatalf("stale generation got %+v", b)
	}
	// The connection broke: a new one starts over from the oldest
	// unacknowledged record, and counts what it sends again.
	q.rewind(2)
	if b := q.next(2, unbounded); b.first != 4 || records(t, b) != "def" {
		t.Fatalf("after rewind %+v", b)
	}
	if st := q.stats(); st.resent != 2 || st.sent != 4 || st.unacked != 3 {
		t.Fatalf("resend counters %+v", st)
	}
	// Acknowledgements free records; old ones are ignored, ones of records
	// never sent are errors.
	if adv, err := q.ack(4); !adv || err != nil {
		t.Fatalf("ack 4: %v %v", adv, err)
	}
	if adv, err := q.ack(2); adv || err != nil {
		t.Fatalf("old ack: %v %v", adv, err)
	}
	if _, err := q.ack(7); err == nil {
		t.Fatal("ack of a record never sent accepted")
	}
	if st := q.stats(); st.queued != 0 || st.unacked != 2 {
		t.Fatalf("after ack 4: %+v", st)
	}
	// The byte bound drops as many of the oldest as a new record needs.
	q = newQueue(100, 10)
	for range 5 {
		q.push([]byte("xx"))
	}
	q.push([]byte("yyyyy"))
	if st := q.stats(); st.queued != 3 || st.dropped != 3 {
		t.Fatalf("byte bound: %+v, want 3 queued and 3 dropped", st)
	}
}

func TestQueueWindowAndMessageBound(t *testing.T) {
	q := newQueue(100, 1<<20)
	q.rewind(1)
	for _, r := range []string{"aaaa", "bbbb", "cccc"} {
		q.push([]byte(r))
	}
	lim := batchLimits{maxBatch: 4, maxMessage: 1 << 10, window: 6}
	// A whole batch goes while the window has room, even past it; then
	// the window holds the rest back until an ack.
	if b := q.next(1, lim); records(t, b) != "aaaa" {
		t.Fatalf("first %+v", b)
	}
	if b := q.next(1, lim); records(t, b) != "bbbb" || b.inFlight != 4 {
		t.Fatalf("second %+v", b)
	}
	if b := q.next(1, lim); b.count != 0 || b.inFlight != 8 {
		t.Fatalf("window full, got %+v", b)
	}
	q.ack(1) // 4 in flight, fewer than the window: the next batch goes
	if b := q.next(1, lim); records(t, b) != "cccc" || b.first != 3 {
		t.Fatalf("after ack %+v", b)
	}
	// A record that can never fit the peer's bound is dropped, counted,
	// and leaves a gap the receiver counts; the batch goes on after it.
	q.push([]byte("ee"))
	q.push(bytes.Repeat([]byte("z"), 100))
	q.push([]byte("dd"))
	small := batchLimits{maxBatch: 1 << 10, maxMessage: batchHeaderRoom + 50, window: 1 << 10}
	b := q.next(1, small)
	if b.first != 4 || records(t, b) != "ee" || b.tooLarge != 0 {
		t.Fatalf("before the large record: %+v", b)
	}
	b = q.next(1, small)
	if b.first != 6 || records(t, b) != "dd" || b.tooLarge != 100 {
		t.Fatalf("after the large record: %+v", b)
	}
	if st := q.stats(); st.tooLarge != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Resent after a rewind, the dropped record stays dropped.
	q.rewind(2)
	if b := q.next(2, small); b.first != 2 || records(t, b) != "bbbbccccee" {
		t.Fatalf("resend %+v", b)
	}
	if b := q.next(2, small); b.first != 6 || records(t, b) != "dd" || b.tooLarge != 0 {
		t.Fatalf("resend after the gap %+v", b)
	}
}

func TestMalformedBatchesAreErrors(t *testing.T) {
	good := appendBatchHeader(nil, 7, 1)
	good = append(good, encodeRecord(testRecord("t", "1", []wamp.ID{5}, nil))...)
	// Every truncation of a valid batch fails cleanly, never panics.
	for i := 1; i < len(good); i++ {
		r := reader{b: good[1:i]}
		if _, n := r.batchHeader(); r.err == nil {
			for range n {
				r.record()
			}
		}
		if r.err == nil && len(r.b) == 0 && i < len(good) {
			t.Fatalf("truncated at %d decoded without error", i)
		}
	}
	// kind p, realm "r", topic "t", no flags, publication id 1, publisher 0, no
	// args, no kwargs, then the exclude and eligible lists.
	head := []byte{recPublication, 1, 'r', 1, 't', 0, 1, 0, 0, 0}
	for _, tc := range []struct {
		name string
		rec  []byte
	}{
		{"a hostile id count allocates nothing", append(head[:10:10], 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"an id beyond 2^53", append(head[:10:10], 1, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0)},
		{"an empty topic", []byte{recPublication, 1, 'r', 0, 0, 1, 0, 0, 0, 0, 0}},
		{"an empty realm", []byte{recPublication, 0, 1, 't', 0, 1, 0, 0, 0, 0, 0}},
		{"no publication id", []byte{recPublication, 1, 'r', 1, 't', 0, 0, 0, 0, 0, 0, 0}},
		{"an unknown payload format", []byte{recPublication, 1, 'r', 1, 't', 0, 1, 0, 0xf0, 1, '1', 0, 0, 0}},
		{"an empty payload", []byte{recPublication, 1, 'r', 1, 't', 0, 1, 0, 1, 0, 0, 0, 0}},
		{"an unknown flag", []byte{recPublication, 1, 'r', 1, 't', 0x80, 1, 0, 0, 0, 0, 0}},
		{"disclose_me without the publisher's authid", []byte{recPublication, 1, 'r', 1, 't', 1, 1, 0, 0, 0, 0, 0}},
		{"auth filters cut short", []byte{recPublication, 1, 'r', 1, 't', 4, 1, 0, 0, 0, 0, 0, 1, 1, 'a', 0}},
		{"a hostile string count allocates nothing", []byte{recPublication, 1, 'r', 1, 't', 4, 1, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	} {
		r := reader{b: tc.rec}
		if r.record(); r.err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	r := reader{b: append(head[:10:10], 0, 0)}
	if pub := r.record(); r.err != nil || pub.Topic != "t" || pub.Args.Present() || pub.Kwargs.Present() {
		t.Errorf("minimal record: %+v, %v", pub, r.err)
	}
}

func TestProofsBindRoleNoncesAndNodes(t *testing.T) {
	na, nd := newNonce(), newNonce()
	p := proof("s", roleDialer, na, nd, "a:1", "b:2")
	if !validProof(p, proof("s", roleDialer, na, nd, "a:1", "b:2")) {
		t.Fatal("same inputs, different proof")
	}
	for name, other := range map[string][]byte{
		"secret":   proof("t", roleDialer, na, nd, "a:1", "b:2"),
		"role":     proof("s", roleAcceptor, na, nd, "a:1", "b:2"),
		"nonce":    proof("s", roleDialer, newNonce(), nd, "a:1", "b:2"),
		"dialer":   proof("s", roleDialer, na, nd, "a:3", "b:2"),
		"acceptor": proof("s", roleDialer, na, nd, "a:1", "b:3"),
	} {
		if validProof(p, other) {
			t.Errorf("a different %s gives the same proof", name)
		}
	}
}

func FuzzBatch(f *testing.F) {
	good := appendBatchHeader(nil, 1, 2)
	good = append(good, encodeRecord(testRecord("t", `"x"`, nil, nil))...)
	good = append(good, encodeRecord(testRecord("u", `{"a":1}`, []wamp.ID{1, 2}, []wamp.ID{3}))...)
	f.Add(good)
	auth := testRecord("v", "1", nil, nil)
	auth.DiscloseMe, auth.PublisherID = true, 1<<10
	auth.Auth = &wamp.PublicationAuth{PublisherAuthID: "alice", PublisherAuthRole: "trader",
		ExcludeAuthID: []string{"bob"}, EligibleAuthRole: []string{"trader", "viewer"}}
	f.Add(append(appendBatchHeader(nil, 1, 1), encodeRecord(auth)...))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) == 0 {
			return
		}
		m := &Mesh{deliver: func(*wamp.Publication) {}, log: slog.New(slog.DiscardHandler)}
		// A link has its queue: an interest record is acknowledged through it.
		l := &link{m: m, q: newQueue(16, 1<<20)}
		_ = l.receive(msg) // must not panic or allocate what the input does not hold
	})
}

// FuzzPeerMessage feeds any message to the decoders of an authenticated
// link (batches and acknowledgements, against a queue with records in
// flight) and of the handshake (hello, challenge).
func FuzzPeerMessage(f *testing.F) {
	good := appendBatchHeader(nil, 1, 1)
	good = append(good, encodeRecord(testRecord("t", `"x"`, []wamp.ID{7}, nil))...)
	f.Add(good)
	f.Add(appendAck(nil, 3))
	f.Add(appendAck(nil, 1<<40))
	f.Add(appendHello([]byte{msgHello}, hello{nonce: newNonce(), node: "127.0.0.1:1", boot: 9, maxMessage: 1 << 20}))
	f.Add(append(appendHello([]byte{msgChallenge}, hello{nonce: newNonce(), node: "n", maxMessage: 1 << 31}), make([]byte, 32)...))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) == 0 {
			return
		}
		m := &Mesh{deliver: func(*wamp.Publication) {}, log: slog.New(slog.DiscardHandler)}
		l := &link{m: m, q: newQueue(16, 1<<20)}
		l.q.rewind(1)
		for range 5 {
			l.q.push([]byte("rec"))
		}
		l.q.next(1, unbounded) // five records in flight
		_ = l.handle(msg)      // must not panic, nor allocate what msg does not hold
		if st := l.q.stats(); st.unacked+st.queued > 5 {
			t.Fatalf("an acknowledgement added records: %+v", st)
		}
		r := reader{b: msg[1:]}
		if h := r.hello(); r.err == nil && (h.maxMessage < minPeerMessage || len(h.nonce) != nonceSize) {
			t.Fatalf("hello %+v accepted", h)
		}
		r.fixed(32)
	})
}
