package wamp_test

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// hooks is a Handler recording calls, with switchable behaviour.
type hooks struct {
	wamp.BaseHandler
	mu          sync.Mutex
	log         []string
	refuse      bool
	veto        bool
	rewrite     func(*wamp.Publication)
	panicOn     string
	errs        []error
	unsubscribe []string
}

func (h *hooks) record(s string) {
	h.mu.Lock()
	h.log = append(h.log, s)
	h.mu.Unlock()
}

func (h *hooks) maybePanic(hook string) {
	if h.panicOn == hook {
		panic("boom in " + hook)
	}
}

func (h *hooks) OnOpen(p wamp.Peer)  { h.record("open " + p.Protocol()) }
func (h *hooks) OnClose(p wamp.Peer) { h.record("close") }
func (h *hooks) OnError(p wamp.Peer, err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}
func (h *hooks) OnSubscribe(p wamp.Peer, topic string, m wamp.Match) error {
	h.maybePanic("OnSubscribe")
	h.record("subscribe " + topic + " " + m.String())
	if h.refuse {
		return errors.New("not allowed")
	}
	return nil
}
func (h *hooks) OnUnsubscribe(p wamp.Peer, topic string, m wamp.Match) {
	h.record("unsubscribe " + topic + " " + m.String())
}
func (h *hooks) OnPublish(p wamp.Peer, pub *wamp.Publication) error {
	h.maybePanic("OnPublish")
	h.record("publish " + pub.Topic)
	if h.rewrite != nil {
		h.rewrite(pub)
	}
	if h.veto {
		return errors.New("vetoed")
	}
	return nil
}

func TestHooks(t *testing.T) {
	h := &hooks{}
	f := newFixture(t, wamp.RouterConfig{Handler: h})
	f.join([]string{"t"}, "A", "B")
	a := f.sess["A"]

	if _, already, err := a.Subscribe("t", wamp.MatchExact); err != nil || !already {
		t.Errorf("second subscribe: already %v, %v", already, err)
	}
	h.refuse = true
	if _, _, err := a.Subscribe("refused", wamp.MatchExact); err == nil || a.Subscribed("refused") {
		t.Errorf("refused subscription: err %v, subscribed %v", err, a.Subscribed("refused"))
	}
	h.refuse = false
	sub, _, err := a.Subscribe("t.", wamp.MatchPrefix)
	if err != nil {
		t.Fatal(err)
	}

	h.veto = true
	if err := a.Publish(&wamp.Publication{Topic: "t"}); err == nil {
		t.Errorf("vetoed publication: no error")
	}
	if got := append(f.conns["A"].Take(), f.conns["B"].Take()...); len(got) != 0 {
		t.Errorf("vetoed publication delivered: %q", got)
	}
	h.veto = false

	if !a.UnsubscribeTopic("t") || a.UnsubscribeTopic("t") {
		t.Errorf("unsubscribe should report true once")
	}
	if err := a.Unsubscribe(sub.ID()); err != nil {
		t.Errorf("unsubscribe by id: %v", err)
	}
	if err := a.Unsubscribe(sub.ID()); !errors.Is(err, wamp.ErrNoSuchSubscription) {
		t.Errorf("second unsubscribe by id: %v", err)
	}
	a.Leave()
	a.Leave()
	want := []string{"open test", "subscribe t exact", "open test", "subscribe t exact", "subscribe refused exact",
		"subscribe t. prefix", "publish t", "unsubscribe t exact", "unsubscribe t. prefix", "close"}
	if !slices.Equal(h.log, want) {
		t.Errorf("hook calls:\n got %q\nwant %q", h.log, want)
	}
	if _, _, err := a.Subscribe("t", wamp.MatchExact); !errors.Is(err, wamp.ErrNotLive) {
		t.Errorf("subscribe after Leave: %v", err)
	}
	if err := a.Publish(&wamp.Publication{Topic: "t"}); !errors.Is(err, wamp.ErrNotLive) {
		t.Errorf("publish after Leave: %v", err)
	}
}

func TestRewriteDelivers(t *testing.T) {
	h := &hooks{}
	f := newFixture(t, wamp.RouterConfig{Handler: h})
	f.join([]string{"t"}, "A", "B", "C")
	h.rewrite = func(p *wamp.Publication) { p.SetEvent([]byte(`"rewritten"`)); p.Eligible = []wamp.ID{f.id("B")} }
	if err := f.sess["A"].Publish(event("t", `1`)); err != nil {
		t.Fatal(err)
	}
	if got := f.conns["B"].Take(); !slices.Equal(got, []string{`t "rewritten"`}) {
		t.Errorf("B got %q", got)
	}
	if got := append(f.conns["A"].Take(), f.conns["C"].Take()...); len(got) != 0 {
		t.Errorf("A and C got %q", got)
	}
}

func TestHookPanic(t *testing.T) {
	h := &hooks{panicOn: "OnPublish"}
	f := newFixture(t, wamp.RouterConfig{Handler: h})
	f.join([]string{"t"}, "A", "B")
	err := f.sess["A"].Publish(&wamp.Publication{Topic: "t"})
	var pe *wamp.PanicError
	if !errors.As(err, &pe) || pe.Hook != "OnPublish" {
		t.Fatalf("Publish error = %v, want a *PanicError from OnPublish", err)
	}
	if code, _, closed := f.conns["A"].CloseCode(); !closed || code != wamp.CloseInternalError {
		t.Errorf("connection close = %d %v, want 1011", code, closed)
	}
	if len(h.errs) != 1 || !errors.As(h.errs[0], &pe) {
		t.Errorf("OnError got %v", h.errs)
	}
	if got := f.conns["B"].Take(); len(got) != 0 {
		t.Errorf("B got %q from a publication whose hook panicked", got)
	}
}

func TestCall(t *testing.T) {
	rep := &replier{}
	c := wamp.NewCall("proc", wamp.Payload{}, wamp.Payload{}, rep)
	if err := c.Result(make(chan int)); err == nil {
		t.Errorf("Result(chan) succeeded")
	}
	if err := c.Result(json.RawMessage(`[1,`)); err == nil {
		t.Errorf("Result(invalid raw JSON) succeeded")
	}
	if err := c.Yield(jsonPayload(`{}`), wamp.Payload{}); err == nil {
		t.Errorf("Yield of a dict as arguments succeeded")
	}
	if err := c.Raise("u", wamp.Payload{}, jsonPayload(`[]`)); err == nil {
		t.Errorf("Raise with a list as keyword arguments succeeded")
	}
	if err := c.Progress(wamp.Payload{}, wamp.Payload{}); !errors.Is(err, wamp.ErrNoProgress) {
		t.Errorf("Progress without receive_progress: %v", err)
	}
	if err := c.Result(map[string]any{"a": "<b>/é"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Error("u", "d", nil); !errors.Is(err, wamp.ErrCallAnswered) {
		t.Errorf("second answer: %v", err)
	}
	if want := []string{`result [{"a":"<b>/é"}] -`}; !slices.Equal(rep.got, want) {
		t.Errorf("replies %q, want %q", rep.got, want)
	}

	rep = &replier{}
	answers := []func(c *wamp.Call) error{
		func(c *wamp.Call) error { return c.Result(json.RawMessage(" [ 1 , 2 ] ")) },
		func(c *wamp.Call) error { return c.Error("uri", "desc", []int{1}) },
		func(c *wamp.Call) error { return c.Error("uri", "desc", map[string]int{"k": 1}) },
		func(c *wamp.Call) error { return c.Error("uri", "", nil) },
		func(c *wamp.Call) error { wamp.BaseHandler{}.OnCall(nil, c); return nil },
		func(c *wamp.Call) error { return c.Yield(wamp.Payload{}, jsonPayload(`{"x":1}`)) },
		func(c *wamp.Call) error { return c.Raise("e", wamp.Payload{}, wamp.Payload{}) },
	}
	for _, answer := range answers {
		if err := answer(wamp.NewCall("proc", wamp.Payload{}, wamp.Payload{}, rep)); err != nil {
			t.Fatal(err)
		}
	}
	c = wamp.NewCall("proc", wamp.Payload{}, wamp.Payload{}, rep)
	c.ReceiveProgress = true
	for range 2 {
		if err := c.Progress(jsonPayload(`[1]`), wamp.Payload{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Yield(wamp.Payload{}, wamp.Payload{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Progress(jsonPayload(`[1]`), wamp.Payload{}); !errors.Is(err, wamp.ErrCallAnswered) {
		t.Errorf("progress after the result: %v", err)
	}
	want := []string{
		"result [[1,2]] -",
		`error uri ["desc",[1]] -`,
		`error uri ["desc"] {"k":1}`,
		`error uri [""] -`,
		`error wamp.error.no_such_procedure ["no procedure proc is registered on this node"] -`,
		`result - {"x":1}`,
		"error e - -",
		"progress [1] -", "progress [1] -", "result - -",
	}
	if !slices.Equal(rep.got, want) {
		t.Errorf("replies\n got %q\nwant %q", rep.got, want)
	}
}

// TestCallJSONArgs: the v1 view of a call's arguments, from JSON (with
// whitespace) and from MessagePack.
func TestCallJSONArgs(t *testing.T) {
	for _, tc := range []struct {
		args wamp.Payload
		want []string
	}{
		{wamp.Payload{}, nil},
		{jsonPayload(`[]`), nil},
		{jsonPayload(`[ 1 , { "a" : [ 2 ] } ,"x y"]`), []string{`1`, `{"a":[2]}`, `"x y"`}},
		{wamp.Payload{Raw: []byte{0x92, 0x01, 0xc4, 0x01, 0xff}, Format: value.MsgPack}, []string{`1`, `"\u0000/w=="`}},
	} {
		c := wamp.NewCall("p", tc.args, wamp.Payload{}, &replier{})
		got, err := c.JSONArgs()
		if err != nil {
			t.Fatalf("JSONArgs(%q): %v", tc.args.Raw, err)
		}
		var gs []string
		for _, a := range got {
			gs = append(gs, string(a))
		}
		if !slices.Equal(gs, tc.want) {
			t.Errorf("JSONArgs(%q) = %q, want %q", tc.args.Raw, gs, tc.want)
		}
	}
	c := wamp.NewCall("p", jsonPayload(`[1,`), wamp.Payload{}, &replier{})
	if _, err := c.JSONArgs(); err == nil {
		t.Error("JSONArgs of malformed JSON succeeded")
	}
}

func jsonPayload(s string) wamp.Payload { return wamp.Payload{Raw: []byte(s), Format: value.JSON} }

// replier records a call's answers as "result|progress|error <uri>
// <args> <kwargs>", each part "-" when absent.
type replier struct {
	mu  sync.Mutex
	got []string
}

func (r *replier) ReplyResult(args, kwargs wamp.Payload, progress bool) {
	kind := "result"
	if progress {
		kind = "progress"
	}
	r.record(kind + " " + partString(args) + " " + partString(kwargs))
}

func (r *replier) ReplyError(uri string, args, kwargs wamp.Payload) {
	r.record("error " + uri + " " + partString(args) + " " + partString(kwargs))
}

func (r *replier) record(s string) {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
}

// peek returns the answers recorded since the last take.
func (r *replier) peek() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// take returns the answers recorded since the last take.
func (r *replier) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// partString shows a payload part as JSON, "-" when absent.
func partString(p wamp.Payload) string {
	raw, err := p.In(value.JSON)
	switch {
	case err != nil:
		return "!" + err.Error()
	case raw == nil:
		return "-"
	}
	return string(raw)
}
