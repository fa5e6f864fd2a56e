package v2

import (
	"errors"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

func FuzzDecodeJSONMessage(f *testing.F)    { fuzzMessages(f, SerializerFor(value.JSON)) }
func FuzzDecodeMsgPackMessage(f *testing.F) { fuzzMessages(f, SerializerFor(value.MsgPack)) }
func FuzzDecodeCBORMessage(f *testing.F)    { fuzzMessages(f, SerializerFor(value.CBOR)) }

// fuzzMessages seeds with every message type and checks that decoding
// never panics and that a decoded message encodes and decodes back to
// the same message, and to the same bytes when encoded again.
func fuzzMessages(f *testing.F, s Serializer) {
	for _, m := range everyType(f, s.Format()) {
		f.Add(encode(f, s, &m))
	}
	if s.Format() == value.JSON {
		for _, seed := range []string{
			`[36,5512315355,4429313566,{},["Hello, world!"]]`,
			`[16,1,{"exclude":[1,2],"acknowledge":true},"t",["\u0000AQID"],{"a":null}]`,
			`[8,48,1,{},"e",[],{}]`,
			` [ 35 , 0 , { "reason" : "x" } ] `,
			`[32,9007199254740993,{},"t"]`,
		} {
			f.Add([]byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var m Message
		if err := s.DecodeInto(msg, &m); err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("DecodeInto error %T %v, want a *DecodeError", err, err)
			}
			return
		}
		b, err := s.Append(nil, &m)
		if err != nil {
			t.Fatalf("decoded %+v from %q but cannot encode it: %v", m, msg, err)
		}
		var back Message
		if err := s.DecodeInto(b, &back); err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", b, err)
		}
		if d := sameMessage(&back, &m); d != "" {
			t.Fatalf("%s differs after a round trip: %+v became %+v", d, m, back)
		}
		again, err := s.Append(nil, &back)
		if err != nil || string(again) != string(b) {
			t.Fatalf("encoding is not stable: %q then %q (%v)", b, again, err)
		}
	})
}

// FuzzSession feeds three arbitrary messages, in one of the three
// serializers, to a v2 session of a router that has a subscriber of each
// serializer to every topic. The session must never panic (it would
// close with 1011), and everything it and the subscribers are sent must
// be complete frames of their serializer's kind holding valid messages.
func FuzzSession(f *testing.F) {
	for fm := value.JSON; fm <= value.CBOR; fm++ {
		hello := raw(f, fm, []any{1, "realm1", roles})
		args := []any{[]byte{0, 1}}
		if fm != value.JSON {
			args = append(args, "\x00 has no JSON form")
		}
		for _, m := range [][]any{
			{16, 1, map[string]any{"acknowledge": true, "exclude_me": false, "retain": true}, "a.b", args, map[string]any{"k": 1.5}},
			{32, 2, map[string]any{"match": "wildcard", "get_retained": true}, "a."},
			{16, 3, map[string]any{"eligible": []any{1, 2}, "exclude": []any{}, "disclose_me": true}, "a.b", []any{}},
			{34, 4, 1},
			{6, map[string]any{}, "wamp.close.close_realm"},
			{48, 5, map[string]any{}, "f", []any{1}},
			{8, 68, 6, map[string]any{}, "e"},
		} {
			f.Add(uint8(fm), hello, raw(f, fm, m), raw(f, fm, []any{1, "realm1", roles}))
		}
		f.Add(uint8(fm), raw(f, fm, []any{32, 1, map[string]any{}, "t"}), hello, hello)
	}
	f.Fuzz(func(t *testing.T, format uint8, a, b, c []byte) {
		fm := value.Format(format%3 + 1)
		r, err := wamp.NewRouter(wamp.RouterConfig{Logger: quiet, MaxSubscriptions: 4})
		if err != nil {
			t.Fatal(err)
		}
		protos := map[value.Format]*Protocol{}
		var peers []*peer
		for sf := value.JSON; sf <= value.CBOR; sf++ {
			protos[sf] = NewProtocol(sf, quiet)
			sub := newPeer(t, r, protos[sf])
			sub.hello()
			sub.send(32, 1, map[string]any{"match": "prefix"}, "")
			sub.take()
			peers = append(peers, sub)
		}
		pe := newPeer(t, r, protos[fm])
		for _, msg := range [][]byte{a, b, c} {
			err := pe.s.HandleMessage(msg, fm != value.JSON)
			var ce *wamp.CloseError
			if errors.As(err, &ce) && ce.Code == wamp.CloseInternalError {
				t.Fatalf("message %q: %v", msg, err)
			}
		}
		pe.s.Closed()
		for _, p := range append(peers, pe) {
			if errs := p.c.FrameErrors(); len(errs) > 0 {
				t.Fatalf("malformed frames: %v", errs)
			}
			if code, reason, closed := p.c.CloseCode(); closed && code == wamp.CloseInternalError {
				t.Fatalf("closed with %d %q", code, reason)
			}
			for _, m := range p.c.TakeMessages() {
				if m.Binary != (p.f != value.JSON) {
					t.Fatalf("%s message in a binary=%v frame", p.f, m.Binary)
				}
				var msg Message
				if err := SerializerFor(p.f).DecodeInto([]byte(m.Data), &msg); err != nil {
					t.Fatalf("sent an invalid %s message %q: %v", p.f, m.Data, err)
				}
			}
		}
		if st := r.Stats(); st.Sessions != 3 || st.Subscriptions != 3 {
			t.Fatalf("after the fuzzed session closed: %+v", st)
		}
	})
}
