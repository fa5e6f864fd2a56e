package interop

// The client libraries and the child processes that run their scenario
// scripts: which interpreter, whether it is installed, and a runner that
// reads the scripts' JSON lines with a deadline.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bounds of the harness. A passing test never waits them out.
const (
	// clientTimeout bounds every wait inside a scenario script (--timeout).
	clientTimeout = 10 * time.Second
	// peerTimeout is the --timeout of the scenarios that wait for other
	// processes or the test (see waiting): their wait spans those
	// processes' start, one after the other, on a busy machine.
	peerTimeout = 60 * time.Second
	// lineTimeout bounds the wait for a script's next line; above the
	// scripts' own timeouts, so that a script reports its timeout first.
	lineTimeout = peerTimeout + 30*time.Second
	// exitTimeout bounds the wait for a script to exit after its result.
	exitTimeout = 10 * time.Second
)

// requireEnv makes a missing client library a failure instead of a skip.
const requireEnv = "WAMPGATE_REQUIRE_CLIENTS"

// library is a WAMP client library driven through its scenario script.
type library struct {
	name        string   // "python", "js"
	title       string   // for messages
	serializers []string // the subprotocols it speaks
	install     string   // how to install it, for messages

	once    sync.Once
	exe     string // interpreter
	script  string // scenario script, relative to the package directory
	missing error  // why it cannot run, or nil
	probe   func(l *library) error
}

// All three serializers: Autobahn|Python has them (json built in, msgpack
// with python3-msgpack, cbor with python3-cbor2), and so has Autobahn|JS 26
// (its dependencies msgpack5 and cbor).
var allSerializers = []string{"json", "msgpack", "cbor"}

var python = &library{
	name:        "python",
	title:       "Autobahn|Python",
	serializers: allSerializers,
	install:     "apt-get install -y python3-autobahn python3-msgpack python3-cbor2 python3-nacl",
	exe:         "/usr/bin/python3",
	script:      "python/wampclient.py",
	probe: func(l *library) error {
		// Debian's interpreter, not one earlier on PATH (a pyenv build
		// here has none of these modules).
		out, err := exec.Command(l.exe, "-c", "import autobahn, msgpack, cbor2, nacl; print(autobahn.__version__)").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s cannot import autobahn, msgpack, cbor2 and nacl: %v: %s", l.exe, err, bytes.TrimSpace(out))
		}
		return nil
	},
}

var js = &library{
	name:        "js",
	title:       "Autobahn|JS",
	serializers: allSerializers,
	install:     "apt-get install -y nodejs npm && npm ci --prefix internal/interop/js",
	script:      "js/wampclient.mjs",
	probe: func(l *library) error {
		l.exe = "/usr/bin/node"
		if _, err := os.Stat(l.exe); err != nil {
			p, lerr := exec.LookPath("node")
			if lerr != nil {
				return errors.New("node is not installed")
			}
			l.exe = p
		}
		// The versions package.json pins must be the ones installed.
		for _, pkg := range []string{"autobahn", "ws"} {
			want, err := pinnedVersion(pkg)
			if err != nil {
				return err
			}
			got, err := installedVersion(pkg)
			if err != nil {
				return fmt.Errorf("npm package %s is not installed (run npm ci --prefix internal/interop/js): %w", pkg, err)
			}
			if got != want {
				return fmt.Errorf("npm package %s %s is installed, package.json pins %s (run npm ci --prefix internal/interop/js)", pkg, got, want)
			}
		}
		return nil
	},
}

var libraries = []*library{python, js}

func pinnedVersion(pkg string) (string, error) {
	var p struct{ Dependencies map[string]string }
	if err := readJSONFile("js/package.json", &p); err != nil {
		return "", err
	}
	v, ok := p.Dependencies[pkg]
	if !ok {
		return "", fmt.Errorf("js/package.json does not list %s", pkg)
	}
	return v, nil
}

func installedVersion(pkg string) (string, error) {
	var p struct{ Version string }
	err := readJSONFile("js/node_modules/"+pkg+"/package.json", &p)
	return p.Version, err
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// available reports whether the library can run here.
func (l *library) available() bool {
	l.once.Do(func() { l.missing = l.probe(l) })
	return l.missing == nil
}

// require skips the test (fails it under WAMPGATE_REQUIRE_CLIENTS=1) when
// the library cannot run here.
func (l *library) require(t testing.TB) {
	t.Helper()
	if l.available() {
		return
	}
	msg := fmt.Sprintf("%s is not available: %v (install: %s)", l.title, l.missing, l.install)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s; %s=1 requires it", msg, requireEnv)
	}
	t.Skipf("%s; skipping (set %s=1 to fail instead)", msg, requireEnv)
}

// client is one running scenario script, seen from one test: the test
// whose goroutine waits for it (see in).
type client struct {
	t testing.TB
	*proc
}

// proc is the script's process and its output.
type proc struct {
	desc   string
	cmd    *exec.Cmd
	lines  chan string // stdout, closed at EOF
	stderr *syncBuffer
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

// in returns the client as seen from t: waits fail t. Processes started
// together under a parent test are checked in its subtests this way.
func (c *client) in(t testing.TB) *client { return &client{t: t, proc: c.proc} }

// syncBuffer is a bytes.Buffer safe for the process's writer goroutine and
// the test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waiting lists the scenarios that, once ready, wait for other processes
// or the test to act.
var waiting = map[string]bool{"subscribe": true, "callee": true, "await-goodbye": true, "cluster-kill": true}

// run starts the library's script: scenario on url/realm over serializer,
// with params as --params. The process is killed if still running when the
// test ends.
func (l *library) run(t testing.TB, url, realm, serializer, scenario string, params any) *client {
	t.Helper()
	l.require(t)
	p, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("params %v: %v", params, err)
	}
	timeout := clientTimeout
	if waiting[scenario] {
		timeout = peerTimeout
	}
	return l.start(t, l.name+"/"+serializer+" "+scenario,
		l.script, url, realm, serializer, scenario, "--params", string(p),
		"--timeout", fmt.Sprint(timeout.Seconds()))
}

// start runs the library's interpreter with args.
func (l *library) start(t testing.TB, desc string, args ...string) *client {
	t.Helper()
	l.require(t)
	c := &client{t: t, proc: &proc{
		desc:   desc,
		cmd:    exec.Command(l.exe, args...),
		lines:  make(chan string, 16),
		stderr: &syncBuffer{},
		exited: make(chan struct{}),
	}}
	// No bytecode caches in the source tree.
	c.cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	c.cmd.Stderr = c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s: %v", desc, err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("%s: start: %v", desc, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = c.cmd.Process.Kill() // our own child, by its PID
			select {
			case <-c.exited:
			case <-time.After(exitTimeout):
				t.Errorf("%s: still running after kill", desc)
			}
		}
	})
	return c
}

// next returns the value of the next stdout line, which must be a JSON
// object with the single key kind ("ready" or "result").
func (c *client) next(kind string) json.RawMessage {
	c.t.Helper()
	select {
	case line, ok := <-c.lines:
		if !ok {
			<-c.exited
			c.t.Fatalf("%s exited (%v) before its %q line; stderr:\n%s", c.desc, c.err, kind, c.stderr)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil || len(m) != 1 || m[kind] == nil {
			c.t.Fatalf("%s: want a {%q: ...} line, got %q (stderr:\n%s)", c.desc, kind, line, c.stderr)
		}
		return m[kind]
	case <-time.After(lineTimeout):
		c.t.Fatalf("%s: no %q line within %v; stderr:\n%s", c.desc, kind, lineTimeout, c.stderr)
	}
	return nil
}

// ready waits for the script's ready line and decodes it into v (if not nil).
func (c *client) ready(v any) {
	c.t.Helper()
	raw := c.next("ready")
	if v != nil {
		decode(c.t, c.desc+" ready", raw, v)
	}
}

// result waits for the result line and a clean exit, and decodes the
// result into v.
func (c *client) result(v any) {
	c.t.Helper()
	raw := c.next("result")
	c.wait()
	if c.err != nil {
		c.t.Fatalf("%s: exit after its result: %v; stderr:\n%s", c.desc, c.err, c.stderr)
	}
	decode(c.t, c.desc+" result", raw, v)
}

// failure waits for the script to exit and returns its exit code and
// stderr; a script that prints anything on stdout or exits 0 fails the test.
func (c *client) failure() (int, string) {
	c.t.Helper()
	for line := range c.lines {
		c.t.Errorf("%s: unexpected output %q", c.desc, line)
	}
	c.wait()
	var ee *exec.ExitError
	if !errors.As(c.err, &ee) {
		c.t.Fatalf("%s: want a failing exit, got %v; stderr:\n%s", c.desc, c.err, c.stderr)
	}
	return ee.ExitCode(), c.stderr.String()
}

func (c *client) wait() {
	c.t.Helper()
	select {
	case <-c.exited:
	case <-time.After(exitTimeout):
		c.t.Fatalf("%s: did not exit within %v; stderr:\n%s", c.desc, exitTimeout, c.stderr)
	}
}

// decode unmarshals raw into v, numbers kept exact.
func decode(t testing.TB, what string, raw json.RawMessage, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%s: decoding %s: %v", what, abbrev(string(raw)), err)
	}
}

func abbrev(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return strings.TrimSpace(s)
}
