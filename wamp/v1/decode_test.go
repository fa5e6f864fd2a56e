package v1

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

func TestDecodeRejects(t *testing.T) {
	tests := map[string]string{ // message → part of the close reason
		`[5,"price/channel"`:          "malformed JSON",
		`{"a":1}`:                     "not a JSON list",
		`"hello"`:                     "not a JSON list",
		`42`:                          "not a JSON list",
		`null`:                        "not a JSON list",
		``:                            "malformed JSON",
		"\x00\x01\x02\xff":            "malformed JSON",
		`["\ud800"]`:                  "malformed JSON",
		`[]`:                          "type id missing",
		`[99,"x"]`:                    "unknown message type id 99",
		`[false,"t"]`:                 "unknown message type",
		`[null,"t"]`:                  "unknown message type",
		`[5.5,"t"]`:                   "unknown message type",
		`["5x","t"]`:                  "unknown message type",
		`[-1]`:                        "unknown message type",
		`[[5],"t"]`:                   "unknown message type",
		`[0,"abc",1,"x"]`:             "clients may not send WELCOME",
		`[3,"id",1]`:                  "clients may not send CALLRESULT",
		`[4,"id","u","d"]`:            "clients may not send CALLERROR",
		`[8,"price/channel","x"]`:     "clients may not send EVENT",
		`[5,true]`:                    "SUBSCRIBE topic must be a string or number, not a boolean",
		`[5,["price/channel"]]`:       "not a list",
		`[5,{"t":1}]`:                 "not an object",
		`[6,false]`:                   "UNSUBSCRIBE topic",
		`[7,false,"x"]`:               "PUBLISH topic",
		`[2,["id"],"echo"]`:           "CALL call id must be a string or number, not a list",
		`[1,true,"x"]`:                "PREFIX prefix",
		`[7,"t","x",[],"not-a-list"]`: "eligible must be a list of session ids, not a string",
		`[7,"t","x",false,null]`:      "eligible must be a list of session ids, not null",
		`[7,"t","x",false,1]`:         "not a number",
		strings.Repeat("[", 600) + strings.Repeat("]", 600): "nesting deeper than 512",
	}
	for msg, reason := range tests {
		_, err := Decode([]byte(msg))
		var ce *wamp.CloseError
		if !errors.As(err, &ce) || ce.Code != wamp.CloseInvalidPayload {
			t.Errorf("Decode(%.40q) = %v, want a 1007 CloseError", msg, err)
			continue
		}
		if !strings.Contains(ce.Reason, reason) {
			t.Errorf("Decode(%.40q) reason %q, want it to contain %q", msg, ce.Reason, reason)
		}
		if len(ce.Reason) > 123 {
			t.Errorf("Decode(%.40q) reason longer than a close frame allows: %q", msg, ce.Reason)
		}
	}
}

func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		msg  string
		want Message
	}{
		{`[5,"price/channel"]`, Message{Type: MsgSubscribe, Topic: "price/channel"}},
		{`["5","t"]`, Message{Type: MsgSubscribe, Topic: "t"}},
		{`[5.0,"t"]`, Message{Type: MsgSubscribe, Topic: "t"}},
		{`[" 5 ","t"]`, Message{Type: MsgSubscribe, Topic: "t"}},
		{`["+5","t"]`, Message{Type: MsgSubscribe, Topic: "t"}},
		{`["5e0","t"]`, Message{Type: MsgSubscribe, Topic: "t"}},
		{`[5,"t","extra",1]`, Message{Type: MsgSubscribe, Topic: "t"}},
		{`[5,123]`, Message{Type: MsgSubscribe, Topic: "123"}},
		{`[5,1.5]`, Message{Type: MsgSubscribe, Topic: "1.5"}},
		{`[5,null]`, Message{Type: MsgSubscribe}},
		{`[5]`, Message{Type: MsgSubscribe}},
		{`{"0":5,"1":"t"}`, Message{Type: MsgSubscribe, Topic: "t"}},
		{`[6,"a\/b"]`, Message{Type: MsgUnsubscribe, Topic: "a/b"}},
		{`[true,"p","http://example.com/p"]`, Message{Type: MsgPrefix, Prefix: "p", URI: "http://example.com/p", URISet: true}},
		{`[1,"p"]`, Message{Type: MsgPrefix, Prefix: "p"}},
		{`[1,"p",null]`, Message{Type: MsgPrefix, Prefix: "p"}},
		{`[1,"p",true]`, Message{Type: MsgPrefix, Prefix: "p"}},
		{`[1,"p",5]`, Message{Type: MsgPrefix, Prefix: "p", URI: "5", URISet: true}},
		{`[1,null,"u"]`, Message{Type: MsgPrefix, URI: "u", URISet: true}},
		{`["7.0","t","e"]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`"e"`)}},
		{`[7,"t"]`, Message{Type: MsgPublish, Topic: "t"}},
		{`[7,"t",null]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`null`)}},
		{`[7,"t", { "a" : 1 } ]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`{ "a" : 1 }`)}},
		{`[7,"t","e",true]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`"e"`), ExcludeMe: true}},
		{`[7,"t","e",[],[]]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`"e"`)}},
		{`[7,"t","e",{"x":"12"}]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`"e"`), Exclude: []wamp.ID{12}}},
		{`[7,"t","e",[true,1,"B","7"]]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`"e"`), Exclude: []wamp.ID{0, 1, 0, 7}}},
		{`[7,"t","e",[],{"a":"99"}]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`"e"`), Eligible: []wamp.ID{99}}},
		{`[7,"t","e",false,["5","\u0036"],"more"]`, Message{Type: MsgPublish, Topic: "t", Event: []byte(`"e"`), Eligible: []wamp.ID{5, 6}}},
		{`[2,"call-1","http://example.com/rpc#echo","a",1,{"k":"v"},null]`, Message{Type: MsgCall, CallID: []byte(`"call-1"`),
			Procedure: "http://example.com/rpc#echo", Args: [][]byte{[]byte(`"a"`), []byte(`1`), []byte(`{"k":"v"}`), []byte(`null`)}}},
		{`[2,42,"echo"]`, Message{Type: MsgCall, CallID: []byte(`42`), Procedure: "echo"}},
		{`[2,null,"echo"]`, Message{Type: MsgCall, CallID: []byte(`null`), Procedure: "echo"}},
		{`[2,"a/b\u00e9","x"]`, Message{Type: MsgCall, CallID: []byte(`"a\/b\u00e9"`), Procedure: "x"}},
		{`[2,"id",5]`, Message{Type: MsgCall, CallID: []byte(`"id"`), Procedure: "5"}},
		{`[2,"id",1.5]`, Message{Type: MsgCall, CallID: []byte(`"id"`), Procedure: "1.5"}},
		{`[2]`, Message{Type: MsgCall, CallID: []byte(`null`), ProcedureError: "CALL without a procedure URI"}},
		{`[2,"id",null]`, Message{Type: MsgCall, CallID: []byte(`"id"`), ProcedureError: "procedure URI must be a string, not null"}},
		{`[2,"id",false]`, Message{Type: MsgCall, CallID: []byte(`"id"`), ProcedureError: "procedure URI must be a string, not a boolean"}},
	}
	for _, tt := range tests {
		got, err := Decode([]byte(tt.msg))
		if err != nil {
			t.Errorf("Decode(%s): %v", tt.msg, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s)\n got %+v\nwant %+v", tt.msg, got, tt.want)
		}
	}
}

func TestExcludeMeTruthiness(t *testing.T) {
	tests := map[string]bool{
		`true`: true, `1`: true, `"yes"`: true, `"0.0"`: true, `" "`: true, `"false"`: true, `-1`: true, `1e-3`: true,
		`false`: false, `null`: false, `0`: false, `-0`: false, `0.0`: false, `0e10`: false, `""`: false, `"0"`: false, `"\u0030"`: false,
	}
	for v, want := range tests {
		m, err := Decode([]byte(`[7,"t","e",` + v + `]`))
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if m.ExcludeMe != want || m.Exclude != nil {
			t.Errorf("excludeMe %s: got %v (exclude %q), want %v", v, m.ExcludeMe, m.Exclude, want)
		}
	}
}

func TestLooseID(t *testing.T) {
	tests := map[string]wamp.ID{
		`"123"`: 123, `123`: 123, `"0123"`: 123, `123.0`: 123, `1.23e2`: 123,
		`"9007199254740992"`: 1 << 53, `9007199254740992`: 1 << 53,
		`"9007199254740993"`: 0, `9007199254740993`: 0, `1e300`: 0,
		`"0"`: 0, `0`: 0, `-5`: 0, `"-5"`: 0, `"+5"`: 0, `" 5"`: 0, `"5.0"`: 0, `1.5`: 0, `""`: 0,
		`"\u0031"`: 1, `"99999999999999999999999"`: 0, `true`: 0, `null`: 0, `[1]`: 0, `{"a":1}`: 0, `"abc"`: 0,
	}
	for v, want := range tests {
		if got := looseID([]byte(v)); got != want {
			t.Errorf("looseID(%s) = %d, want %d", v, got, want)
		}
	}
}

func TestNumericString(t *testing.T) {
	tests := map[string]float64{"5": 5, " 5": 5, "5 ": 5, "\t5\n": 5, "+5": 5, "-5": -5, "5.": 5, ".5": 0.5, "5.0": 5, "5e0": 5, "50E-1": 5}
	for s, want := range tests {
		if f, ok := numericString(s); !ok || f != want {
			t.Errorf("numericString(%q) = %v, %v; want %v", s, f, ok, want)
		}
	}
	for _, s := range []string{"", " ", "5x", "x5", "0x5", ".", "-", "5e", "e5", "5 5", "inf", "NaN", "1_0", "٥"} {
		if _, ok := numericString(s); ok {
			t.Errorf("numericString(%q) accepted", s)
		}
	}
}

func TestDecodePublishAllocations(t *testing.T) {
	msg := []byte(`[7,"price/channel",{"price":100,"lot":"a/b"},false,[]]`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Decode(msg); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 { // the topic string
		t.Errorf("Decode(PUBLISH) allocates %v times, want at most 1", allocs)
	}
}
