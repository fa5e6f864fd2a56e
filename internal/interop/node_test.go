package interop

// Nodes under test, wampgate's raw WAMP v1 client, and exact comparisons
// of what the scripts observed.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/internal/wstest"
)

// realm is the realm every scenario joins (the default one).
const realm = "realm1"

// maxID is the largest WAMP id (2^53).
const maxID = 1 << 53

// waitV1 bounds waits of the v1 client.
const waitV1 = 10 * time.Second

// testLogger discards the node's logs unless WAMPGATE_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("WAMPGATE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startNode starts a single node on a free loopback port; it is shut down
// when the test ends unless the test did it.
func startNode(t testing.TB) *gateway.Node { t.Helper(); return startNodeWith(t, nil) }

// startNodeWith is startNode with the configuration edited by edit (nil:
// none).
func startNodeWith(t testing.TB, edit func(*gateway.Config)) *gateway.Node {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Logger = testLogger()
	if edit != nil {
		edit(&cfg)
	}
	n, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	if err := n.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return n
}

// wsURL is the URL clients connect to.
func wsURL(n *gateway.Node) string { return "ws://" + n.Addr() + "/" }

// prefix returns a URI prefix unique to the test, for topics and procedures.
func prefix(t testing.TB) string {
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	return "com.example.interop." + strings.Trim(name, "_")
}

// v1Client is wampgate's raw WAMP v1 client (subprotocol "wamp").
type v1Client struct {
	*wstest.Client
	t  testing.TB
	ID string // session id from WELCOME, a decimal string
}

// dialV1 connects with subprotocol "wamp" and reads the WELCOME.
func dialV1(t testing.TB, addr string) *v1Client {
	t.Helper()
	c, err := wstest.Connect(addr, nil)
	if err != nil {
		if c != nil {
			c.Close()
		}
		t.Fatalf("v1 connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	v := &v1Client{Client: c, t: t}
	var welcome []any
	v.readJSON(&welcome)
	if len(welcome) != 4 || welcome[0] != json.Number("0") {
		t.Fatalf("not a v1 WELCOME: %v", welcome)
	}
	id, ok := welcome[1].(string)
	if !ok {
		t.Fatalf("v1 WELCOME session id is not a string: %v", welcome)
	}
	if n, err := strconv.ParseUint(id, 10, 64); err != nil || n < 1 || n > maxID {
		t.Fatalf("v1 WELCOME session id %q is not a WAMP id as a decimal string", id)
	}
	v.ID = id
	return v
}

// send sends one v1 message, given as Go values encoded to JSON.
func (v *v1Client) send(msg ...any) {
	v.t.Helper()
	b, err := json.Marshal(msg)
	if err != nil {
		v.t.Fatalf("v1 message %v: %v", msg, err)
	}
	if err := v.SendText(string(b)); err != nil {
		v.t.Fatalf("v1 send %s: %v", b, err)
	}
}

// readJSON reads one text message and decodes it into dst.
func (v *v1Client) readJSON(dst any) string {
	v.t.Helper()
	msg, err := v.ReadText(waitV1)
	if err != nil {
		v.t.Fatalf("v1 read: %v", err)
	}
	d := json.NewDecoder(strings.NewReader(msg))
	d.UseNumber()
	if err := d.Decode(dst); err != nil {
		v.t.Fatalf("v1 message %q: %v", msg, err)
	}
	return msg
}

// sync waits until the node processed everything this client sent and
// fails if anything but the barrier's pong arrived meanwhile.
func (v *v1Client) sync() {
	v.t.Helper()
	frames, err := v.Sync(waitV1)
	if err != nil {
		v.t.Fatalf("v1 sync: %v (frames before: %v)", err, frames)
	}
	if len(frames) > 0 {
		v.t.Fatalf("v1: unexpected frames: %v", frames)
	}
}

// canon is v as canonical JSON: objects with sorted keys, numbers as
// written (json.Number keeps 1 and 1.0 apart).
func canon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("canon %v: %v", v, err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		t.Fatalf("canon %s: %v", b, err)
	}
	out, err := json.Marshal(x)
	if err != nil {
		t.Fatalf("canon %s: %v", b, err)
	}
	return string(out)
}

// sameJSON fails unless got and want encode to the same canonical JSON.
func sameJSON(t testing.TB, what string, got, want any) {
	t.Helper()
	if g, w := canon(t, got), canon(t, want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// id checks that v (a json.Number, a decoded id) is a WAMP id and returns it.
func id(t testing.TB, what string, v any) uint64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s: %v (%T) is not a number", what, v, v)
	}
	u, err := strconv.ParseUint(n.String(), 10, 64)
	if err != nil || u < 1 || u > maxID {
		t.Fatalf("%s: %s is not a WAMP id (an integer in [1, 2^53])", what, n)
	}
	return u
}

// distinct fails unless the ids are pairwise different.
func distinct(t testing.TB, what string, ids map[string]uint64) {
	t.Helper()
	seen := map[uint64]string{}
	for k, v := range ids {
		if o, dup := seen[v]; dup {
			t.Errorf("%s: %s and %s share id %d", what, o, k, v)
		}
		seen[v] = k
	}
}

// forEach runs a scenario for every library and serializer. start runs in
// the test itself and starts the processes (all of them run at once,
// whatever go test's -parallel); the check it returns runs as the subtest
// lib/serializer and waits for them. A library that cannot run here
// skips (or fails) its own subtests only. uri is a URI prefix unique to
// the library and serializer.
func forEach(t *testing.T, start func(t *testing.T, lib *library, ser, uri string) func(t *testing.T)) {
	t.Helper()
	type sub struct {
		name  string
		check func(t *testing.T)
	}
	var subs []sub
	for _, lib := range libraries {
		for _, ser := range lib.serializers {
			check := func(t *testing.T) { lib.require(t) }
			if lib.available() {
				check = start(t, lib, ser, prefix(t)+"."+lib.name+"_"+ser)
			}
			subs = append(subs, sub{lib.name + "/" + ser, check})
		}
	}
	for _, s := range subs {
		t.Run(s.name, s.check)
	}
}

// obj is a JSON object literal in expectations.
type obj = map[string]any

// arr is a JSON array literal in expectations.
type arr = []any
