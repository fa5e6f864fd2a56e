package wamp_test

import (
	"bytes"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// encode encodes the neutral value v in format f or fails the test.
func encode(t *testing.T, f value.Format, v any) wamp.Payload {
	t.Helper()
	raw, err := value.Append(f, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return wamp.Payload{Raw: raw, Format: f}
}

func TestSetEventAndEvent(t *testing.T) {
	pub := &wamp.Publication{}
	pub.SetEvent([]byte(` { "a" : [1, 2.50] } `))
	if got := string(pub.Args.Raw); got != `[{"a":[1,2.50]}]` || pub.Args.Format != value.JSON || pub.Kwargs.Present() {
		t.Errorf("SetEvent: args %s (%v), kwargs %v", got, pub.Args.Format, pub.Kwargs.Present())
	}
	if got := string(pub.Event()); got != `{"a":[1,2.50]}` {
		t.Errorf("Event = %s", got)
	}
	pub.SetEvent(nil)
	if string(pub.Args.Raw) != `[null]` || string(pub.Event()) != `null` {
		t.Errorf("SetEvent(nil): args %s, event %s", pub.Args.Raw, pub.Event())
	}
	// A hook that replaces Args by hand is seen too.
	pub.Args = wamp.Payload{Raw: []byte(`["new", 2]`)}
	if got := string(pub.Event()); got != `"new"` {
		t.Errorf("Event after Args changed = %s", got)
	}
}

// TestEventConvertsOtherFormats: a v1 subscriber sees a MessagePack or
// CBOR publication's first argument (or its keyword arguments) as JSON,
// binary values as WAMP's "\u0000"+base64 strings.
func TestEventConvertsOtherFormats(t *testing.T) {
	for _, f := range []value.Format{value.MsgPack, value.CBOR} {
		tests := []struct {
			name         string
			args, kwargs any
			want         string // "" = cannot be sent as JSON
		}{
			{"first argument", []any{map[string]any{"b": int64(2), "a": "x"}, int64(1)}, nil, `{"a":"x","b":2}`},
			{"binary", []any{[]byte{0xde, 0xad}}, nil, `"\u00003q0="`},
			{"kwargs only", nil, map[string]any{"k": []any{true, nil}}, `{"k":[true,null]}`},
			{"empty args and kwargs", []any{}, map[string]any{"k": 1.5}, `{"k":1.5}`},
			{"empty kwargs", nil, map[string]any{}, `null`},
			{"empty args, empty kwargs", []any{}, map[string]any{}, `null`},
			{"neither", nil, nil, `null`},
		}
		for _, tt := range tests {
			pub := &wamp.Publication{}
			if tt.args != nil {
				pub.Args = encode(t, f, tt.args)
			}
			if tt.kwargs != nil {
				pub.Kwargs = encode(t, f, tt.kwargs)
			}
			if got := string(pub.Event()); got != tt.want {
				t.Errorf("%v %s: Event = %s, want %s", f, tt.name, got, tt.want)
			}
		}
		notList := &wamp.Publication{Args: encode(t, f, map[string]any{})}
		if ev := notList.Event(); ev != nil {
			t.Errorf("%v: args that are not a list give event %s", f, ev)
		}
	}
}

func TestArgsInConvertsOncePerFormat(t *testing.T) {
	pub := &wamp.Publication{Topic: "t", Args: wamp.Payload{Raw: []byte(`["a",{"b":1}]`), Format: value.JSON},
		Kwargs: wamp.Payload{Raw: []byte(`{"k":"\u0000AQI="}`), Format: value.JSON}}
	if raw, err := pub.ArgsIn(value.JSON); err != nil || &raw[0] != &pub.Args.Raw[0] {
		t.Errorf("ArgsIn(own format) = %s, %v; want Args.Raw itself", raw, err)
	}
	mp, err := pub.ArgsIn(value.MsgPack)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := pub.ArgsIn(value.MsgPack)
	if &mp[0] != &again[0] {
		t.Errorf("ArgsIn converted twice")
	}
	if v, err := value.Decode(value.MsgPack, mp); err != nil || !value.Equal(v, []any{"a", map[string]any{"b": int64(1)}}) {
		t.Errorf("ArgsIn(msgpack) decodes to %#v, %v", v, err)
	}
	cb, err := pub.KwargsIn(value.CBOR)
	if v, derr := value.Decode(value.CBOR, cb); err != nil || derr != nil || !value.Equal(v, map[string]any{"k": []byte{1, 2}}) {
		t.Errorf("KwargsIn(cbor) decodes to %#v, %v %v", v, err, derr)
	}
	var absent wamp.Publication
	if raw, err := absent.ArgsIn(value.CBOR); raw != nil || err != nil {
		t.Errorf("absent args: %v, %v", raw, err)
	}
	nan := &wamp.Publication{Args: encode(t, value.MsgPack, []any{nanValue()})}
	if _, err := nan.ArgsIn(value.JSON); err == nil {
		t.Errorf("NaN converted to JSON")
	}
	if ev := nan.Event(); ev != nil {
		t.Errorf("a NaN event became %s", ev)
	}
}

func nanValue() float64 {
	var zero float64
	return zero / zero
}

// TestPublishNormalizesPayloadFormats: a zero format means JSON, an
// unknown one drops the part; relayed records see explicit formats.
func TestPublishNormalizesPayloadFormats(t *testing.T) {
	f := newFixture(t, wamp.RouterConfig{})
	f.join([]string{"t"}, "A")
	f.r.Publish(&wamp.Publication{Topic: "t", Args: wamp.Payload{Raw: []byte(`[1]`)}, Kwargs: wamp.Payload{Raw: []byte{0x80}, Format: 9}})
	if got := f.conns["A"].Take(); len(got) != 1 || got[0] != "t 1" {
		t.Errorf("A got %q", got)
	}
	p := f.relays[0]
	if p.Args.Format != value.JSON || p.Kwargs.Present() {
		t.Errorf("relayed payload: args format %v, kwargs %v", p.Args.Format, p.Kwargs)
	}
	if !bytes.Equal(p.Args.Raw, []byte(`[1]`)) {
		t.Errorf("args %s", p.Args.Raw)
	}
}
