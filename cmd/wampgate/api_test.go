package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

func TestAPIFlags(t *testing.T) {
	cfg := configFromFlags(parseRun(t))
	if cfg.APIListen != "" || cfg.APIConcurrency != 256 || cfg.APIKeys != nil {
		t.Fatalf("defaults: listen %q, concurrency %d, keys %d", cfg.APIListen, cfg.APIConcurrency, len(cfg.APIKeys))
	}
	cfg = configFromFlags(parseRun(t, "--api-listen", "127.0.0.1:9000", "--api-concurrency", "8"))
	if cfg.APIListen != "127.0.0.1:9000" || cfg.APIConcurrency != 8 {
		t.Fatalf("flags: listen %q, concurrency %d", cfg.APIListen, cfg.APIConcurrency)
	}
	t.Setenv("WAMPGATE_API_LISTEN", "127.0.0.1:9001")
	t.Setenv("WAMPGATE_API_CONCURRENCY", "9")
	if cfg = configFromFlags(parseRun(t)); cfg.APIListen != "127.0.0.1:9001" || cfg.APIConcurrency != 9 {
		t.Fatalf("environment: listen %q, concurrency %d", cfg.APIListen, cfg.APIConcurrency)
	}
}

func TestAPIKeyFile(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	path := writeFile(t, "api-keys", "# backend\nkey-one-0123456789\nkey-two-0123456789\n", 0o600)
	keys, err := apiKeysFrom(parseRun(t, "--api-key-file", path), log)
	if err != nil || len(keys) != 2 || string(keys[1]) != "key-two-0123456789" {
		t.Fatalf("keys %q, %v", keys, err)
	}
	t.Setenv("WAMPGATE_API_KEY_FILE", path)
	if keys, err := apiKeysFrom(parseRun(t), log); err != nil || len(keys) != 2 {
		t.Fatalf("from WAMPGATE_API_KEY_FILE: %q, %v", keys, err)
	}
	if logs.Len() != 0 {
		t.Fatalf("logs: %s", logs.String())
	}
	os.Unsetenv("WAMPGATE_API_KEY_FILE")

	shared := writeFile(t, "shared-keys", "key-one-0123456789\n", 0o644)
	if _, err := apiKeysFrom(parseRun(t, "--api-key-file", shared), log); err != nil ||
		!strings.Contains(logs.String(), "the API key file can be read by other users; chmod 600 it") {
		t.Fatalf("a key file others can read: %v, logs %q", err, logs.String())
	}
	if strings.Contains(logs.String(), "key-one") {
		t.Fatalf("a key was logged: %s", logs.String())
	}
	bad := writeFile(t, "bad-keys", "key-one-0123456789\nsecret\n", 0o600)
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--api-key-file", bad}, "--api-key-file: API key file " + bad + ": line 2: the key shorter than 16 characters"},
		{[]string{"--api-key-file", bad + ".missing"}, "--api-key-file: API key file: open " + bad + ".missing: no such file or directory"},
		{[]string{"--api-listen", "127.0.0.1:9000"}, "--api-listen without --api-key-file: the HTTP API needs keys"},
	} {
		if _, err := apiKeysFrom(parseRun(t, tc.args...), log); err == nil || err.Error() != tc.err {
			t.Errorf("%v: got %v, want %s", tc.args, err, tc.err)
		}
	}
	if keys, err := apiKeysFrom(parseRun(t), log); err != nil || keys != nil {
		t.Fatalf("without a key file: %q, %v", keys, err)
	}
}

// readmeExample is one `$ command` of the README's HTTP API section and
// the output shown under it.
type readmeExample struct{ cmd, output string }

// readmeAPIExamples returns the console examples of the README's HTTP API
// section.
func readmeAPIExamples(t *testing.T) []readmeExample {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "\n## HTTP API\n")
	if start < 0 {
		t.Fatal("README.md has no HTTP API section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var out []readmeExample
	for _, block := range strings.Split(section, "```console\n")[1:] {
		block = block[:strings.Index(block, "```")]
		for _, line := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
			if cmd, ok := strings.CutPrefix(line, "$ "); ok {
				out = append(out, readmeExample{cmd: cmd})
			} else if len(out) > 0 {
				out[len(out)-1].output += line + "\n"
			}
		}
	}
	if len(out) < 6 {
		t.Fatalf("found %d examples in the README's HTTP API section", len(out))
	}
	return out
}

// longNumber matches the ids in an example's output (publication ids).
var longNumber = regexp.MustCompile(`[0-9]{10,}`)

// TestREADMEAPIExamples runs the README's curl examples as written (the
// port changed) against a `wampgate run --api-key-file` process with a v1
// subscriber of the chat topic and a v2 callee of com.example.add.
func TestREADMEAPIExamples(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("WAMPGATE_REQUIRE_CLIENTS") == "1" {
			t.Fatal("curl is not installed")
		}
		t.Skip("curl is not installed")
	}
	examples := readmeAPIExamples(t)
	const key = "readme-example-key-0123456789"
	path := writeFile(t, "api-keys", "# the shop backend\n"+key+"\n", 0o600)
	addr := freeAddr(t)
	p := startNodeProcess(t, addr, nil, "--api-key-file", path)
	waitHealthy(t, p, 10*time.Second)
	sub := subscriber(t, addr, "com.example.chat")
	serveAdd(t, addr)
	for _, ex := range examples {
		cmd := exec.Command("bash", "-c", strings.ReplaceAll(ex.cmd, "127.0.0.1:8095", addr))
		cmd.Env = append(os.Environ(), "KEY="+key)
		got, err := cmd.CombinedOutput()
		want := "^" + longNumber.ReplaceAllString(regexp.QuoteMeta(ex.output), "[0-9]+") + "$"
		if err != nil || !regexp.MustCompile(want).Match(got) {
			t.Fatalf("$ %s\ngot %s(%v)\nwant %s", ex.cmd, got, err, ex.output)
		}
	}
	expectEvent(t, sub, "com.example.chat", `{"text":"hello"}`)
}

// serveAdd connects a WAMP v2 JSON callee of com.example.add, which
// answers the sum of its integer arguments, until the test ends.
func serveAdd(t *testing.T, addr string) {
	t.Helper()
	c := dialJSON(t, addr)
	send(t, c, `[1,"realm1",{"roles":{"callee":{}}}]`)
	if got, err := c.ReadText(5 * time.Second); err != nil || !welcomeRE.MatchString(got) {
		t.Fatalf("HELLO: %q %v", got, err)
	}
	send(t, c, `[64,1,{},"com.example.add"]`)
	if got, err := c.ReadText(5 * time.Second); err != nil || !strings.HasPrefix(got, "[65,1,") {
		t.Fatalf("REGISTER: %q %v", got, err)
	}
	go answerAdds(c)
}

// answerAdds answers INVOCATIONs [68, id, reg, {}, [ints]] with YIELD
// [70, id, {}, [sum]] until the connection ends or is quiet for a minute.
func answerAdds(c *wstest.Client) {
	for {
		msg, err := c.ReadText(time.Minute)
		if err != nil {
			return
		}
		var inv []json.RawMessage
		var id uint64
		var args []int64
		if json.Unmarshal([]byte(msg), &inv) != nil || len(inv) < 5 ||
			json.Unmarshal(inv[1], &id) != nil || json.Unmarshal(inv[4], &args) != nil {
			_, _ = io.WriteString(os.Stderr, "serveAdd: unexpected message "+msg+"\n")
			return
		}
		var sum int64
		for _, a := range args {
			sum += a
		}
		yield, _ := json.Marshal([]any{70, id, map[string]any{}, []int64{sum}})
		if c.SendText(string(yield)) != nil {
			return
		}
	}
}
