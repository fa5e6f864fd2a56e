package gateway

// Test-only helpers shared by the socket-level tests: starting a node on a
// loopback port, WAMP v1 clients built on internal/wstest, and the check
// that a node still serves a fresh client.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

// pollers are the netpoll backends every socket-level test runs against.
var pollers = []string{"epoll", "easygo", "goroutine"}

// Timeouts of the tests. They bound waits for things that must happen; a
// passing test never sleeps them out.
const (
	waitLong  = 5 * time.Second        // something must arrive
	waitQuiet = 150 * time.Millisecond // nothing may arrive (used sparingly)
)

// forEachPoller runs f as a parallel subtest per backend.
func forEachPoller(t *testing.T, f func(t *testing.T, poller string)) {
	t.Helper()
	for _, p := range pollers {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			f(t, p)
		})
	}
}

// testLogger discards logs unless WAMPGATE_TEST_LOG is set (then they go
// to stderr; t.Log cannot be used as nodes log after a test returns).
func testLogger() *slog.Logger {
	if os.Getenv("WAMPGATE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testConfig is the default configuration on a free loopback port with
// the given backend.
func testConfig(poller string) Config {
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Poller = poller
	cfg.Logger = testLogger()
	return cfg
}

// startNode starts a node and shuts it down when the test ends.
func startNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	if err := n.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return n
}

// wampClient is a WAMP v1 client on a raw test connection.
type wampClient struct {
	*wstest.Client
	t       testing.TB
	ID      string // session id from the WELCOME
	Welcome string // the WELCOME frame as received
}

// welcomeRE matches a v1 WELCOME and captures the session id and the JSON
// text of the server ident.
var welcomeRE = regexp.MustCompile(`^\[0,"([^"\\]*)",1,("(?:[^"\\]|\\.)*")\]$`)

// dialWAMP connects with subprotocol "wamp" and reads the WELCOME.
func dialWAMP(t testing.TB, addr string) *wampClient {
	t.Helper()
	c, err := wstest.Connect(addr, nil)
	if err != nil {
		if c != nil {
			c.Close()
		}
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	w := &wampClient{Client: c, t: t}
	msg, err := c.ReadText(waitLong)
	if err != nil {
		t.Fatalf("reading WELCOME: %v", err)
	}
	m := welcomeRE.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("not a v1 WELCOME: %q", msg)
	}
	w.ID, w.Welcome = m[1], msg
	return w
}

// send sends one text message.
func (w *wampClient) send(msg string) {
	w.t.Helper()
	if err := w.SendText(msg); err != nil {
		w.t.Fatalf("send %q: %v", wstest.Abbrev(msg, 80), err)
	}
}

// sync waits until the node has processed everything this client sent
// (a ping round trip) and fails if any frame other than the pong came.
func (w *wampClient) sync() {
	w.t.Helper()
	frames, err := w.Sync(waitLong)
	if err != nil {
		w.t.Fatalf("sync: %v (frames before: %v)", err, frames)
	}
	if len(frames) > 0 {
		w.t.Fatalf("unexpected frames: %v", frames)
	}
}

// subscribe subscribes to topic and waits until the node has processed it.
func (w *wampClient) subscribe(topic string) {
	w.t.Helper()
	w.send(fmt.Sprintf(`[5,%s]`, jsonString(topic)))
	w.sync()
}

// subscribeNoSync subscribes without the ping barrier, for sessions that
// also receive server pings (the barrier fails on unexpected frames).
func (w *wampClient) subscribeNoSync(topic string) {
	w.t.Helper()
	w.send(fmt.Sprintf(`[5,%s]`, jsonString(topic)))
}

// publish sends a 3-element PUBLISH; event is JSON text.
func (w *wampClient) publish(topic, event string) {
	w.t.Helper()
	w.send(fmt.Sprintf(`[7,%s,%s]`, jsonString(topic), event))
}

// expectText reads the next frame and requires it to be the text want.
func (w *wampClient) expectText(want string) {
	w.t.Helper()
	got, err := w.ReadText(waitLong)
	if err != nil {
		w.t.Fatalf("want %q: %v", wstest.Abbrev(want, 120), err)
	}
	if got != want {
		w.t.Fatalf("got %q\nwant %q", wstest.Abbrev(got, 300), wstest.Abbrev(want, 300))
	}
}

// expectEvent reads the next frame and requires the EVENT [8,topic,event]
// with the topic escaped as wampgate (and Ratchet) write it.
func (w *wampClient) expectEvent(topic, event string) {
	w.t.Helper()
	w.expectText(fmt.Sprintf(`[8,%s,%s]`, phpString(topic), event))
}

// expectClose requires a close frame with code (any reason), then the
// server closing TCP.
func (w *wampClient) expectClose(code uint16) {
	w.t.Helper()
	got, reason, err := w.ExpectClose(waitLong)
	if err != nil {
		w.t.Fatalf("want close %d: %v", code, err)
	}
	if got != code {
		w.t.Fatalf("close code %d (%q), want %d", got, reason, code)
	}
}

// jsonString encodes s as a JSON string the way a client would.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// phpString encodes an ASCII string like PHP json_encode: '/' as '\/'.
func phpString(s string) string {
	return strings.ReplaceAll(jsonString(s), `/`, `\/`)
}

// assertNodeServes checks that a node still accepts a fresh client and
// routes a subscribe/publish round trip between two new sessions.
func assertNodeServes(t testing.TB, addr string) {
	t.Helper()
	sub := dialWAMP(t, addr)
	pub := dialWAMP(t, addr)
	defer sub.Close()
	defer pub.Close()
	topic := "probe/" + sub.ID
	sub.subscribe(topic)
	pub.publish(topic, `{"alive":true}`)
	sub.expectEvent(topic, `{"alive":true}`)
	pub.sync()
}

// waitOpenConns waits until the node has accepted want connections,
// failing the test after waitLong.
func waitOpenConns(t testing.TB, n *Node, want int64) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for n.Stats().Net.Open < want {
		if time.Now().After(deadline) {
			t.Fatalf("the node holds %d connections after %v, want %d", n.Stats().Net.Open, waitLong, want)
		}
		time.Sleep(time.Millisecond)
	}
}
