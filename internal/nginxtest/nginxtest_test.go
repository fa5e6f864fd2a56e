package nginxtest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/internal/nginxtest"
	"github.com/wampgate/wampgate/internal/wstest"
)

const wait = 5 * time.Second

// welcomeRE matches a WAMP v1 WELCOME from wampgate.
var welcomeRE = regexp.MustCompile(`^\[0,"[^"]+",1,"wampgate\\/` + regexp.QuoteMeta(gateway.Version) + `"\]$`)

// startNode starts a single wampgate node on a free loopback port and
// shuts it down when the test ends.
func startNode(t *testing.T) *gateway.Node {
	t.Helper()
	return startClusterNode(t, broadcast.Config{Node: "127.0.0.1:0"})
}

// startClusterNode starts a wampgate node on cluster.Node with the given
// cluster configuration and shuts it down when the test ends.
func startClusterNode(t *testing.T, cluster broadcast.Config) *gateway.Node {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Addr = cluster.Node
	cfg.Cluster = cluster
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

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Behind nginx, two clients land on the two nodes of a cluster, and an
// event published on one reaches the subscriber on the other.
func TestClusterBehindNginx(t *testing.T) {
	pool := []string{freeAddr(t), freeAddr(t)}
	var nodes []*gateway.Node
	for _, addr := range pool {
		nodes = append(nodes, startClusterNode(t, broadcast.Config{Node: addr, Pool: pool, Secret: "s3cret"}))
	}
	for deadline := time.Now().Add(wait); ; time.Sleep(10 * time.Millisecond) {
		a, b := nodes[0].Stats().Cluster, nodes[1].Stats().Cluster
		if a.LinksUp == 1 && b.LinksUp == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("links not up within %v: %+v, %+v", wait, a, b)
		}
	}
	addr := nginxtest.Start(t, pool...)

	sub := connect(t, addr, nil)
	if err := sub.SendText(`[5,"news"]`); err != nil {
		t.Fatal(err)
	}
	if frames, err := sub.Sync(wait); err != nil || len(frames) != 0 {
		t.Fatalf("subscribe: %v, frames %v", err, frames)
	}
	pub := connect(t, addr, nil)
	if sa, sb := nodes[0].Stats().WAMP.Sessions, nodes[1].Stats().WAMP.Sessions; sa != 1 || sb != 1 {
		t.Fatalf("sessions per node: %d and %d, want 1 and 1", sa, sb)
	}
	if err := pub.SendText(`[7,"news","across",true]`); err != nil {
		t.Fatal(err)
	}
	if got, err := sub.ReadText(wait); err != nil || got != `[8,"news","across"]` {
		t.Fatalf("event across the cluster: %q, %v", got, err)
	}
}
