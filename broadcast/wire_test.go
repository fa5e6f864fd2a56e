package broadcast

import (
	"bytes"
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
	}
	for _, masked := range []bool{true, false} {
		q := newQueue(10, 1<<20)
		for _, p := range pubs {
			q.push(encodeRecord(p))
		}
		buf, first, count := q.batch(frameRoom, 1<<20)
		if first != 1 || count != 3 {
			t.Fatalf("batch first %d count %d", first, count)
		}
		frame := frameIn(buf, masked)
		var sink collect
		p := wsframe.Parser{ServerFrames: !masked}
		if err := p.Feed(frame, &sink); err != nil || len(sink.msgs) != 1 {
			t.Fatalf("masked=%v: parse: %v, %d messages", masked, err, len(sink.msgs))
		}
		r := reader{b: sink.msgs[0][1:]}
		f, n := r.batchHeader()
		if f != 1 || n != 3 {
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

func TestQueueDropsOldestAndKeepsUnwrittenRecords(t *testing.T) {
	q := newQueue(3, 1<<20)
	for i := range 5 {
		if dropped := q.push([]byte{byte('a' + i)}); dropped != (i >= 3) {
			t.Fatalf("push %d: dropped %v", i, dropped)
		}
	}
	if n, d := q.stats(); n != 3 || d != 2 {
		t.Fatalf("queued %d dropped %d, want 3 and 2", n, d)
	}
	buf, first, count := q.batch(0, 2) // at most 2 bytes: two records
	if first != 3 || count != 2 || string(buf[len(buf)-2:]) != "cd" {
		t.Fatalf("batch first %d count %d %q", first, count, buf)
	}
	// The write failed: nothing committed, the same batch comes again.
	buf2, first2, _ := q.batch(0, 2)
	if first2 != 3 || !bytes.Equal(buf, buf2) {
		t.Fatal("an uncommitted batch was not offered again")
	}
	q.commit(first + uint64(count))
	if _, first, count := q.batch(0, 100); first != 5 || count != 1 {
		t.Fatalf("after commit: first %d count %d", first, count)
	}
	// One record bigger than the batch bound still goes out alone.
	q.push(bytes.Repeat([]byte("x"), 10))
	q.commit(6)
	if _, _, count := q.batch(0, 2); count != 1 {
		t.Fatalf("oversized record: count %d", count)
	}
	// The byte bound drops as many of the oldest as a new record needs.
	q = newQueue(100, 10)
	for range 5 {
		q.push([]byte("xx"))
	}
	q.push([]byte("yyyyy"))
	if n, d := q.stats(); n != 3 || d != 3 {
		t.Fatalf("byte bound: queued %d dropped %d, want 3 and 3", n, d)
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
	// realm "r", topic "t", no flags, publication id 1, publisher 0, no
	// args, no kwargs, then the exclude and eligible lists.
	head := []byte{1, 'r', 1, 't', 0, 1, 0, 0, 0}
	for _, tc := range []struct {
		name string
		rec  []byte
	}{
		{"a hostile id count allocates nothing", append(head[:9:9], 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"an id beyond 2^53", append(head[:9:9], 1, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0)},
		{"an empty topic", []byte{1, 'r', 0, 0, 1, 0, 0, 0, 0, 0}},
		{"an empty realm", []byte{0, 1, 't', 0, 1, 0, 0, 0, 0, 0}},
		{"no publication id", []byte{1, 'r', 1, 't', 0, 0, 0, 0, 0, 0, 0}},
		{"an unknown payload format", []byte{1, 'r', 1, 't', 0, 1, 0, 0xf0, 1, '1', 0, 0, 0}},
		{"an empty payload", []byte{1, 'r', 1, 't', 0, 1, 0, 1, 0, 0, 0, 0}},
	} {
		r := reader{b: tc.rec}
		if r.record(); r.err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	r := reader{b: append(head[:9:9], 0, 0)}
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
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) == 0 {
			return
		}
		m := &Mesh{deliver: func(*wamp.Publication) {}}
		l := &link{m: m}
		_ = l.receive(msg) // must not panic or allocate what the input does not hold
	})
}
