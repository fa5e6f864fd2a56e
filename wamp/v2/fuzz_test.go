package v2

import (
	"testing"

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
