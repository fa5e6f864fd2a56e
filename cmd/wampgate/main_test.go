package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/gateway"
)

// parseRun runs `wampgate run args...` with the node replaced by a capture
// of its configuration.
func parseRun(t *testing.T, args ...string) *cli.Context {
	t.Helper()
	var got *cli.Context
	app := newApp()
	for _, c := range app.Commands {
		if c.Name == "run" {
			c.Action = func(ctx *cli.Context) error { got = ctx; return nil }
		}
	}
	if err := app.Run(append([]string{"wampgate", "run"}, args...)); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRunDefaultsAreASingleLocalNode(t *testing.T) {
	cfg := configFromFlags(parseRun(t))
	if cfg.Addr != "127.0.0.1:8095" || cfg.Poller != "epoll" || cfg.MaxMessageSize != 4<<20 {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestRunFlagsAndEnvironment(t *testing.T) {
	t.Setenv("WAMPGATE_PORT", "9001")
	t.Setenv("WAMPGATE_POLLER", "goroutine")
	t.Setenv("WAMPGATE_ALLOWED_ORIGINS", "https://a.example,https://b.example")
	cfg := configFromFlags(parseRun(t, "--idle-timeout", "5s", "--workers", "3", "--poller", "easygo"))
	if cfg.Addr != "127.0.0.1:9001" {
		t.Errorf("addr %q: WAMPGATE_PORT ignored", cfg.Addr)
	}
	if cfg.Poller != "easygo" {
		t.Errorf("poller %q: the flag must win over the environment", cfg.Poller)
	}
	if cfg.IdleTimeout != 5*time.Second || cfg.Workers != 3 {
		t.Errorf("idle timeout %v, workers %d", cfg.IdleTimeout, cfg.Workers)
	}
	if strings.Join(cfg.AllowedOrigins, " ") != "https://a.example https://b.example" {
		t.Errorf("allowed origins %q", cfg.AllowedOrigins)
	}
}

func TestRealmFlags(t *testing.T) {
	cfg := configFromFlags(parseRun(t, "--realm", "com.a", "--realm", "com.b,com.c", "--v1-realm", "com.b"))
	if strings.Join(cfg.Realms, " ") != "com.a com.b com.c" || cfg.V1Realm != "com.b" {
		t.Errorf("realms %q, v1 realm %q", cfg.Realms, cfg.V1Realm)
	}
	t.Setenv("WAMPGATE_REALM", "x,y")
	t.Setenv("WAMPGATE_V1_REALM", "y")
	if cfg := configFromFlags(parseRun(t)); strings.Join(cfg.Realms, " ") != "x y" || cfg.V1Realm != "y" {
		t.Errorf("from the environment: realms %q, v1 realm %q", cfg.Realms, cfg.V1Realm)
	}
}

func TestMetaKillFlag(t *testing.T) {
	if cfg := configFromFlags(parseRun(t)); cfg.MetaKill {
		t.Error("the meta kill procedures are on by default")
	}
	if cfg := configFromFlags(parseRun(t, "--meta-kill")); !cfg.MetaKill {
		t.Error("--meta-kill ignored")
	}
	t.Setenv("WAMPGATE_META_KILL", "true")
	if cfg := configFromFlags(parseRun(t)); !cfg.MetaKill {
		t.Error("WAMPGATE_META_KILL ignored")
	}
}

func TestEveryRunFlagHasAnEnvironmentVariable(t *testing.T) {
	for _, f := range runFlags() {
		name := f.Names()[0]
		want := "WAMPGATE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		env := f.(interface{ GetEnvVars() []string }).GetEnvVars()
		if len(env) != 1 || env[0] != want {
			t.Errorf("--%s: env %v, want %s", name, env, want)
		}
	}
}

func TestVersionAndBadLogSettings(t *testing.T) {
	var out bytes.Buffer
	app := newApp()
	app.Writer = &out
	if err := app.Run([]string{"wampgate", "version"}); err != nil || !strings.HasPrefix(out.String(), "wampgate ") {
		t.Fatalf("version: %q, %v", out.String(), err)
	}
	if _, err := newLogger(&out, "loud", "text"); err == nil {
		t.Fatal("bad log level accepted")
	}
	if _, err := newLogger(&out, "info", "xml"); err == nil {
		t.Fatal("bad log format accepted")
	}
}

// A real node started through the CLI serves /healthz and shuts down
// cleanly when its context ends (as on SIGINT/SIGTERM).
func TestRunServesAndShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	app := newApp()
	app.ErrWriter = &logs
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(ctx, []string{"wampgate", "run", "--port", strconv.Itoa(port),
			"--shutdown-timeout", "2s", "--log-format", "json"})
	}()

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Get(url); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("node never answered: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("healthz %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("node did not shut down")
	}
	if !strings.Contains(logs.String(), `"msg":"wampgate node stopped"`) {
		t.Fatalf("logs: %s", logs.String())
	}
}

// `wampgate version` names the module version and the Go toolchain from
// the build information (a test binary has no VCS revision; a build from
// a git clone adds "revision <12 hex digits>").
func TestVersionPrintsBuildInfo(t *testing.T) {
	var out bytes.Buffer
	app := newApp()
	app.Writer = &out
	if err := app.Run([]string{"wampgate", "version"}); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^wampgate ` + regexp.QuoteMeta(gateway.Version) + ` \(module [^,]+, (revision [0-9a-f]{12}(-dirty)?, committed [^,]+, )?go[0-9.]+[^)]*\)\n$`)
	if !re.MatchString(out.String()) {
		t.Errorf("wampgate version printed %q", out.String())
	}
}
