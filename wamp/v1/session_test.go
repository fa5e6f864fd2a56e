package v1

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newRouter makes a router with cfg (quiet by default); it panics on a
// configuration error, which no test here makes.
func newRouter(cfg wamp.RouterConfig) *wamp.Router {
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	r, err := wamp.NewRouter(cfg)
	if err != nil {
		panic(err)
	}
	return r
}

// limitedRouter is a router with handler h and at most 3 subscriptions
// per session.
func limitedRouter(h wamp.Handler) *wamp.Router {
	return newRouter(wamp.RouterConfig{Handler: h, MaxSubscriptions: 3})
}

// open starts a session and drops its WELCOME from the recorded messages.
func open(t *testing.T, r *wamp.Router) (*Session, *wamptest.Conn) {
	t.Helper()
	c := wamptest.NewConn("10.0.0.1:5000")
	s := NewSession(r, c)
	if w := string(s.Open()); !strings.HasPrefix(w, `[0,"`+s.ID().String()+`",1,`) {
		t.Fatalf("WELCOME %s", w)
	}
	return s, c
}

func send(t *testing.T, s *Session, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		if err := s.HandleMessage([]byte(m), false); err != nil {
			t.Fatalf("HandleMessage(%s): %v", m, err)
		}
	}
}

func TestWelcome(t *testing.T) {
	r := newRouter(wamp.RouterConfig{Agent: "wampgate/1.2.3 [x]"})
	s := NewSession(r, wamptest.NewConn("x"))
	if s.ID() != 0 {
		t.Errorf("session id %d before Open", s.ID())
	}
	if got, want := string(s.Open()), `[0,"`+s.ID().String()+`",1,"wampgate\/1.2.3 [x)"]`; got != want {
		t.Errorf("WELCOME %s, want %s", got, want)
	}
	if id := s.ID(); !id.Valid() {
		t.Errorf("session id %d out of range", id)
	}
	if st := r.Stats(); st.Sessions != 1 {
		t.Errorf("sessions after Open: %d", st.Sessions)
	}
	s.Closed()
	s.Closed()
	if st := r.Stats(); st.Sessions != 0 {
		t.Errorf("sessions after Closed: %d", st.Sessions)
	}
	if err := s.HandleMessage([]byte(`garbage`), false); err != nil {
		t.Errorf("message after Closed: %v", err)
	}
}

func TestPublishCompactsEvent(t *testing.T) {
	r := limitedRouter(nil)
	s, c := open(t, r)
	send(t, s, `[5,"t"]`, "[7, \"t\", { \"a\" : [ 1 , 2.50 ] , \"s\" : \"x  y\" } ]")
	if got, want := c.Take(), []string{`[8,"t",{"a":[1,2.50],"s":"x  y"}]`}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestBinaryFrames(t *testing.T) {
	r := limitedRouter(nil)
	s, c := open(t, r)
	if err := s.HandleMessage([]byte(`[5,"t"]`), true); err != nil {
		t.Fatal(err)
	}
	send(t, s, `[7,"t",1]`)
	if got := c.Take(); len(got) != 1 {
		t.Errorf("binary SUBSCRIBE not processed: %q", got)
	}
	var ce *wamp.CloseError
	if err := s.HandleMessage([]byte("\x00\x01\x02\xff"), true); !errors.As(err, &ce) || ce.Code != 1007 {
		t.Errorf("binary garbage: %v", err)
	}
}

func TestSessionLimits(t *testing.T) {
	r := limitedRouter(nil)
	s, _ := open(t, r)
	send(t, s, `[5,"a"]`, `[5,"b"]`, `[5,"c"]`, `[5,"c"]`)
	var ce *wamp.CloseError
	if err := s.HandleMessage([]byte(`[5,"d"]`), false); !errors.As(err, &ce) || ce.Code != wamp.ClosePolicyViolation {
		t.Errorf("fourth subscription: %v", err)
	}
	s2, _ := open(t, r)
	for i := range maxPrefixes {
		send(t, s2, fmt.Sprintf(`[1,"p%d","u"]`, i))
	}
	if err := s2.HandleMessage([]byte(`[1,"one-more","u"]`), false); !errors.As(err, &ce) || ce.Code != wamp.ClosePolicyViolation {
		t.Errorf("prefix %d: %v", maxPrefixes+1, err)
	}
}

type refuser struct{ wamp.BaseHandler }

func (refuser) OnSubscribe(wamp.Peer, string, wamp.Match) error { return errors.New("no") }

func TestSubscribeRefused(t *testing.T) {
	r := limitedRouter(refuser{})
	s, c := open(t, r)
	send(t, s, `[5,"t"]`, `[7,"t","x"]`)
	if got := c.Take(); len(got) != 0 {
		t.Errorf("refused subscriber got %q", got)
	}
	if _, _, closed := c.CloseCode(); closed {
		t.Errorf("refused subscription closed the connection")
	}
}

// asyncHandler answers calls later, from another goroutine.
type asyncHandler struct {
	wamp.BaseHandler
	wg sync.WaitGroup
}

func (h *asyncHandler) OnCall(p wamp.Peer, call *wamp.Call) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		args, _ := call.JSONArgs()
		_ = call.Result([]any{call.Procedure, len(args)})
	}()
}

func TestAsyncCall(t *testing.T) {
	h := &asyncHandler{}
	r := limitedRouter(h)
	s, c := open(t, r)
	send(t, s, `[1,"rpc","http://example.com/rpc/"]`, `[2,"c1","rpc:add",1,2]`)
	h.wg.Wait()
	if got, want := c.Take(), []string{`[3,"c1",["http://example.com/rpc/add",2]]`}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	send(t, s, `[2,"c2","x"]`)
	s.Closed()
	h.wg.Wait()
	if got := c.Take(); len(got) != 0 {
		t.Errorf("answer after close was sent: %q", got)
	}
}

func TestDefaultHandlerCall(t *testing.T) {
	r := limitedRouter(nil)
	s, c := open(t, r)
	send(t, s, `[2,"c9","http://example.com/calc#add",1]`)
	want := `[4,"c9","wamp.error.no_such_procedure","no procedure http:\/\/example.com\/calc#add is registered on this node"]`
	if got := c.Take(); !slices.Equal(got, []string{want}) {
		t.Errorf("got %q, want %q", got, want)
	}
}

type panicky struct{ wamp.BaseHandler }

func (panicky) OnCall(wamp.Peer, *wamp.Call) { panic("handler bug") }

func TestHandlerPanicClosesSession(t *testing.T) {
	r := limitedRouter(panicky{})
	s, c := open(t, r)
	_ = s.HandleMessage([]byte(`[2,"c","x"]`), false)
	if code, _, closed := c.CloseCode(); !closed || code != wamp.CloseInternalError {
		t.Errorf("close after handler panic: %d %v", code, closed)
	}
}

func TestCallArgsOwned(t *testing.T) {
	var got *wamp.Call
	r := limitedRouter(callCatcher(func(c *wamp.Call) { got = c }))
	s, _ := open(t, r)
	msg := []byte(`[2,"c","p", [ 1 , 2 ] ,"x"]`)
	if err := s.HandleMessage(msg, false); err != nil {
		t.Fatal(err)
	}
	for i := range msg {
		msg[i] = '#'
	}
	if string(got.Args.Raw) != `[[1,2],"x"]` || got.Args.Format != value.JSON || got.Kwargs.Present() {
		t.Errorf("args %q (format %v), kwargs %q", got.Args.Raw, got.Args.Format, got.Kwargs.Raw)
	}
}

type callCatcher func(*wamp.Call)

func (f callCatcher) OnOpen(wamp.Peer)                                {}
func (f callCatcher) OnClose(wamp.Peer)                               {}
func (f callCatcher) OnError(wamp.Peer, error)                        {}
func (f callCatcher) OnSubscribe(wamp.Peer, string, wamp.Match) error { return nil }
func (f callCatcher) OnUnsubscribe(wamp.Peer, string, wamp.Match)     {}
func (f callCatcher) OnPublish(wamp.Peer, *wamp.Publication) error    { return nil }
func (f callCatcher) OnCall(_ wamp.Peer, c *wamp.Call)                { f(c) }

// TestExcludeAndEligibleByInteger: ids in exclude and eligible lists may
// be decimal strings (as WELCOME sends them) or JSON integers (Ratchet's
// loose in_array made 123 == "123"); anything else names nobody.
func TestExcludeAndEligibleByInteger(t *testing.T) {
	r := limitedRouter(nil)
	a, ca := open(t, r)
	b, cb := open(t, r)
	c, cc := open(t, r)
	for _, s := range []*Session{a, b, c} {
		send(t, s, `[5,"t"]`)
	}
	send(t, a, fmt.Sprintf(`[7,"t","x",[%d, true, "nobody"]]`, b.ID()))
	send(t, a, fmt.Sprintf(`[7,"t","y",[],[%d.0, "%d"]]`, c.ID(), a.ID()))
	send(t, a, `[7,"t","z",[],[null, 1.5, {}]]`)
	want := map[*wamptest.Conn][]string{
		ca: {`[8,"t","x"]`, `[8,"t","y"]`},
		cb: nil,
		cc: {`[8,"t","x"]`, `[8,"t","y"]`},
	}
	for conn, w := range want {
		if got := conn.Take(); !slices.Equal(got, w) {
			t.Errorf("%s got %q, want %q", conn.Addr, got, w)
		}
	}
}

// TestPublishBecomesArgs: a v1 PUBLISH is a publication whose Args are
// [event] in JSON, which a v2 subscriber receives as such; a v2
// publication in MessagePack reaches v1 subscribers as its first argument
// in JSON.
func TestPublishBecomesArgs(t *testing.T) {
	var seen *wamp.Publication
	r := newRouter(wamp.RouterConfig{Handler: publishCatcher(func(p *wamp.Publication) { seen = p })})
	a, ca := open(t, r)
	send(t, a, `[5,"t"]`, `[7,"t", { "a" : [ 1 ] } ]`)
	if seen == nil || string(seen.Args.Raw) != `[{"a":[1]}]` || seen.Args.Format != value.JSON || seen.Kwargs.Present() {
		t.Fatalf("publication %+v", seen)
	}
	ca.Take()
	args, err := value.Append(value.MsgPack, nil, []any{map[string]any{"bin": []byte{1}}, "second"})
	if err != nil {
		t.Fatal(err)
	}
	r.Publish(&wamp.Publication{Topic: "t", Args: wamp.Payload{Raw: args, Format: value.MsgPack}})
	if got, want := ca.Take(), []string{`[8,"t",{"bin":"\u0000AQ=="}]`}; !slices.Equal(got, want) {
		t.Errorf("v1 subscriber got %q, want %q", got, want)
	}
}

type publishCatcher func(*wamp.Publication)

func (f publishCatcher) OnOpen(wamp.Peer)                                 {}
func (f publishCatcher) OnClose(wamp.Peer)                                {}
func (f publishCatcher) OnError(wamp.Peer, error)                         {}
func (f publishCatcher) OnSubscribe(wamp.Peer, string, wamp.Match) error  { return nil }
func (f publishCatcher) OnUnsubscribe(wamp.Peer, string, wamp.Match)      {}
func (f publishCatcher) OnPublish(_ wamp.Peer, p *wamp.Publication) error { f(p); return nil }
func (f publishCatcher) OnCall(_ wamp.Peer, c *wamp.Call)                 {}
