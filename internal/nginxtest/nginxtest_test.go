package nginxtest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/internal/nginxtest"
	"github.com/wampgate/wampgate/internal/wstest"
)

const wait = 5 * time.Second

// welcomeRE matches a WAMP v1 WELCOME from wampgate.
var welcomeRE = regexp.MustCompile(`^\[0,"[^"]+",1,"wampgate\\/` + regexp.QuoteMeta(gateway.Version) + `"\]$`)

// startNode starts a wampgate node on a free loopback port and shuts it
// down when the test ends.
func startNode(t *testing.T) *gateway.Node {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return n
}

// connect opens a WAMP v1 session through addr with req (a standard
// upgrade when nil) and returns it after checking its WELCOME.
func connect(t *testing.T, addr string, req *wstest.Request) *wstest.Client {
	t.Helper()
	c, err := wstest.Connect(addr, req)
	if c != nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	if err != nil {
		t.Fatalf("handshake through nginx: %v", err)
	}
	if got := c.Response.Get("Sec-WebSocket-Protocol"); got != "wamp" {
		t.Fatalf("subprotocol %q, want wamp", got)
	}
	welcome, err := c.ReadText(wait)
	if err != nil {
		t.Fatalf("WELCOME: %v", err)
	}
	if !welcomeRE.MatchString(welcome) {
		t.Fatalf("not a wampgate WELCOME: %q", welcome)
	}
	return c
}

// nginx spreads WebSocket clients over the pool by open connections, and
// WAMP works through it both ways.
func TestWAMPThroughNginx(t *testing.T) {
	a, b := startNode(t), startNode(t)
	addr := nginxtest.Start(t, a.Addr(), b.Addr())

	c1 := connect(t, addr, nil)
	c2 := connect(t, addr, nil)
	if sa, sb := a.Stats().WAMP.Sessions, b.Stats().WAMP.Sessions; sa != 1 || sb != 1 {
		t.Fatalf("sessions per node: %d and %d, want 1 and 1 (least_conn)", sa, sb)
	}
	for i, c := range []*wstest.Client{c1, c2} {
		for _, msg := range []string{`[5,"t"]`, `[7,"t","hello"]`} {
			if err := c.SendText(msg); err != nil {
				t.Fatalf("client %d: send %s: %v", i, msg, err)
			}
		}
		if got, err := c.ReadText(wait); err != nil || got != `[8,"t","hello"]` {
			t.Fatalf("client %d: event %q, %v", i, got, err)
		}
	}
}

// A client that sends an absolute-form request target and "Upgrade:
// WebSocket", as the original relay's PHP client does, gets through.
func TestAbsoluteFormUpgradeThroughNginx(t *testing.T) {
	addr := nginxtest.Start(t, startNode(t).Addr())
	req := wstest.UpgradeRequest(addr, "wamp").Set("Upgrade", "WebSocket")
	req.Target = "ws://" + addr + "/"
	connect(t, addr, req)
}

// Plain HTTP goes through too: /healthz answers from a node.
func TestHealthzThroughNginx(t *testing.T) {
	addr := nginxtest.Start(t, startNode(t).Addr())
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var health struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatalf("healthz body: %v", err)
	}
	if resp.StatusCode != http.StatusOK || health.Status != "ok" || health.Version != gateway.Version {
		t.Fatalf("healthz: %d %+v", resp.StatusCode, health)
	}
}
