package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/internal/nginxconf"
	"github.com/wampgate/wampgate/internal/nginxtest"
	"golang.org/x/sys/unix"
)

// nginxConfig runs `wampgate nginx-config args...` and returns what it
// printed and logged.
func nginxConfig(t *testing.T, args ...string) (out, logs string, err error) {
	t.Helper()
	var o, l bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &o, &l
	err = app.Run(append([]string{"wampgate", "nginx-config"}, args...))
	return o.String(), l.String(), err
}

// The printed configuration is the renderer's, and nginx accepts it.
func TestNginxConfigPrintsAWorkingConfig(t *testing.T) {
	pool := []string{"127.0.0.1:8095", "127.0.0.1:8097"}
	out, logs, err := nginxConfig(t, "--pool", strings.Join(pool, ","), "--listen", "127.0.0.1:8090", "--connections", "1000")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := nginxconf.Render(&want, nginxconf.Config{Listen: "127.0.0.1:8090", Pool: pool, Connections: 1000}); err != nil {
		t.Fatal(err)
	}
	if out != want.String() {
		t.Fatalf("printed:\n%s\nwant:\n%s", out, want.String())
	}
	if logs != "" {
		t.Errorf("logs: %s", logs)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	nginxtest.Check(t, dir, "nginx.conf")
}

// The pool comes from the same places as run's: the flag, WAMPGATE_POOL
// or a --config file; the other flags have WAMPGATE_NGINX_* variables.
func TestNginxConfigPoolSources(t *testing.T) {
	yaml := writeFile(t, "wampgate.yaml", "pool:\n  - 127.0.0.1:9001\n  - 127.0.0.1:9003\nnode: 127.0.0.1:9001\n", 0o600)
	t.Setenv("WAMPGATE_NGINX_LISTEN", "127.0.0.1:9000")
	t.Setenv("WAMPGATE_NGINX_PREFIX", "/srv/lb")
	out, _, err := nginxConfig(t, "--config", yaml)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"server 127.0.0.1:9001;", "server 127.0.0.1:9003;", "listen 127.0.0.1:9000 backlog=4096;", `pid "/srv/lb/nginx.pid";`} {
		if !strings.Contains(out, "\n"+line+"\n") && !strings.Contains(out, " "+line+"\n") {
			t.Errorf("no %q in\n%s", line, out)
		}
	}

	t.Setenv("WAMPGATE_POOL", "127.0.0.1:9005")
	out, _, err = nginxConfig(t, "--config", yaml)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "        server 127.0.0.1:9005;\n    }") || strings.Contains(out, "9001") {
		t.Errorf("WAMPGATE_POOL does not win over the file:\n%s", out)
	}
}

func TestNginxConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no pool: give --pool host:port,..., WAMPGATE_POOL or a --config file with a pool list"},
		{[]string{"--pool", "127.0.0.1"}, `--pool: address "127.0.0.1": want host:port`},
		{[]string{"--pool", "127.0.0.1:8095", "--listen", "8090"}, `nginx-config: listen address: "8090": want host:port`},
		{[]string{"--pool", "127.0.0.1:8095", "--prefix", "lb"}, `nginx-config: prefix "lb": must be an absolute directory`},
	} {
		out, _, err := nginxConfig(t, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
		if out != "" {
			t.Errorf("%q: printed %q despite the error", tc.args, out)
		}
	}
}

// A configuration sized beyond this machine's descriptor limit still
// prints, with a warning that says how many connections would fit.
func TestNginxConfigWarnsAboutTheDescriptorLimit(t *testing.T) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max == unix.RLIM_INFINITY || lim.Max > 1<<30 {
		t.Skipf("the hard descriptor limit (%d) is beyond any configuration", lim.Max)
	}
	hard := int(lim.Max)
	fits := nginxconf.MaxClients(hard)
	_, logs, err := nginxConfig(t, "--pool", "127.0.0.1:8095", "--connections", "1000000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"level=WARN", "worker_rlimit_nofile=2001024", "hard_limit=" + strconv.Itoa(hard), "connections_that_fit=" + strconv.Itoa(fits)} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %s in the logs: %s", want, logs)
		}
	}
	if _, logs, _ := nginxConfig(t, "--pool", "127.0.0.1:8095", "--connections", strconv.Itoa(fits)); logs != "" {
		t.Errorf("warned about %d connections, which fit: %s", fits, logs)
	}
}

// --tls-cert, --tls-key and --tls-redirect reach the renderer; the
// redirect listens on --listen's host, port 80, unless told otherwise.
func TestNginxConfigTLSFlags(t *testing.T) {
	pool := []string{"127.0.0.1:8095"}
	for _, tc := range []struct {
		args     []string
		redirect string
	}{
		{nil, ""},
		{[]string{"--tls-redirect"}, "127.0.0.1:80"},
		{[]string{"--tls-redirect", "--redirect-listen", "127.0.0.1:8080"}, "127.0.0.1:8080"},
	} {
		args := append([]string{"--pool", pool[0], "--listen", "127.0.0.1:8443", "--connections", "100",
			"--tls-cert", "/etc/wampgate/cert.pem", "--tls-key", "/etc/wampgate/key.pem"}, tc.args...)
		out, _, err := nginxConfig(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := nginxconf.Render(&want, nginxconf.Config{Listen: "127.0.0.1:8443", Pool: pool, Connections: 100,
			TLSCert: "/etc/wampgate/cert.pem", TLSKey: "/etc/wampgate/key.pem", RedirectListen: tc.redirect}); err != nil {
			t.Fatal(err)
		}
		if out != want.String() {
			t.Errorf("%v printed:\n%s\nwant:\n%s", tc.args, out, want.String())
		}
	}
	if _, _, err := nginxConfig(t, "--pool", pool[0], "--redirect-listen", "127.0.0.1:80"); err == nil {
		t.Error("--redirect-listen without --tls-redirect was accepted")
	}
	if _, _, err := nginxConfig(t, "--pool", pool[0], "--tls-cert", "/c.pem"); err == nil {
		t.Error("--tls-cert without --tls-key was accepted")
	}
}
