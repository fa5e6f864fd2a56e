package v1

import (
	"testing"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

func TestEncoders(t *testing.T) {
	tests := []struct{ got, want string }{
		{string(AppendWelcome(nil, 9007199254740991, "Ratchet/0.4.4")), `[0,"9007199254740991",1,"Ratchet\/0.4.4"]`},
		{string(AppendEvent(nil, "price/channel", []byte(`{"price":100}`))), `[8,"price\/channel",{"price":100}]`},
		{string(AppendEvent(nil, "é", nil)), `[8,"\u00e9",null]`},
		{string(AppendCallResult(nil, []byte(`"c2"`), []byte(`[1,2,3]`))), `[3,"c2",[1,2,3]]`},
		{string(AppendCallResult(nil, []byte(`42`), nil)), `[3,42,null]`},
		{string(AppendCallError(nil, []byte(`"c9"`), "http://example.com/calc#add", "RPC not supported on this demo", nil)),
			`[4,"c9","http:\/\/example.com\/calc#add","RPC not supported on this demo"]`},
		{string(AppendCallError(nil, []byte(`null`), "u", "d/é", []byte(`{"a":1}`))), `[4,null,"u","d\/\u00e9",{"a":1}]`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %s\nwant %s", tt.got, tt.want)
		}
	}
}

func TestEventFrame(t *testing.T) {
	for _, size := range []int{0, 100, 200, 70000} {
		ev := make([]byte, 0, size+2)
		ev = append(ev, '"')
		for range size {
			ev = append(ev, 'x')
		}
		ev = append(ev, '"')
		pub := &wamp.Publication{Topic: "a/b ✓"}
		pub.SetEvent(ev)
		frame := EventFrame(pub, nil)
		want := wsframe.Text(AppendEvent(nil, pub.Topic, ev))
		if string(frame) != string(want) {
			t.Errorf("event of %d bytes: frame differs from wsframe.Text", size)
		}
		if cap(frame) != len(frame) {
			t.Errorf("event of %d bytes: frame capacity %d, length %d", size, cap(frame), len(frame))
		}
	}
	if got, want := string(EventFrame(&wamp.Publication{Topic: "t"}, nil)), string(wsframe.Text([]byte(`[8,"t",null]`))); got != want {
		t.Errorf("nil event frame %q, want %q", got, want)
	}
}

// TestEventOfV2Payloads checks what a v1 subscriber receives of a v2
// publication's JSON arguments: args[0], else the kwargs object, else
// null; compacted; nothing when the payload is not JSON it can carry.
func TestEventOfV2Payloads(t *testing.T) {
	json := func(s string) wamp.Payload { return wamp.Payload{Raw: []byte(s), Format: value.JSON} }
	tests := []struct {
		name         string
		args, kwargs wamp.Payload
		want         string // "" = no frame
	}{
		{"one arg", json(`["a/b"]`), wamp.Payload{}, `[8,"t","a/b"]`},
		{"first of several", json(`[ {"x" : 1} , 2, 3]`), json(`{"k":1}`), `[8,"t",{"x":1}]`},
		{"kwargs only", wamp.Payload{}, json(`{ "k" : [1, 2] }`), `[8,"t",{"k":[1,2]}]`},
		{"empty args, kwargs", json(`[]`), json(`{"k":1}`), `[8,"t",{"k":1}]`},
		{"neither", wamp.Payload{}, wamp.Payload{}, `[8,"t",null]`},
		{"empty args only", json(`[]`), wamp.Payload{}, `[8,"t",null]`},
		{"args not a list", json(`{"a":1}`), wamp.Payload{}, ``},
		{"kwargs not a dict", wamp.Payload{}, json(`[1]`), ``},
	}
	for _, tt := range tests {
		pub := &wamp.Publication{Topic: "t", Args: tt.args, Kwargs: tt.kwargs}
		frame := EventFrame(pub, nil)
		if tt.want == "" {
			if frame != nil {
				t.Errorf("%s: frame %q, want none", tt.name, frame)
			}
			continue
		}
		if got, want := string(frame), string(wsframe.Text([]byte(tt.want))); got != want {
			t.Errorf("%s: frame %q, want %q", tt.name, got, want)
		}
	}
}
