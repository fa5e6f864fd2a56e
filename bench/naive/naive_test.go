package naive

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// start runs a server on a free port of 127.0.0.1 and stops it at the end
// of the test.
func start(t *testing.T) (addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// peer is a WebSocket client (gobwas/ws) that has read its WELCOME.
type peer struct {
	t    *testing.T
	conn net.Conn
	rw   io.ReadWriter // bytes buffered by the dialer first, then conn
}

func dial(t *testing.T, addr string) *peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, br, hs, err := ws.Dialer{Protocols: []string{"wamp"}}.Dial(ctx, "ws://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if hs.Protocol != "wamp" {
		t.Fatalf("subprotocol %q, want wamp", hs.Protocol)
	}
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	p := &peer{t: t, conn: conn, rw: struct {
		io.Reader
		io.Writer
	}{r, conn}}
	welcome := p.read()
	if !strings.HasPrefix(welcome, `[0,"naive-`) || !strings.HasSuffix(welcome, `",1,"naive"]`) {
		t.Fatalf("WELCOME %s", welcome)
	}
	return p
}

func (p *peer) send(msg string) {
	p.t.Helper()
	if err := wsutil.WriteClientText(p.conn, []byte(msg)); err != nil {
		p.t.Fatal(err)
	}
}

func (p *peer) read() string {
	p.t.Helper()
	_ = p.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	msg, err := wsutil.ReadServerText(p.rw)
	if err != nil {
		p.t.Fatal(err)
	}
	return string(msg)
}

// subscribe subscribes p to topic and waits until the server has
// processed it: p publishes a probe to the topic and receives it.
func (p *peer) subscribe(topic, probe string) {
	p.t.Helper()
	p.send(`[5,"` + topic + `"]`)
	p.send(`[7,"` + topic + `","` + probe + `"]`)
	if got, want := p.read(), `[8,"`+topic+`","`+probe+`"]`; got != want {
		p.t.Fatalf("got %s, want %s", got, want)
	}
}

func TestWelcomeSubscribePublishEvent(t *testing.T) {
	addr := start(t)
	a, b := dial(t, addr), dial(t, addr)
	a.subscribe("t", "probe-a")
	b.subscribe("t", "probe-b")
	if got := a.read(); got != `[8,"t","probe-b"]` {
		t.Fatalf("a got %s", got)
	}

	// excludeMe=true: a gets b's event, b does not.
	b.send(`[7,"t","x1",true]`)
	if got := a.read(); got != `[8,"t","x1"]` {
		t.Fatalf("a got %s", got)
	}
	// The 3-element form reaches every subscriber, the publisher too.
	a.send(`[7,"t",{"n":2}]`)
	for _, p := range []*peer{a, b} {
		if got := p.read(); got != `[8,"t",{"n":2}]` {
			t.Fatalf("got %s", got)
		}
	}
	// excludeMe=false: b gets its own event. b's goroutine wrote any x1
	// to b before reading x3, so x3 arriving next proves x1 never came.
	b.send(`[7,"t","x3",false]`)
	for _, p := range []*peer{b, a} {
		if got := p.read(); got != `[8,"t","x3"]` {
			t.Fatalf("got %s", got)
		}
	}
	// Nothing reaches a session not subscribed to the topic.
	c := dial(t, addr)
	c.subscribe("other", "probe-c")
	a.send(`[7,"t","x4"]`)
	a.read()
	c.send(`[7,"other","x5"]`)
	if got := c.read(); got != `[8,"other","x5"]` {
		t.Fatalf("c got %s", got)
	}
}

func TestUnsubscribe(t *testing.T) {
	addr := start(t)
	a := dial(t, addr)
	a.subscribe("t", "p1")
	a.send(`[6,"t"]`)
	a.send(`[7,"t","gone"]`)
	a.subscribe("u", "p2") // the next frame a reads is this probe, not "gone"
}

func TestHealthz(t *testing.T) {
	addr := start(t)
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"status":"ok"}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// Close ends sessions that are still open, and their goroutines.
func TestCloseEndsSessions(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	p := dial(t, ln.Addr().String())
	p.subscribe("t", "p")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = p.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := wsutil.ReadServerText(p.rw); err == nil {
		t.Fatal("session still open after Close")
	}
}
