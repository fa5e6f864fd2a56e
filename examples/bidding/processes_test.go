package bidding_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// requirePHPEnv turns a missing php from a skip into a failure (.ci/run
// sets it), as WAMPGATE_REQUIRE_NGINX does for nginx.
const requirePHPEnv = "WAMPGATE_REQUIRE_PHP"

// startTimeout bounds the start of php -S and of the node.
const startTimeout = 20 * time.Second

// apiKey is the HTTP API key the test's node accepts and close-lot.php uses.
const apiKey = "bidding-example-key-0123456789"

// phpBinary returns the php executable, or skips the test (fails it when
// WAMPGATE_REQUIRE_PHP=1).
func phpBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("php")
	if err == nil {
		return p
	}
	const install = "apt-get install -y php-cli"
	if os.Getenv(requirePHPEnv) == "1" {
		t.Fatalf("php not installed (%s=1): %s", requirePHPEnv, install)
	}
	t.Skipf("php not installed: %s", install)
	return ""
}

// autobahnPython returns Debian's python3 when it has Autobahn|Python, or
// skips the test (fails it when WAMPGATE_REQUIRE_CLIENTS=1, as for the
// interop tests).
func autobahnPython(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	out, err := exec.Command(python, "-c", "import autobahn").CombinedOutput()
	if err == nil {
		return python
	}
	const install = "apt-get install -y python3-autobahn"
	if os.Getenv("WAMPGATE_REQUIRE_CLIENTS") == "1" {
		t.Fatalf("Autobahn|Python missing (WAMPGATE_REQUIRE_CLIENTS=1): %s: %v %s", install, err, out)
	}
	t.Skipf("Autobahn|Python missing: %s", install)
	return ""
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

// logBuffer collects a process's output for the failure report.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a child process of the test and its output.
type process struct {
	name   string
	logs   logBuffer
	exited chan struct{} // closed once the process has ended
	err    error         // how it ended, once exited is closed
}

// start runs cmd in a process group of its own (php -S with workers forks
// them) and, when the test ends, kills that group by its id and reaps the
// process, logging its output if the test failed.
func start(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.logs, &p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.exited
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.logs.String())
		}
	})
	return p
}

// copyData copies the example's data files into a temporary directory, so
// the committed ones are never changed.
func copyData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"sessions.json", "auction.json"} {
		b, err := os.ReadFile(filepath.Join("data", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startPHP serves the example with php -S and PHP_CLI_SERVER_WORKERS=4 on
// data in dataDir, and returns its base URL once it answers.
func startPHP(t *testing.T, php, dataDir string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(php, "-S", addr, "router.php")
	cmd.Env = append(os.Environ(), "BIDDING_DATA="+dataDir, "PHP_CLI_SERVER_WORKERS=4")
	p := start(t, "php -S", cmd)
	base := "http://" + addr
	poll(t, p, func() error {
		resp, err := http.Post(base+"/connect", "application/json", strings.NewReader(`{"headers":{}}`))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), "app.error.not_logged_in") {
			return fmt.Errorf("POST /connect: %s %s", resp.Status, b)
		}
		return nil
	})
	return base
}

// buildNode builds ./cmd/wampgate into the test's temporary directory.
func buildNode(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wampgate")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/wampgate/wampgate/cmd/wampgate").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/wampgate: %v\n%s", err, out)
	}
	return bin
}

// startNode runs the node binary with the README's hook flags against the
// app at hookURL and the HTTP API keyed by keyFile; it returns the node's
// address once /healthz answers.
func startNode(t *testing.T, bin, hookURL, keyFile string) (addr string, p *process) {
	t.Helper()
	addr = freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "run", "--host", host, "--port", port, "--hook-url", hookURL, "--hook-connect",
		"--hook-subscribe", "*", "--hook-publish", "counter/,price/", "--hook-call", "price.",
		"--api-key-file", keyFile)
	cmd.Env = os.Environ()
	p = start(t, "wampgate", cmd)
	poll(t, p, func() error {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return err
		}
		return resp.Body.Close()
	})
	return addr, p
}

// poll calls check every 20 ms until it succeeds, failing the test after
// startTimeout, or as soon as p has ended, with the last error.
func poll(t *testing.T, p *process, check func() error) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("%s ended (%v); last check: %v", p.name, p.err, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", p.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// apiCall calls a procedure through the node's HTTP API and returns the
// result's args.
func apiCall(t *testing.T, node, procedure string, args ...any) ([]json.RawMessage, error) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"procedure": procedure, "args": args})
	req, _ := http.NewRequest("POST", "http://"+node+"/api/call", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("POST /api/call %s: %s %s %v", procedure, resp.Status, b, err)
	}
	var res struct{ Args []json.RawMessage }
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("POST /api/call %s: %s: %w", procedure, b, err)
	}
	return res.Args, nil
}

// waitSubscribers polls the meta API until topic has n subscribers on the
// node: a v1 SUBSCRIBE has no answer, and the subscribe hook runs
// asynchronously.
func waitSubscribers(t *testing.T, node *process, addr, topic string, n int) {
	t.Helper()
	poll(t, node, func() error {
		id, err := apiCall(t, addr, "wamp.subscription.lookup", topic)
		if err != nil {
			return err
		}
		if len(id) != 1 || string(id[0]) == "null" {
			return fmt.Errorf("no subscription yet: %s", id)
		}
		count, err := apiCall(t, addr, "wamp.subscription.count_subscribers", id[0])
		if err != nil {
			return err
		}
		if len(count) != 1 || string(count[0]) != fmt.Sprint(n) {
			return fmt.Errorf("subscribers of %s: %s, want %d", topic, count, n)
		}
		return nil
	})
}
