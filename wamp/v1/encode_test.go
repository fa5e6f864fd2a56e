package v1

import (
	"testing"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
)

func TestEncoders(t *testing.T) {
	tests := []struct{ got, want string }{
		{string(AppendWelcome(nil, "k3x9q2ab.1", "Ratchet/0.4.4")), `[0,"k3x9q2ab.1",1,"Ratchet\/0.4.4"]`},
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
		pub := &wamp.Publication{Topic: "a/b ✓", Event: ev}
		frame := EventFrame(pub)
		want := wsframe.Text(AppendEvent(nil, pub.Topic, pub.Event))
		if string(frame) != string(want) {
			t.Errorf("event of %d bytes: frame differs from wsframe.Text", size)
		}
		if cap(frame) != len(frame) {
			t.Errorf("event of %d bytes: frame capacity %d, length %d", size, cap(frame), len(frame))
		}
	}
	if got, want := string(EventFrame(&wamp.Publication{Topic: "t"})), string(wsframe.Text([]byte(`[8,"t",null]`))); got != want {
		t.Errorf("nil event frame %q, want %q", got, want)
	}
}
