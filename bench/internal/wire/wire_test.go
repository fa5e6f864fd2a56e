package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/internal/wsframe"
)

func serverFrame(op ws.OpCode, payload []byte) []byte {
	var b bytes.Buffer
	if err := ws.WriteFrame(&b, ws.NewFrame(op, true, payload)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestNextFrameParsesPackedAndPartialFrames(t *testing.T) {
	var stream []byte
	want := []string{"[0,\"abc\",1,\"wampgate\\/1\"]", string(bytes.Repeat([]byte{'z'}, 200)), string(bytes.Repeat([]byte{'y'}, 70000))}
	for _, s := range want {
		stream = append(stream, serverFrame(ws.OpText, []byte(s))...)
	}
	stream = append(stream, serverFrame(ws.OpPing, []byte("p"))...)
	// Feed the stream in every split position of the first frames' region
	// and check that incomplete prefixes never yield a frame.
	for cut := 0; cut < 300; cut++ {
		buf := stream[:cut]
		var got []string
		for {
			_, payload, n, err := NextFrame(buf, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			got = append(got, string(payload))
			buf = buf[n:]
		}
		for i, g := range got {
			if g != want[i] {
				t.Fatalf("cut %d: frame %d = %q", cut, i, g)
			}
		}
	}
	buf := stream
	var ops []ws.OpCode
	for {
		op, _, n, err := NextFrame(buf, 1<<20)
		if err != nil || n == 0 {
			break
		}
		ops = append(ops, op)
		buf = buf[n:]
	}
	if !slices.Equal(ops, []ws.OpCode{ws.OpText, ws.OpText, ws.OpText, ws.OpPing}) || len(buf) != 0 {
		t.Fatalf("ops %v, %d left", ops, len(buf))
	}
}

func TestNextFrameRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
		want  error
	}{
		{"too long", []byte{0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0}, wsframe.ErrTooBig},
		{"masked", wsframe.AppendMasked(nil, ws.OpText, []byte("x"), [4]byte{}), wsframe.ErrMasked},
		{"rsv1", []byte{0xc1, 1, 'x'}, wsframe.ErrReservedBits},
	} {
		if _, _, _, err := NextFrame(tc.frame, 1<<20); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestHandshake(t *testing.T) {
	key := MakeKey([16]byte{1, 2, 3})
	req := AppendRequest(nil, "127.0.0.1:8095", "/", key[:], "wamp")
	if !bytes.Contains(req, []byte("Sec-WebSocket-Protocol: wamp\r\n")) || !bytes.HasSuffix(req, []byte("\r\n\r\n")) {
		t.Fatalf("request %q", req)
	}
	// RFC 6455 §1.3 example.
	if got := AcceptFor([]byte("dGhlIHNhbXBsZSBub25jZQ==")); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept %s", got)
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + AcceptFor(key[:]) + "\r\nSec-WebSocket-Protocol: wamp\r\n\r\n"
	full := []byte(resp + "\x81\x02[]")
	for i := 0; i < len(resp); i++ {
		if n, err := CheckResponse(full[:i], key[:], "wamp"); n != 0 || err != nil {
			t.Fatalf("prefix %d: n=%d err=%v", i, n, err)
		}
	}
	if n, err := CheckResponse(full, key[:], "wamp"); n != len(resp) || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if _, err := CheckResponse(full, key[:], "wamp.2.json"); !errors.Is(err, ErrWrongProtocol) {
		t.Fatalf("protocol: %v", err)
	}
	var se *StatusError
	if _, err := CheckResponse([]byte("HTTP/1.1 503 Busy\r\n\r\n"), key[:], "wamp"); !errors.As(err, &se) || se.Code != 503 {
		t.Fatalf("status: %v", err)
	}
	other := MakeKey([16]byte{9})
	if _, err := CheckResponse(full, other[:], "wamp"); !errors.Is(err, ErrBadAccept) {
		t.Fatalf("accept: %v", err)
	}
}

func TestPublicationAndEvent(t *testing.T) {
	topic := TopicJSON("bench/t")
	for _, size := range []int{0, MinEventSize, MinEventSize + 1, 128, 1000} {
		p := NewPublication(topic, 7, size, true)
		msg := p.Stamp(1_700_000_000_123_456_789, 42)
		var arr []json.RawMessage
		if err := json.Unmarshal(msg, &arr); err != nil || len(arr) != 4 {
			t.Fatalf("size %d: %q: %v", size, msg, err)
		}
		wantSize := max(size, MinEventSize)
		if len(arr[2]) != wantSize {
			t.Fatalf("size %d: event is %d bytes: %s", size, len(arr[2]), arr[2])
		}
		if typ, ok := MessageType(msg); !ok || typ != MsgPublish {
			t.Fatalf("type %d %v", typ, ok)
		}
		// The server may re-encode the topic with escaped slashes and add spaces.
		event := []byte(`[8, "bench\/t", ` + string(arr[2]) + `]`)
		ts, seq, pub, ok := ParseEvent(event)
		if !ok || ts != 1_700_000_000_123_456_789 || seq != 42 || pub != 7 {
			t.Fatalf("parse %q: %d %d %d %v", event, ts, seq, pub, ok)
		}
	}
	for _, bad := range []string{``, `[0,"x",1,"s"]`, `[8,"t","plain"]`, `[8,"t",42]`, `[80,"t","T1,2,3"]`, `[8,"t`} {
		if _, _, _, ok := ParseEvent([]byte(bad)); ok {
			t.Fatalf("parsed %q", bad)
		}
	}
	if typ, ok := MessageType([]byte(` [ 0, "s", 1, "x"]`)); !ok || typ != MsgWelcome {
		t.Fatal("welcome type")
	}
	if got := AppendSubscribe(nil, topic); string(got) != `[5,"bench/t"]` {
		t.Fatalf("subscribe %s", got)
	}
}

func BenchmarkParseEvent(b *testing.B) {
	p := NewPublication(TopicJSON("t"), 1, 128, true)
	msg := p.Stamp(1_700_000_000_000_000_000, 1)
	var arr []json.RawMessage
	_ = json.Unmarshal(msg, &arr)
	ev := []byte(`[8,"t",` + string(arr[2]) + `]`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, _, ok := ParseEvent(ev); !ok {
			b.Fatal("no")
		}
	}
}
