package v2

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/wamp/value"
)

var allSerializers = []Serializer{SerializerFor(value.JSON), SerializerFor(value.MsgPack), SerializerFor(value.CBOR)}

func decode(t testing.TB, s Serializer, msg []byte) *Message {
	t.Helper()
	var m Message
	if err := s.DecodeInto(msg, &m); err != nil {
		t.Fatalf("%s: DecodeInto(%q): %v", s.Format(), msg, err)
	}
	return &m
}

func encode(t testing.TB, s Serializer, m *Message) []byte {
	t.Helper()
	b, err := s.Append(nil, m)
	if err != nil {
		t.Fatalf("%s: Append(%+v): %v", s.Format(), m, err)
	}
	return b
}

// raw encodes a neutral value in format f.
func raw(t testing.TB, f value.Format, v any) []byte {
	t.Helper()
	b, err := value.Append(f, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameMessage reports how a and b differ, "" when they are the same.
func sameMessage(a, b *Message) string {
	switch {
	case a.Type != b.Type:
		return "Type"
	case a.ReqType != b.ReqType:
		return "ReqType"
	case a.Request != b.Request:
		return "Request"
	case a.ID != b.ID:
		return "ID"
	case !value.Equal(a.Dict, b.Dict) && len(a.Dict)+len(b.Dict) > 0:
		return "Dict"
	case a.URI != b.URI:
		return "URI"
	case !bytes.Equal(a.Args, b.Args) || (a.Args == nil) != (b.Args == nil):
		return "Args"
	case !bytes.Equal(a.Kwargs, b.Kwargs) || (a.Kwargs == nil) != (b.Kwargs == nil):
		return "Kwargs"
	}
	return ""
}

func TestSerializerFor(t *testing.T) {
	for _, tc := range []struct {
		f      value.Format
		binary bool
	}{{value.JSON, false}, {value.MsgPack, true}, {value.CBOR, true}} {
		s := SerializerFor(tc.f)
		if s == nil || s.Format() != tc.f || s.Binary() != tc.binary {
			t.Errorf("SerializerFor(%s) = %v", tc.f, s)
		}
	}
	for _, f := range []value.Format{0, 4, 200} {
		if s := SerializerFor(f); s != nil {
			t.Errorf("SerializerFor(%d) = %v, want nil", f, s)
		}
	}
}

// TestJSONExactBytes decodes the spec's examples and encodes them back to
// the same bytes.
func TestJSONExactBytes(t *testing.T) {
	s := SerializerFor(value.JSON)
	for _, tc := range []struct {
		msg  string
		want Message
	}{
		{`[1,"somerealm",{"roles":{"publisher":{},"subscriber":{}}}]`,
			Message{Type: Hello, URI: "somerealm", Dict: map[string]any{"roles": map[string]any{"publisher": map[string]any{}, "subscriber": map[string]any{}}}}},
		{`[2,9129137332,{"roles":{"broker":{}}}]`,
			Message{Type: Welcome, Request: 9129137332, Dict: map[string]any{"roles": map[string]any{"broker": map[string]any{}}}}},
		{`[3,{"message":"The realm does not exist."},"wamp.error.no_such_realm"]`,
			Message{Type: Abort, URI: ErrNoSuchRealm, Dict: map[string]any{"message": "The realm does not exist."}}},
		{`[4,"wampcra",{"challenge":"{\"nonce\":\"LHRTC9zeOIrt_9U3\"}"}]`,
			Message{Type: Challenge, URI: "wampcra", Dict: map[string]any{"challenge": `{"nonce":"LHRTC9zeOIrt_9U3"}`}}},
		{`[5,"gir1mSx+deCDUV7wRM5SGIn/+R/ClqLZuH4m7FJeBVI=",{}]`,
			Message{Type: Authenticate, URI: "gir1mSx+deCDUV7wRM5SGIn/+R/ClqLZuH4m7FJeBVI="}},
		{`[6,{},"wamp.close.goodbye_and_out"]`, Message{Type: Goodbye, URI: CloseGoodbyeAndOut}},
		{`[8,48,7814135,{},"com.myapp.error.object_write_protected",["Object is write protected."],{"severity":3}]`,
			Message{Type: Error, ReqType: Call, Request: 7814135, URI: "com.myapp.error.object_write_protected",
				Args: []byte(`["Object is write protected."]`), Kwargs: []byte(`{"severity":3}`)}},
		{`[8,32,713845233,{},"wamp.error.not_authorized"]`, Message{Type: Error, ReqType: Subscribe, Request: 713845233, URI: ErrNotAuthorized}},
		{`[16,239714735,{},"com.myapp.mytopic1",[],{"color":"orange","sizes":[23,42,7]}]`,
			Message{Type: Publish, Request: 239714735, URI: "com.myapp.mytopic1", Args: []byte(`[]`), Kwargs: []byte(`{"color":"orange","sizes":[23,42,7]}`)}},
		{`[16,239714735,{"acknowledge":true,"exclude":[7891255,1245751]},"com.myapp.mytopic1",["Hello, world!"]]`,
			Message{Type: Publish, Request: 239714735, URI: "com.myapp.mytopic1", Args: []byte(`["Hello, world!"]`),
				Dict: map[string]any{"acknowledge": true, "exclude": []any{int64(7891255), int64(1245751)}}}},
		{`[17,239714735,4429313566]`, Message{Type: Published, Request: 239714735, ID: 4429313566}},
		{`[32,713845233,{"match":"prefix"},"com.myapp"]`, Message{Type: Subscribe, Request: 713845233, URI: "com.myapp", Dict: map[string]any{"match": "prefix"}}},
		{`[33,713845233,5512315355]`, Message{Type: Subscribed, Request: 713845233, ID: 5512315355}},
		{`[34,85346237,5512315355]`, Message{Type: Unsubscribe, Request: 85346237, ID: 5512315355}},
		{`[35,85346237]`, Message{Type: Unsubscribed, Request: 85346237}},
		{`[35,0,{"reason":"wamp.authentication.lost","subscription":5512315355}]`,
			Message{Type: Unsubscribed, Dict: map[string]any{"reason": "wamp.authentication.lost", "subscription": int64(5512315355)}}},
		{`[36,5512315355,4429313566,{},["Hello, world!"]]`,
			Message{Type: Event, Request: 5512315355, ID: 4429313566, Args: []byte(`["Hello, world!"]`)}},
		{`[36,5512315355,4429313566,{"publisher":3335656,"topic":"com.myapp.topic1"}]`,
			Message{Type: Event, Request: 5512315355, ID: 4429313566, Dict: map[string]any{"publisher": int64(3335656), "topic": "com.myapp.topic1"}}},
		{`[48,7814135,{},"com.myapp.ping"]`, Message{Type: Call, Request: 7814135, URI: "com.myapp.ping"}},
		{`[48,7814135,{"receive_progress":true,"timeout":1000},"com.myapp.echo",["Hello, world!"],{"x":1}]`,
			Message{Type: Call, Request: 7814135, URI: "com.myapp.echo", Dict: map[string]any{"receive_progress": true, "timeout": int64(1000)},
				Args: []byte(`["Hello, world!"]`), Kwargs: []byte(`{"x":1}`)}},
		{`[49,7814135,{"mode":"kill"}]`, Message{Type: Cancel, Request: 7814135, Dict: map[string]any{"mode": "kill"}}},
		{`[50,7814135,{},[30]]`, Message{Type: Result, Request: 7814135, Args: []byte(`[30]`)}},
		{`[50,7814135,{"progress":true}]`, Message{Type: Result, Request: 7814135, Dict: map[string]any{"progress": true}}},
		{`[64,25349185,{"invoke":"roundrobin"},"com.myapp.myprocedure1"]`,
			Message{Type: Register, Request: 25349185, URI: "com.myapp.myprocedure1", Dict: map[string]any{"invoke": "roundrobin"}}},
		{`[65,25349185,2103333224]`, Message{Type: Registered, Request: 25349185, ID: 2103333224}},
		{`[66,788923562,2103333224]`, Message{Type: Unregister, Request: 788923562, ID: 2103333224}},
		{`[67,788923562]`, Message{Type: Unregistered, Request: 788923562}},
		{`[68,6131533,9823527,{},["Hello, world!"]]`,
			Message{Type: Invocation, Request: 6131533, ID: 9823527, Args: []byte(`["Hello, world!"]`)}},
		{`[69,6131533,{"mode":"killnowait"}]`, Message{Type: Interrupt, Request: 6131533, Dict: map[string]any{"mode": "killnowait"}}},
		{`[70,6131533,{},["Hello, world!"]]`, Message{Type: Yield, Request: 6131533, Args: []byte(`["Hello, world!"]`)}},
		{`[16,9007199254740992,{},"t"]`, Message{Type: Publish, Request: MaxID, URI: "t"}},
	} {
		m := decode(t, s, []byte(tc.msg))
		if d := sameMessage(m, &tc.want); d != "" {
			t.Errorf("DecodeInto(%s): %s differs: got %+v, want %+v", tc.msg, d, m, tc.want)
		}
		if got := encode(t, s, &tc.want); string(got) != tc.msg {
			t.Errorf("Append(%+v) = %s, want %s", tc.want, got, tc.msg)
		}
	}
}

// TestJSONWhitespace: whitespace between elements is accepted, and raw
// arguments are written back as they came.
func TestJSONWhitespace(t *testing.T) {
	s := SerializerFor(value.JSON)
	m := decode(t, s, []byte(" [ 36 , 1 ,2, { } ,\n[ \"a\" ] ]\n"))
	want := Message{Type: Event, Request: 1, ID: 2, Args: []byte(`[ "a" ]`)}
	if d := sameMessage(m, &want); d != "" {
		t.Fatalf("%s differs: %+v", d, m)
	}
	if got := encode(t, s, m); string(got) != `[36,1,2,{},[ "a" ]]` {
		t.Errorf("re-encoded as %s", got)
	}
}

// everyType has one message of each type with every element present.
func everyType(t testing.TB, f value.Format) []Message {
	a := raw(t, f, []any{"a", int64(1), []byte{0, 1, 2}, map[string]any{"k": 1.5}})
	kw := raw(t, f, map[string]any{"k": []any{true, nil}})
	d := map[string]any{"x": "y", "n": int64(-3), "b": []byte{9}, "l": []any{int64(1) << 60}}
	return []Message{
		{Type: Hello, URI: "realm1", Dict: d},
		{Type: Welcome, Request: 1, Dict: d},
		{Type: Abort, Dict: d, URI: ErrNoSuchRealm},
		{Type: Challenge, URI: "ticket", Dict: d},
		{Type: Authenticate, URI: "secret", Dict: d},
		{Type: Goodbye, Dict: d, URI: CloseSystemShutdown},
		{Type: Error, ReqType: Invocation, Request: MaxID, Dict: d, URI: "app.error", Args: a, Kwargs: kw},
		{Type: Publish, Request: 2, Dict: d, URI: "t", Args: a, Kwargs: kw},
		{Type: Published, Request: 2, ID: 3},
		{Type: Subscribe, Request: 4, Dict: d, URI: "t"},
		{Type: Subscribed, Request: 4, ID: 5},
		{Type: Unsubscribe, Request: 6, ID: 5},
		{Type: Unsubscribed, Request: 0, Dict: d},
		{Type: Event, Request: 5, ID: 3, Dict: d, Args: a, Kwargs: kw},
		{Type: Call, Request: 7, Dict: d, URI: "p", Args: a, Kwargs: kw},
		{Type: Cancel, Request: 7, Dict: d},
		{Type: Result, Request: 7, Dict: d, Args: a, Kwargs: kw},
		{Type: Register, Request: 8, Dict: d, URI: "p"},
		{Type: Registered, Request: 8, ID: 9},
		{Type: Unregister, Request: 10, ID: 9},
		{Type: Unregistered, Request: 0, Dict: d},
		{Type: Invocation, Request: 11, ID: 9, Dict: d, Args: a, Kwargs: kw},
		{Type: Interrupt, Request: 11, Dict: d},
		{Type: Yield, Request: 11, Dict: d, Args: a, Kwargs: kw},
	}
}

func TestRoundTripEveryType(t *testing.T) {
	for _, s := range allSerializers {
		msgs := everyType(t, s.Format())
		if len(msgs) != 24 {
			t.Fatalf("%d message types, want 24", len(msgs))
		}
		for _, m := range msgs {
			// Full, then with each optional element dropped from the end.
			for variant := 0; variant < 3; variant++ {
				m := m
				switch variant {
				case 1:
					m.Kwargs = nil
				case 2:
					m.Kwargs, m.Args = nil, nil
					if m.Type == Unsubscribed || m.Type == Unregistered {
						m.Dict = nil
					}
				}
				b := encode(t, s, &m)
				got := decode(t, s, b)
				if d := sameMessage(got, &m); d != "" {
					t.Errorf("%s %s variant %d: %s differs after a round trip:\n got %+v\nwant %+v", s.Format(), m.Type, variant, d, got, m)
				}
				if again := encode(t, s, got); !bytes.Equal(again, b) {
					t.Errorf("%s %s: re-encoding differs", s.Format(), m.Type)
				}
			}
		}
	}
}

// TestKwargsWithoutArgs: ArgumentsKw needs Arguments before it; an absent
// Args is written as an empty list.
func TestKwargsWithoutArgs(t *testing.T) {
	s := SerializerFor(value.JSON)
	got := encode(t, s, &Message{Type: Yield, Request: 1, Kwargs: []byte(`{"a":1}`)})
	if string(got) != `[70,1,{},[],{"a":1}]` {
		t.Errorf("got %s", got)
	}
}

// TestBinaryAcrossFormats: a byte string published over MessagePack or
// CBOR reaches a JSON subscriber as "\u0000" + base64, and back.
func TestBinaryAcrossFormats(t *testing.T) {
	js := SerializerFor(value.JSON)
	for _, s := range allSerializers[1:] {
		f := s.Format()
		pub := encode(t, s, &Message{Type: Publish, Request: 1, URI: "t",
			Args: raw(t, f, []any{[]byte{0x10, 0xe3, 0xff}, "text"}), Kwargs: raw(t, f, map[string]any{"blob": []byte{1, 2, 3}})})
		m := decode(t, s, pub)
		if k := value.KindOf(f, m.Args[1:]); k != value.Bytes { // first element
			t.Fatalf("%s: first argument is a %s", f, k)
		}
		args, err := value.Convert(nil, m.Args, f, value.JSON)
		if err != nil {
			t.Fatal(err)
		}
		kwargs, err := value.Convert(nil, m.Kwargs, f, value.JSON)
		if err != nil {
			t.Fatal(err)
		}
		ev := encode(t, js, &Message{Type: Event, Request: 5, ID: 6, Args: args, Kwargs: kwargs})
		if want := `[36,5,6,{},["\u0000EOP/","text"],{"blob":"\u0000AQID"}]`; string(ev) != want {
			t.Errorf("%s → json EVENT = %s, want %s", f, ev, want)
		}

		// And a JSON publisher's binary reaches this serializer as bytes.
		jm := decode(t, js, []byte(`[16,1,{},"t",["\u0000EOP/"]]`))
		back, err := value.Convert(nil, jm.Args, value.JSON, f)
		if err != nil {
			t.Fatal(err)
		}
		em := decode(t, s, encode(t, s, &Message{Type: Event, Request: 5, ID: 6, Args: back}))
		v, err := value.Decode(f, em.Args)
		if err != nil || !value.Equal(v, []any{[]byte{0x10, 0xe3, 0xff}}) {
			t.Errorf("json → %s: args %#v, %v", f, v, err)
		}
	}
	// Binary in a Dict works the same way.
	m := decode(t, js, []byte(`[1,"realm1",{"authextra":{"pubkey":"\u0000AQID"}}]`))
	if !value.Equal(m.Dict, map[string]any{"authextra": map[string]any{"pubkey": []byte{1, 2, 3}}}) {
		t.Errorf("binary in HELLO details: %#v", m.Dict)
	}
}

func TestDecodeRejects(t *testing.T) {
	deepArgs := []byte(`[16,1,{},"t",` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `]`)
	for _, tc := range []struct {
		msg  string
		want string
	}{
		{``, "message is not a valid json list: json: unexpected end of JSON at offset 0"},
		{`{"0":16}`, "message is not a valid json list: json: not a list at offset 0"},
		{`[16,1,{},"t"] x`, "message is not a valid json list: json: unexpected data after JSON value at offset 14"},
		{"[16,1,{},\"t\",[\"\xff\"]]", "message is not a valid json list: json: invalid UTF-8 in string at offset 15"},
		{string(deepArgs), "message is not a valid json list: json: nesting deeper than 64 at offset 77"},
		{`[16,1,{},"t",["\u0000!"]]`, "message is not a valid json list: json: invalid base64 in binary string at offset 14"},
		{`[]`, "empty message"},
		{`["16",1,{},"t"]`, "message type must be an integer, got string"},
		{`[16.0,1,{},"t"]`, "message type must be an integer, got float"},
		{`[-16,1,{},"t"]`, "message type must be an integer, got integer -16"},
		{`[99,1]`, "unknown message type 99"},
		{`[7,{}]`, "unknown message type 7"},
		{`[300,1]`, "unknown message type 300"},
		{`[16,1,{},"t",[],{},5]`, "PUBLISH: has 7 elements, want 4 to 6"},
		{`[32,1,{}]`, "SUBSCRIBE: has 3 elements, want 4"},
		{`[1]`, "HELLO: has 1 elements, want 3"},
		{`[35]`, "UNSUBSCRIBED: has 1 elements, want 2 to 3"},
		{`[32,"1",{},"t"]`, "SUBSCRIBE: Request must be an integer in [0, 2^53], got string"},
		{`[32,-1,{},"t"]`, "SUBSCRIBE: Request must be an integer in [0, 2^53], got integer -1"},
		{`[32,1.5,{},"t"]`, "SUBSCRIBE: Request must be an integer in [0, 2^53], got float"},
		{`[32,9007199254740993,{},"t"]`, "SUBSCRIBE: Request must be an integer in [0, 2^53], got integer 9007199254740993"},
		{`[32,null,{},"t"]`, "SUBSCRIBE: Request must be an integer in [0, 2^53], got null"},
		{`[34,1,true]`, "UNSUBSCRIBE: SUBSCRIBED.Subscription must be an integer in [0, 2^53], got bool"},
		{`[32,1,[],"t"]`, "SUBSCRIBE: Options must be a dict, got list"},
		{`[32,1,null,"t"]`, "SUBSCRIBE: Options must be a dict, got null"},
		{`[32,1,{},1]`, "SUBSCRIBE: Topic must be a string, got integer 1"},
		{`[32,1,{},["t"]]`, "SUBSCRIBE: Topic must be a string, got list"},
		{`[32,1,{},"\u0000AQ=="]`, "SUBSCRIBE: Topic must be a string, got binary"},
		{`[1,{},"realm"]`, "HELLO: Realm must be a string, got dict"},
		{`[16,1,{},"t",{}]`, "PUBLISH: Arguments must be a list, got dict"},
		{`[16,1,{},"t","a"]`, "PUBLISH: Arguments must be a list, got string"},
		{`[16,1,{},"t",[],[]]`, "PUBLISH: ArgumentsKw must be a dict, got list"},
		{`[8,36,1,{},"e"]`, "ERROR: REQUEST.Type 36 is not a request type"},
		{`[8,49,1,{},"e"]`, "ERROR: REQUEST.Type 49 is not a request type"},
		{`[8,300,1,{},"e"]`, "ERROR: REQUEST.Type 300 is not a request type"},
		{`[8,"x",1,{},"e"]`, "ERROR: REQUEST.Type must be an integer, got string"},
		{`[8,48,1,{},"e",[],{},1]`, "ERROR: has 8 elements, want 5 to 7"},
		{`[70,1,{},{}]`, "YIELD: Arguments must be a list, got dict"},
	} {
		var m Message
		err := SerializerFor(value.JSON).DecodeInto([]byte(tc.msg), &m)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("DecodeInto(%s) = %v, want a *DecodeError", tc.msg, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("DecodeInto(%s) error\n got %q\nwant %q", tc.msg, err, tc.want)
		}
	}
}

// TestDecodeRejectsBinaryFormats: the binary formats' own ways to be
// wrong, and the schema errors in them.
func TestDecodeRejectsBinaryFormats(t *testing.T) {
	for _, tc := range []struct {
		f    value.Format
		msg  []byte
		want string
	}{
		{value.MsgPack, []byte{0x94, 0x20, 0x01, 0x81, 0x01, 0x01, 0xa1, 't'}, "message is not a valid msgpack list: msgpack: dict key is not a string at offset 4"},
		{value.MsgPack, []byte{0x94, 0x20, 0x01, 0x80, 0xc4, 0x01, 't'}, "SUBSCRIBE: Topic must be a string, got binary"},
		{value.MsgPack, []byte{0x94, 0xcb, 0x40, 0x40, 0, 0, 0, 0, 0, 0, 0x01, 0x80, 0xa1, 't'}, "message type must be an integer, got float"},
		{value.MsgPack, []byte{0x94, 0x20, 0xd6, 0xff, 0, 0, 0, 0, 0x80, 0xa1, 't'}, "message is not a valid msgpack list: msgpack: extension type 0xd6 is not supported at offset 2"},
		{value.MsgPack, []byte{0x94, 0x20, 0x01, 0x80}, "message is not a valid msgpack list: msgpack: unexpected end of data at offset 4"},
		{value.MsgPack, []byte{0x81, 0xa1, 'a', 0x01}, "message is not a valid msgpack list: msgpack: not a list at offset 0"},
		{value.CBOR, []byte{0x84, 0x18, 0x20, 0x01, 0xa1, 0x01, 0x01, 0x61, 't'}, "message is not a valid cbor list: cbor: dict key is not a text string at offset 5"},
		{value.CBOR, []byte{0x84, 0x18, 0x20, 0x01, 0xa0, 0xc0, 0x61, 't'}, "message is not a valid cbor list: cbor: tags are not supported at offset 5"},
		{value.CBOR, []byte{0x9f, 0x18, 0x20, 0x01, 0xa0, 0x61, 't', 0xff}, "message is not a valid cbor list: cbor: indefinite-length items are not supported at offset 0"},
		{value.CBOR, []byte{0x84, 0x18, 0x20, 0x20, 0xa0, 0x61, 't'}, "SUBSCRIBE: Request must be an integer in [0, 2^53], got integer -1"},
		{value.CBOR, []byte{0x84, 0x18, 0x20, 0x1b, 0, 0x20, 0, 0, 0, 0, 0, 1, 0xa0, 0x61, 't'}, "SUBSCRIBE: Request must be an integer in [0, 2^53], got integer 9007199254740993"},
	} {
		var m Message
		err := SerializerFor(tc.f).DecodeInto(tc.msg, &m)
		var de *DecodeError
		if !errors.As(err, &de) || err.Error() != tc.want {
			t.Errorf("%s DecodeInto(% x) error\n got %v\nwant %q", tc.f, tc.msg, err, tc.want)
		}
	}
	// Every JSON-expressible rejection above is rejected the same way in
	// the binary formats.
	for _, s := range allSerializers[1:] {
		f := s.Format()
		for _, v := range [][]any{
			{},
			{int64(99), int64(1)},
			{int64(32), "1", map[string]any{}, "t"},
			{int64(32), int64(1), []any{}, "t"},
			{int64(16), int64(1), map[string]any{}, "t", map[string]any{}},
			{int64(8), int64(36), int64(1), map[string]any{}, "e"},
		} {
			var m Message
			if err := s.DecodeInto(raw(t, f, v), &m); err == nil {
				t.Errorf("%s accepts %v", f, v)
			}
		}
	}
}

func TestAppendRejects(t *testing.T) {
	for _, s := range allSerializers {
		f := s.Format()
		for _, tc := range []struct {
			m    Message
			want string
		}{
			{Message{Type: 7}, "unknown message type 7"},
			{Message{Type: Error, ReqType: Event, Request: 1, URI: "e"}, "encode ERROR REQUEST.Type: EVENT is not a request type"},
			{Message{Type: Published, Request: MaxID + 1, ID: 1}, "encode PUBLISHED PUBLISH.Request: id 9007199254740993 is above 2^53"},
			{Message{Type: Published, Request: 1, ID: 1 << 60}, "encode PUBLISHED Publication: id"},
			{Message{Type: Subscribe, Request: 1, URI: "t\xff"}, "encode SUBSCRIBE Topic: " + f.String() + ": invalid UTF-8 in string"},
			{Message{Type: Hello, URI: "r", Dict: map[string]any{"x": struct{}{}}}, "encode HELLO Details: " + f.String() + ": unsupported type struct {}"},
			{Message{Type: Event, Request: 1, ID: 1, Args: raw(t, f, map[string]any{})}, "encode EVENT Arguments: not a " + f.String() + " list"},
			{Message{Type: Event, Request: 1, ID: 1, Args: raw(t, f, []any{}), Kwargs: raw(t, f, []any{})}, "encode EVENT ArgumentsKw: not a " + f.String() + " dict"},
		} {
			dst := []byte("keep")
			got, err := s.Append(dst, &tc.m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s Append(%+v) error = %v, want %q", f, tc.m, err, tc.want)
			}
			if string(got) != "keep" {
				t.Errorf("%s Append(%+v) changed dst on error: %q", f, tc.m, got)
			}
		}
	}
	// JSON cannot carry NaN or a string starting with U+0000.
	js := SerializerFor(value.JSON)
	if _, err := js.Append(nil, &Message{Type: Goodbye, URI: "\x00x"}); err == nil {
		t.Error("JSON URI starting with U+0000 encoded")
	}
}

func TestTypeNames(t *testing.T) {
	if Publish.String() != "PUBLISH" || Yield.String() != "YIELD" || Type(7).String() != "TYPE(7)" || Type(200).String() != "TYPE(200)" {
		t.Error("Type.String")
	}
	n := 0
	for c := range 256 {
		if Type(c).Known() {
			n++
		}
	}
	if n != 24 {
		t.Errorf("%d known types, want 24", n)
	}
}

// TestAppendNoAllocations: the messages a router sends per delivery encode
// into a sized buffer without allocating.
func TestAppendNoAllocations(t *testing.T) {
	for _, s := range allSerializers {
		f := s.Format()
		args := raw(t, f, []any{"Hello, world!"})
		kw := raw(t, f, map[string]any{"k": "v"})
		details := map[string]any{"topic": "com.myapp.topic1", "publisher": int64(3335656)}
		dst := make([]byte, 0, 512)
		for _, m := range []Message{
			{Type: Event, Request: 5512315355, ID: 4429313566, Args: args, Kwargs: kw},
			{Type: Event, Request: 5512315355, ID: 4429313566, Dict: details, Args: args},
			{Type: Result, Request: 7814135, Args: args},
			{Type: Invocation, Request: 6131533, ID: 9823527, Dict: map[string]any{"caller": int64(1)}, Args: args, Kwargs: kw},
			{Type: Error, ReqType: Call, Request: 1, URI: ErrNoSuchProcedure},
		} {
			if n := testing.AllocsPerRun(100, func() { _, _ = s.Append(dst[:0], &m) }); n != 0 {
				t.Errorf("%s %s: %.0f allocations", f, m.Type, n)
			}
		}
	}
}
