package interop

// Real wampgate processes for the cluster scenarios: the binary is built
// once per test run with `go build`, and each node runs as `wampgate run`
// in a pool of loopback addresses.

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain removes the wampgate binary the cluster tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		_ = os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// binary is the wampgate executable built for this run.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// wampgateBinary builds cmd/wampgate (once) and returns its path.
func wampgateBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "wampgate-interop-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "wampgate")
		out, err := exec.Command("go", "build", "-o", binary.path, "../../cmd/wampgate").CombinedOutput()
		if err != nil {
			binary.err = &buildError{err: err, out: string(bytes.TrimSpace(out))}
		}
	})
	if binary.err != nil {
		t.Fatalf("go build ./cmd/wampgate: %v", binary.err)
	}
	return binary.path
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// nodeProc is one `wampgate run` process.
type nodeProc struct {
	addr   string
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan struct{}
}

// clusterSecret authenticates the test pools' links.
const clusterSecret = "interop-cluster-secret"

// startPool starts a node for every address of pool.
func startPool(t *testing.T, pool []string) []*nodeProc {
	t.Helper()
	nodes := make([]*nodeProc, len(pool))
	for i, a := range pool {
		nodes[i] = startWampgate(t, a, pool)
	}
	return nodes
}

// startWampgate runs node addr of pool; it is killed when the test ends.
func startWampgate(t *testing.T, addr string, pool []string) *nodeProc {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(wampgateBinary(t), "run", "--host", host, "--port", port,
		"--pool", strings.Join(pool, ","), "--node", addr, "--shutdown-timeout", "2s")
	cmd.Env = append(os.Environ(), "WAMPGATE_CLUSTER_SECRET="+clusterSecret)
	p := &nodeProc{addr: addr, cmd: cmd, logs: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wampgate on %s: %v", addr, err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("node %s logs:\n%s", addr, p.logs)
		}
	})
	return p
}

// kill ends the process with SIGKILL (no goodbye to its peers: the kernel
// resets its connections) and waits until it is gone.
func (p *nodeProc) kill(t testing.TB) {
	t.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL) // our own child, by its PID
	select {
	case <-p.exited:
	case <-time.After(exitTimeout):
		t.Errorf("node %s: still running %v after SIGKILL", p.addr, exitTimeout)
	}
}

// url is the node's WebSocket URL.
func (p *nodeProc) url() string { return "ws://" + p.addr + "/" }

// freeAddrs returns n loopback addresses whose ports were free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = ln.Addr().String()
		defer ln.Close()
	}
	return addrs
}

// linksUp reads /healthz cluster.links_up (-1: no answer).
func linksUp(addr string) int {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
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
func waitLinks(t *testing.T, want int, within time.Duration, nodes ...*nodeProc) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, n := range nodes {
		for linksUp(n.addr) != want {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: links up %d, want %d; logs:\n%s", n.addr, linksUp(n.addr), want, n.logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// urls maps the scenario's node names a, b, c, ... to the nodes' URLs.
func urls(nodes ...*nodeProc) obj {
	m := obj{}
	for i, n := range nodes {
		m[string(rune('a'+i))] = n.url()
	}
	return m
}
