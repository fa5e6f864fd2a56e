package wire

import (
	"bytes"
	"encoding/binary"
	"testing"

	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

var v2Protocols = []Protocol{V2JSON, V2MsgPack, V2CBOR}

// decodeV2 decodes msg with the node's serializer.
func decodeV2(t testing.TB, p Protocol, msg []byte) v2.Message {
	t.Helper()
	var m v2.Message
	if err := v2.SerializerFor(p.Format()).DecodeInto(msg, &m); err != nil {
		t.Fatalf("%s: decoding %q: %v", p, msg, err)
	}
	return m
}

// encodeV2 encodes m with the node's serializer.
func encodeV2(t testing.TB, p Protocol, m *v2.Message) []byte {
	t.Helper()
	b, err := v2.SerializerFor(p.Format()).Append(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// argsOf returns the raw first element of m's Arguments.
func argsOf(t testing.TB, p Protocol, m v2.Message) []byte {
	t.Helper()
	var el [1][]byte
	if n, err := value.ListElements(p.Format(), m.Args, el[:]); err != nil || n != 1 {
		t.Fatalf("%s: args %q: %d elements, %v", p, m.Args, n, err)
	}
	return el[0]
}

func TestProtocolNames(t *testing.T) {
	for _, name := range []string{"wamp", "wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor"} {
		p, err := ParseProtocol(name)
		if err != nil || p.String() != name {
			t.Fatalf("%s: %v %v", name, p, err)
		}
	}
	if p, err := ParseProtocol(""); err != nil || p != V1 {
		t.Fatalf("empty: %v %v", p, err)
	}
	if _, err := ParseProtocol("wamp.2.ubjson"); err == nil {
		t.Fatal("unknown protocol accepted")
	}
	if V2JSON.OpCode() != 1 || V2MsgPack.OpCode() != 2 || V2CBOR.OpCode() != 2 || V1.OpCode() != 1 {
		t.Fatal("opcodes")
	}
}

func TestSetupMessages(t *testing.T) {
	for _, p := range v2Protocols {
		h := decodeV2(t, p, Hello(p, "realm1"))
		roles, _ := h.Dict["roles"].(map[string]any)
		if h.Type != v2.Hello || h.URI != "realm1" || len(roles) != 4 || roles["subscriber"] == nil {
			t.Fatalf("%s: HELLO %+v", p, h)
		}
		s := decodeV2(t, p, Subscribe(p, "bench/t"))
		if s.Type != v2.Subscribe || s.Request != 1 || s.URI != "bench/t" || len(s.Dict) != 0 {
			t.Fatalf("%s: SUBSCRIBE %+v", p, s)
		}
		r := decodeV2(t, p, Register(p, "bench.echo", true))
		if r.Type != v2.Register || r.URI != "bench.echo" || r.Dict["invoke"] != "roundrobin" {
			t.Fatalf("%s: REGISTER %+v", p, r)
		}
		if r := decodeV2(t, p, Register(p, "bench.echo", false)); len(r.Dict) != 0 {
			t.Fatalf("%s: single REGISTER %+v", p, r)
		}
		for _, m := range [][]byte{Hello(p, "r"), Subscribe(p, "t"), Register(p, "x", true)} {
			typ, ok := TypeOf(p, m)
			if want := decodeV2(t, p, m).Type; !ok || typ != int(want) {
				t.Fatalf("%s: TypeOf %d %v, want %d", p, typ, ok, want)
			}
		}
	}
	if got := Subscribe(V1, "bench/t"); string(got) != `[5,"bench/t"]` {
		t.Fatalf("v1 subscribe %s", got)
	}
}

// TestStampedPublishAndEvent builds PUBLISH in every serializer, checks
// it with the node's decoder, and reads the stamp back from EVENTs of the
// shapes a router may send.
func TestStampedPublishAndEvent(t *testing.T) {
	const ts, seq = 1_700_000_000_123_456_789, 4242
	for _, p := range v2Protocols {
		for _, size := range []int{0, MinEventSize, 128, 300, 4096} {
			pub := NewPublicationFor(p, "bench/t", 7, size)
			m := decodeV2(t, p, pub.Stamp(ts, seq))
			if m.Type != v2.Publish || m.URI != "bench/t" || m.Request != RequestID(seq) || len(m.Dict) != 0 || m.Kwargs != nil {
				t.Fatalf("%s %d: PUBLISH %+v", p, size, m)
			}
			arg := argsOf(t, p, m)
			if want := max(size, MinEventSize); len(arg) != want {
				t.Fatalf("%s %d: argument is %d bytes", p, size, len(arg))
			}
			text, ok := value.Text(p.Format(), arg)
			if !ok {
				t.Fatalf("%s %d: argument %q is not a string", p, size, arg)
			}
			if gts, gseq, gpub, ok := parseStamp([]byte(text)); !ok || gts != ts || gseq != seq || gpub != 7 {
				t.Fatalf("%s %d: stamp %q", p, size, text)
			}
			// The EVENT a router sends, with details and kwargs as a pattern
			// subscription and a disclosed publisher would have them.
			for _, ev := range []v2.Message{
				{Type: v2.Event, Request: 1, ID: 2, Args: m.Args},
				{Type: v2.Event, Request: v2.MaxID, ID: v2.MaxID - 1, Args: m.Args,
					Dict:   map[string]any{"topic": "bench/t", "publisher": uint64(99), "x": []any{1.5, map[string]any{"]": "}"}, []byte{0, 1}}},
					Kwargs: encodeV2Value(t, p, map[string]any{"k": []any{"v"}})},
			} {
				frame := encodeV2(t, p, &ev)
				gts, gseq, gpub, ok := ParseEventFor(p, frame)
				if !ok || gts != ts || gseq != seq || gpub != 7 {
					t.Fatalf("%s %d: ParseEventFor(%q) = %d %d %d %v", p, size, frame, gts, gseq, gpub, ok)
				}
			}
		}
		// Ids stay the same width: the sentinel is replaced in place.
		pub := NewPublicationFor(p, "t", 1, 128)
		l := len(pub.Stamp(0, 0))
		if l2 := len(pub.Stamp(ts, 999_999_999)); l2 != l {
			t.Fatalf("%s: length changed %d → %d", p, l, l2)
		}
		if m := decodeV2(t, p, pub.Stamp(ts, 999_999_999)); m.Request != RequestID(999_999_999) {
			t.Fatalf("%s: request %d", p, m.Request)
		}
	}
	if pub := NewPublicationFor(V1, "bench/t", 7, 128); !bytes.HasSuffix(pub.Stamp(ts, seq), []byte(`",true]`)) {
		t.Fatal("v1 publication is not the excludeMe form")
	}
}

func encodeV2Value(t testing.TB, p Protocol, v any) []byte {
	t.Helper()
	b, err := value.Append(p.Format(), nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseEventForeignEncodings reads events encoded as other routers'
// libraries may: JSON with spaces, MessagePack with wide integers and the
// old raw (str16) or bin strings, CBOR with wide heads.
func TestParseEventForeignEncodings(t *testing.T) {
	content := stampContent(3, 126)
	putFixed(content[1:1+tsDigits], 123)
	putFixed(content[1+tsDigits+1:1+tsDigits+1+seqDigits], 45)
	u64 := func(tag byte, v uint64) []byte {
		b := []byte{tag, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint64(b[1:], v)
		return b
	}
	var mp []byte
	mp = append(mp, 0xdc, 0, 5, 0xd0, 36) // array16, int8 36
	mp = append(mp, u64(0xcf, 1<<53)...)
	mp = append(mp, u64(0xd3, 77)...)
	mp = append(mp, 0x81, 0xa1, 'x', 0xcb, 0, 0, 0, 0, 0, 0, 0, 0) // {"x": 0.0}
	mp = append(mp, 0x91, 0xda, 0, byte(len(content)))
	mp = append(mp, content...)
	var mpBin []byte
	mpBin = append(mpBin, 0x95, 36, 1, 2, 0x80, 0x92, 0xc4, byte(len(content)))
	mpBin = append(mpBin, content...)
	mpBin = append(mpBin, 0xc0)
	var cb []byte
	cb = append(cb, 0x85, 0x18, 36, 0x1b, 0, 0x20, 0, 0, 0, 0, 0, 0, 0x1a, 0, 0, 0, 9)
	cb = append(cb, 0xa1, 0x61, 'x', 0xc1, 0xfb, 0, 0, 0, 0, 0, 0, 0, 0) // {"x": tag 1 (0.0)}
	cb = append(cb, 0x81, 0x78, byte(len(content)))
	cb = append(cb, content...)
	js := []byte(" [ 36 , 1 ,2, { \"a\" : [ 1, \"]}\\\"\" , {} ] } , [ \"" + string(content) + "\" , null ] , {\"k\":1} ] ")
	for _, tc := range []struct {
		p   Protocol
		msg []byte
	}{{V2MsgPack, mp}, {V2MsgPack, mpBin}, {V2CBOR, cb}, {V2JSON, js}} {
		ts, seq, pub, ok := ParseEventFor(tc.p, tc.msg)
		if !ok || ts != 123 || seq != 45 || pub != 3 {
			t.Fatalf("%s %q: %d %d %d %v", tc.p, tc.msg, ts, seq, pub, ok)
		}
		// No prefix may panic; a prefix that cuts the argument is not
		// an event.
		for cut := 0; cut < len(tc.msg); cut++ {
			if _, _, _, ok := ParseEventFor(tc.p, tc.msg[:cut]); ok && cut < bytes.Index(tc.msg, content)+len(content) {
				t.Fatalf("%s: prefix %d parsed", tc.p, cut)
			}
		}
	}
}

func TestParseEventRejects(t *testing.T) {
	for _, p := range v2Protocols {
		arg := encodeV2Value(t, p, []any{"T1,2,3,"})
		for _, m := range []v2.Message{
			{Type: v2.Published, Request: 1, ID: 2},
			{Type: v2.Subscribed, Request: 1, ID: 2},
			{Type: v2.Event, Request: 1, ID: 2},                                            // no arguments
			{Type: v2.Event, Request: 1, ID: 2, Args: encodeV2Value(t, p, []any{42})},      // not a string
			{Type: v2.Event, Request: 1, ID: 2, Args: encodeV2Value(t, p, []any{"plain"})}, // not stamped
			{Type: v2.Result, Request: 1, Args: arg},
			{Type: v2.Error, ReqType: v2.Call, Request: 1, URI: "wamp.error.x", Args: arg},
		} {
			if _, _, _, ok := ParseEventFor(p, encodeV2(t, p, &m)); ok {
				t.Fatalf("%s: %s parsed as an event", p, m.Type)
			}
		}
		if _, _, _, ok := ParseEventFor(p, encodeV2(t, p, &v2.Message{Type: v2.Event, Request: 1, ID: 2, Args: arg})); !ok {
			t.Fatalf("%s: minimal stamp rejected", p)
		}
	}
}

func TestCallInvocationYieldResult(t *testing.T) {
	const ts = 1_700_000_000_000_000_001
	for _, p := range v2Protocols {
		call := NewCall(p, "bench.echo", 12, 128)
		m := decodeV2(t, p, call.Stamp(ts, 5))
		if m.Type != v2.Call || m.URI != "bench.echo" || m.Request != RequestID(5) || len(argsOf(t, p, m)) != 128 {
			t.Fatalf("%s: CALL %+v", p, m)
		}
		inv := encodeV2(t, p, &v2.Message{Type: v2.Invocation, Request: 77, ID: 88,
			Dict: map[string]any{"caller": uint64(3)}, Args: m.Args, Kwargs: encodeV2Value(t, p, map[string]any{})})
		req, args, ok := ParseInvocation(p, inv)
		if !ok || req != 77 || !bytes.Equal(args, m.Args) {
			t.Fatalf("%s: invocation %d %q %v", p, req, args, ok)
		}
		y := decodeV2(t, p, AppendYield(p, []byte("prefix"), req, args)[len("prefix"):])
		if y.Type != v2.Yield || y.Request != 77 || !bytes.Equal(y.Args, m.Args) || len(y.Dict) != 0 {
			t.Fatalf("%s: YIELD %+v", p, y)
		}
		// Without arguments: a YIELD without arguments.
		req, args, ok = ParseInvocation(p, encodeV2(t, p, &v2.Message{Type: v2.Invocation, Request: 9, ID: 1}))
		if !ok || req != 9 || args != nil {
			t.Fatalf("%s: bare invocation %d %q %v", p, req, args, ok)
		}
		if y := decodeV2(t, p, AppendYield(p, nil, 9, nil)); y.Type != v2.Yield || y.Args != nil {
			t.Fatalf("%s: bare YIELD %+v", p, y)
		}
		res := encodeV2(t, p, &v2.Message{Type: v2.Result, Request: RequestID(5), Args: m.Args})
		if req, gts, ok := ParseResult(p, res); !ok || req != RequestID(5) || gts != ts {
			t.Fatalf("%s: result %d %d %v", p, req, gts, ok)
		}
		if typ, ok := TypeOf(p, res); !ok || typ != MsgV2Result {
			t.Fatalf("%s: type %d", p, typ)
		}
		errMsg := encodeV2(t, p, &v2.Message{Type: v2.Error, ReqType: v2.Call, Request: 5, URI: "wamp.error.no_such_procedure"})
		if _, _, ok := ParseResult(p, errMsg); ok {
			t.Fatalf("%s: ERROR parsed as RESULT", p)
		}
		if rt, req, uri, ok := ParseError(p, errMsg); !ok || rt != MsgV2Call || req != 5 || string(uri) != "wamp.error.no_such_procedure" {
			t.Fatalf("%s: ERROR %d %d %q %v", p, rt, req, uri, ok)
		}
		if _, _, _, ok := ParseError(p, res); ok {
			t.Fatalf("%s: RESULT parsed as ERROR", p)
		}
		if _, _, ok := ParseInvocation(p, res); ok {
			t.Fatalf("%s: RESULT parsed as INVOCATION", p)
		}
	}
}

func TestParsingDoesNotAllocate(t *testing.T) {
	for _, p := range v2Protocols {
		pub := NewPublicationFor(p, "bench/t", 1, 128)
		m := decodeV2(t, p, pub.Stamp(1, 1))
		ev := encodeV2(t, p, &v2.Message{Type: v2.Event, Request: 1 << 40, ID: 1 << 50, Args: m.Args})
		inv := encodeV2(t, p, &v2.Message{Type: v2.Invocation, Request: 3, ID: 4, Args: m.Args})
		buf := make([]byte, 0, 512)
		if n := testing.AllocsPerRun(100, func() {
			_, _, _, _ = ParseEventFor(p, ev)
			req, args, _ := ParseInvocation(p, inv)
			buf = AppendYield(p, buf[:0], req, args)
			_ = pub.Stamp(2, 2)
		}); n != 0 {
			t.Fatalf("%s: %v allocations", p, n)
		}
	}
}

func BenchmarkParseEventV2(b *testing.B) {
	for _, p := range v2Protocols {
		pub := NewPublicationFor(p, "bench/t", 1, 128)
		m := decodeV2(b, p, pub.Stamp(1_700_000_000_000_000_000, 1))
		ev := encodeV2(b, p, &v2.Message{Type: v2.Event, Request: 1 << 40, ID: 1 << 50, Args: m.Args})
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, ok := ParseEventFor(p, ev); !ok {
					b.Fatal("no")
				}
			}
		})
	}
}

func TestSkipString(t *testing.T) {
	for in, want := range map[string]int{
		`"abc",`:        5,
		`"a\"b",`:       6,
		`"a\\",`:        5,
		`"a\\\"b"`:      8,
		`"\\\\"x`:       6,
		`"unterminated`: -1,
		`"a\"`:          -1,
		`x"`:            -1,
	} {
		if got := skipString([]byte(in), 0); got != want {
			t.Errorf("skipString(%s) = %d, want %d", in, got, want)
		}
	}
}
