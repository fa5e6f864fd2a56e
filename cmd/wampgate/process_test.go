package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

// TestMain lets a test run this package's main as a child process: the
// cluster tests start real wampgate processes and kill them.
func TestMain(m *testing.M) {
	if os.Getenv("WAMPGATE_TEST_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// nodeProcess is a wampgate process started by a test.
type nodeProcess struct {
	addr string
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// lockedBuffer collects a child's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startProcess runs `wampgate run` for node addr of pool as a child
// process, with extra flags after the defaults, and kills it at the end of
// the test.
func startProcess(t *testing.T, addr string, pool []string, secret string, extra ...string) *nodeProcess {
	t.Helper()
	flags := append([]string{"--pool", strings.Join(pool, ","), "--node", addr, "--shutdown-timeout", "2s"}, extra...)
	return startNodeProcess(t, addr, []string{"WAMPGATE_CLUSTER_SECRET=" + secret}, flags...)
}

// startNodeProcess runs `wampgate run` on addr with more flags and
// environment variables as a child process, and kills it at the end of
// the test.
func startNodeProcess(t *testing.T, addr string, env []string, flags ...string) *nodeProcess {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(os.Args[0], append([]string{"run", "--host", host, "--port", port}, flags...)...)
	cmd.Env = append(append(os.Environ(), "WAMPGATE_TEST_AS_MAIN=1"), env...)
	p := &nodeProcess{addr: addr, cmd: cmd, logs: &lockedBuffer{}}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill(t) })
	return p
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHealthy polls the node's /healthz until it answers.
func waitHealthy(t *testing.T, p *nodeProcess, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s never answered: %v; logs:\n%s", p.addr, err, p.logs.String())
		}
	}
}

// kill stops the process with SIGKILL (no goodbye to its peers) and reaps it.
func (p *nodeProcess) kill(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
	if t.Failed() {
		t.Logf("node %s logs:\n%s", p.addr, p.logs.String())
	}
}

// linksUp reads the node's /healthz and returns cluster.links_up (-1 when
// the node does not answer).
func linksUp(addr string) int {
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h struct {
		Cluster *struct {
			LinksUp int `json:"links_up"`
		} `json:"cluster"`
	}
	if json.Unmarshal(body, &h) != nil || h.Cluster == nil {
		return -1
	}
	return h.Cluster.LinksUp
}

// waitLinks waits until every node reports want links up.
func waitLinks(t *testing.T, want int, within time.Duration, nodes ...*nodeProcess) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, n := range nodes {
		for linksUp(n.addr) != want {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: links up %d, want %d; logs:\n%s", n.addr, linksUp(n.addr), want, n.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// subscriber connects a WAMP v1 client to addr and subscribes it to topic.
func subscriber(t *testing.T, addr, topic string) *wstest.Client {
	t.Helper()
	c, err := wstest.Connect(addr, nil)
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.ReadText(5 * time.Second); err != nil {
		t.Fatalf("WELCOME from %s: %v", addr, err)
	}
	if err := c.SendText(fmt.Sprintf(`[5,%q]`, topic)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sync(5 * time.Second); err != nil {
		t.Fatalf("subscribe on %s: %v", addr, err)
	}
	return c
}

// expectEvent requires the next frame to be the EVENT [8,topic,event].
func expectEvent(t *testing.T, c *wstest.Client, topic, event string) {
	t.Helper()
	got, err := c.ReadText(10 * time.Second)
	if want := fmt.Sprintf(`[8,%q,%s]`, topic, event); err != nil || got != want {
		t.Fatalf("got %q (%v), want %q", got, err, want)
	}
}

func TestClusterOfProcessesSurvivesAKilledNode(t *testing.T) {
	pool := make([]string, 3)
	for i := range pool {
		pool[i] = freeAddr(t)
	}
	const secret = "process-test-secret"
	nodes := make([]*nodeProcess, len(pool))
	for i, a := range pool {
		nodes[i] = startProcess(t, a, pool, secret)
	}
	waitLinks(t, 2, 15*time.Second, nodes...)

	subs := make([]*wstest.Client, len(nodes))
	for i, n := range nodes {
		subs[i] = subscriber(t, n.addr, "t")
	}
	pub := subscriber(t, nodes[0].addr, "other")
	waitPeerInterest(t, nodes[0], nodes[1:]...) // v1 subscribers: no SUBSCRIBED to wait for
	if err := pub.SendText(`[7,"t","all three"]`); err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		expectEvent(t, s, "t", `"all three"`)
	}

	// SIGKILL: no close frames, the kernel resets its sockets.
	nodes[2].kill(t)
	waitLinks(t, 1, 15*time.Second, nodes[0], nodes[1])
	if err := pub.SendText(`[7,"t","two left"]`); err != nil {
		t.Fatal(err)
	}
	for _, s := range subs[:2] {
		expectEvent(t, s, "t", `"two left"`)
	}

	// Restarted on the same address, it rejoins by itself and its new
	// subscribers get node 0's publications within a few seconds.
	start := time.Now()
	restarted := startProcess(t, pool[2], pool, secret)
	waitLinks(t, 2, 15*time.Second, restarted, nodes[0], nodes[1])
	late := subscriber(t, restarted.addr, "t")
	waitPeerInterest(t, nodes[0], restarted)
	if err := pub.SendText(`[7,"t","rejoined"]`); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, late, "t", `"rejoined"`)
	t.Logf("restart to delivery on the restarted node: %v", time.Since(start))
	for _, s := range subs[:2] {
		expectEvent(t, s, "t", `"rejoined"`)
	}
}
