package v1

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
)

// fuzzSeeds are frames from the Ratchet transcripts and their edges.
var fuzzSeeds = []string{
	`[5,"price/channel"]`,
	`[7,"price/channel",{"price":100,"lot":"a/b"}]`,
	`[7,"t","unicode \u00e9 é ✓ 😀"]`,
	`[7,"t","slash / backslash \\ quote \" tab \t"]`,
	`[7,"t",12345678901234567890]`,
	`[7,"t",{"0":"a","1":"b"}]`,
	`[7,"t",1e3]`,
	`[7,"price/channel","ex-me-true",true]`,
	`[7,"t","excl=0.0",0.0]`,
	`[7,"price/channel","excl-B-elig-BC",["B"],["B","C"]]`,
	`[7,"t","excl-true-elem",[true]]`,
	`[7,"t","excl-obj",{"x":"B"}]`,
	`[7,"t","ok",false,[],"more"]`,
	`[7,"t"]`,
	`[7,null,"to-null-topic"]`,
	`[7,123,"num-topic"]`,
	`[7,"t","x",[],"not-a-list"]`,
	`[7,"t","x",false,null]`,
	`[6,"price/channel"]`,
	`[1,"event","http://example.com/event"]`,
	`[1,"p"]`,
	`[true,"p","http://example.com/p"]`,
	`["5","t"]`,
	`[5.0,"t"]`,
	`["7.0","t","after-float-type"]`,
	`{"0":5,"1":"t"}`,
	`[2,"call-1","http://example.com/rpc#echo","a",1,{"k":"v"},null]`,
	`[2,"c2","echo",[1,2,3]]`,
	`[2,42,"echo",1]`,
	`[2,null,"echo",1]`,
	`[2,"n",5]`,
	`[2,"id",["echo"]]`,
	`[2,"id",{"p":"echo"}]`,
	`[2,"only-id"]`,
	`[2]`,
	`[2,["id"],"echo"]`,
	`[5,"price/channel"`,
	`{"a":1}`,
	`"hello"`,
	`42`,
	`null`,
	`[]`,
	`[99,"x"]`,
	`[0,"abc",1,"x"]`,
	`[8,"price/channel","x"]`,
	`[5,true]`,
	`[5,{"t":1}]`,
	"\x00\x01\x02\xff",
	`["\ud83d\ude00","\ud800"]`,
	strings.Repeat("[", 513) + strings.Repeat("]", 513),
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		m, err := Decode(msg)
		if err != nil {
			var ce *wamp.CloseError
			if !errors.As(err, &ce) || ce.Code != wamp.CloseInvalidPayload {
				t.Fatalf("error %v is not a 1007 CloseError", err)
			}
			if len(ce.Reason) > 123 || !utf8.ValidString(ce.Reason) {
				t.Fatalf("close reason unusable in a close frame: %q", ce.Reason)
			}
			return
		}
		// Whatever is accepted is JSON for encoding/json too.
		if !json.Valid(msg) {
			t.Fatalf("accepted invalid JSON %q", msg)
		}
		switch m.Type {
		case MsgPrefix, MsgCall, MsgSubscribe, MsgUnsubscribe, MsgPublish:
		default:
			t.Fatalf("accepted a client message of type %v", m.Type)
		}
		if m.Event != nil {
			compact := jsonscan.AppendCompact(nil, m.Event)
			var std bytes.Buffer
			if err := json.Compact(&std, m.Event); err != nil || !bytes.Equal(compact, std.Bytes()) {
				t.Fatalf("compact %q = %q, encoding/json says %q (%v)", m.Event, compact, std.Bytes(), err)
			}
			if ev := AppendEvent(nil, m.Topic, compact); !json.Valid(ev) {
				t.Fatalf("EVENT %q is not valid JSON", ev)
			}
		}
		if m.Type == MsgCall {
			if !json.Valid(m.CallID) {
				t.Fatalf("call id %q is not valid JSON", m.CallID)
			}
			if m.Procedure != "" && m.ProcedureError != "" {
				t.Fatalf("both a procedure and a procedure error")
			}
			for _, a := range m.Args {
				if !json.Valid(a) {
					t.Fatalf("argument %q is not valid JSON", a)
				}
			}
		}
		if m.Type != MsgPublish && (m.Exclude != nil || m.Eligible != nil || m.ExcludeMe) {
			t.Fatalf("%v with publish options", m.Type)
		}
	})
}
