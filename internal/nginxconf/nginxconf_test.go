package nginxconf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/internal/nginxconf"
	"github.com/wampgate/wampgate/internal/nginxtest"
)

// render renders c and fails the test on an error.
func render(t *testing.T, c nginxconf.Config) string {
	t.Helper()
	var b bytes.Buffer
	if err := nginxconf.Render(&b, c); err != nil {
		t.Fatalf("Render(%+v): %v", c, err)
	}
	return b.String()
}

// directives returns the configuration's lines without comments,
// indentation and blank lines.
func directives(conf string) []string {
	var out []string
	for line := range strings.Lines(conf) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

func TestRenderRelativeToPrefix(t *testing.T) {
	conf := render(t, nginxconf.Config{
		Listen:      "127.0.0.1:8090",
		Pool:        []string{"127.0.0.1:8095", "127.0.0.1:8097", "[::1]:8099"},
		Connections: 1000,
	})
	want := []string{
		"worker_processes auto;",
		"worker_rlimit_nofile 3024;",
		`pid "nginx.pid";`,
		`error_log "error.log" warn;`,
		"worker_shutdown_timeout 10s;",
		"events {",
		"worker_connections 2512;",
		"}",
		"http {",
		"access_log off;",
		`client_body_temp_path "client_body_temp";`,
		`proxy_temp_path "proxy_temp";`,
		`fastcgi_temp_path "fastcgi_temp";`,
		`uwsgi_temp_path "uwsgi_temp";`,
		`scgi_temp_path "scgi_temp";`,
		"map $http_upgrade $connection_upgrade {",
		"default upgrade;",
		"''      close;",
		"}",
		"upstream wampgate {",
		"zone wampgate 256k;",
		"least_conn;",
		"server 127.0.0.1:8095;",
		"server 127.0.0.1:8097;",
		"server [::1]:8099;",
		"}",
		"server {",
		"listen 127.0.0.1:8090 backlog=4096;",
		`location ~ ^/(metrics|status|status\.json|healthz)/?$ {`,
		"allow 127.0.0.1;",
		"allow ::1;",
		"deny all;",
		"proxy_pass http://wampgate;",
		"proxy_http_version 1.1;",
		"proxy_set_header Host $host;",
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
		"proxy_connect_timeout 5s;",
		"proxy_read_timeout 30s;",
		"}",
		"location / {",
		"proxy_pass http://wampgate;",
		"proxy_http_version 1.1;",
		"proxy_set_header Upgrade $http_upgrade;",
		"proxy_set_header Connection $connection_upgrade;",
		"proxy_set_header Host $host;",
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
		"proxy_connect_timeout 5s;",
		"proxy_read_timeout 1h;",
		"proxy_send_timeout 1h;",
		"proxy_buffering off;",
		"proxy_request_buffering off;",
		"}",
		"}",
		"}",
	}
	if got := directives(conf); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("directives:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	nginxtest.Check(t, dir, "nginx.conf")
}

// With a prefix every path is absolute under it, so nginx puts its files
// there whatever its own -p prefix is.
func TestRenderUnderAbsolutePrefix(t *testing.T) {
	prefix := t.TempDir()
	conf := render(t, nginxconf.Config{Listen: "127.0.0.1:8090", Pool: []string{"127.0.0.1:8095"}, Prefix: prefix + "/"})
	paths := regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(conf, -1)
	if len(paths) != 7 {
		t.Fatalf("want 7 quoted paths, got %d in\n%s", len(paths), conf)
	}
	for _, p := range paths {
		if filepath.Dir(p[1]) != prefix {
			t.Errorf("path %q is not directly under %s", p[1], prefix)
		}
	}
	if !strings.Contains(conf, "worker_connections 40512;") || !strings.Contains(conf, "worker_rlimit_nofile 41024;") {
		t.Errorf("not sized for the default %d connections:\n%s", nginxconf.DefaultConnections, conf)
	}

	file := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	nginxtest.Check(t, t.TempDir(), file)
	if fi, err := os.Stat(filepath.Join(prefix, "proxy_temp")); err != nil || !fi.IsDir() {
		t.Fatalf("nginx -t did not create its temporary directory under the prefix: %v", err)
	}
}

func TestRenderRejects(t *testing.T) {
	pool := []string{"127.0.0.1:8095"}
	for _, tc := range []struct {
		name string
		conf nginxconf.Config
		want string
	}{
		{"empty pool", nginxconf.Config{Listen: "127.0.0.1:8090"},
			"the pool is empty: give at least one wampgate node (host:port)"},
		{"listen without port", nginxconf.Config{Listen: "127.0.0.1", Pool: pool},
			`listen address: "127.0.0.1": want host:port`},
		{"port out of range", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: []string{"127.0.0.1:70000"}},
			`pool: "127.0.0.1:70000": port must be a number from 1 to 65535`},
		{"no host", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: []string{":8095"}},
			`pool: ":8095": host is missing`},
		{"config injection", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: []string{"a;b:8095"}},
			`pool: "a;b:8095": host must be an IP address or a DNS name`},
		{"relative prefix", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: pool, Prefix: "run/nginx"},
			`prefix "run/nginx": must be an absolute directory`},
		{"quote in prefix", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: pool, Prefix: `/tmp/a"b`},
			`prefix "/tmp/a\"b": quotes, backslashes, $ and line breaks cannot be used in an nginx path`},
		{"negative connections", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: pool, Connections: -1},
			"connections -1: must not be negative"},
		{"certificate without key", nginxconf.Config{Listen: "127.0.0.1:8443", Pool: pool, TLSCert: "/etc/c.pem"},
			"TLS needs both a certificate and a key"},
		{"redirect without TLS", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: pool, RedirectListen: "127.0.0.1:80"},
			"an HTTP to HTTPS redirect needs TLS (a certificate and a key)"},
		{"injection in a TLS path", nginxconf.Config{Listen: "127.0.0.1:8443", Pool: pool, TLSCert: "/etc/c.pem", TLSKey: "/k.pem\"; include /x;"},
			`TLS file "/k.pem\"; include /x;": quotes, backslashes, $, ;, braces and line breaks cannot be used in an nginx path`},
		{"bad redirect address", nginxconf.Config{Listen: "127.0.0.1:8443", Pool: pool, TLSCert: "/c.pem", TLSKey: "/k.pem", RedirectListen: "80"},
			`redirect listen address: "80": want host:port`},
		{"injection in an allowed address", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: pool, OpsAllow: []string{"10.0.0.1; allow all"}},
			`operator endpoints: allow "10.0.0.1; allow all": want an IP address or a CIDR network`},
		{"hidden and allowed", nginxconf.Config{Listen: "127.0.0.1:8090", Pool: pool, OpsHide: true, OpsAllow: []string{"10.0.0.0/8"}},
			"operator endpoints: hidden from everyone, yet allowed to some"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := nginxconf.Render(&b, tc.conf)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if b.Len() != 0 {
				t.Fatalf("wrote %q despite the error", b.String())
			}
		})
	}
}

// TestRenderTLS: TLS 1.2 and 1.3 with forward-secret AEAD ciphers on
// the listen address, the redirect on its own (gateway TestNginxTLS runs
// it in a real nginx).
func TestRenderTLS(t *testing.T) {
	conf := render(t, nginxconf.Config{Listen: "127.0.0.1:8443", Pool: []string{"127.0.0.1:8095"},
		TLSCert: "/etc/wampgate/cert.pem", TLSKey: "/etc/wampgate/key.pem", RedirectListen: "127.0.0.1:8080"})
	d := strings.Join(directives(conf), "\n")
	for _, want := range []string{
		"listen 127.0.0.1:8443 ssl backlog=4096;",
		`ssl_certificate "/etc/wampgate/cert.pem";`,
		`ssl_certificate_key "/etc/wampgate/key.pem";`,
		"ssl_protocols TLSv1.2 TLSv1.3;",
		"ssl_session_tickets off;",
		"listen 127.0.0.1:8080;\nreturn 301 https://$host:8443$request_uri;",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("no %q in\n%s", want, conf)
		}
	}
	if m := regexp.MustCompile(`ssl_ciphers ([^;]*);`).FindStringSubmatch(d); m == nil {
		t.Error("no ssl_ciphers")
	} else {
		for _, c := range strings.Split(m[1], ":") {
			if !strings.HasPrefix(c, "ECDHE-") || !(strings.Contains(c, "GCM") || strings.Contains(c, "CHACHA20")) {
				t.Errorf("cipher %s is not ECDHE with an AEAD", c)
			}
		}
	}
	conf443 := render(t, nginxconf.Config{Listen: "0.0.0.0:443", Pool: []string{"127.0.0.1:8095"},
		TLSCert: "c.pem", TLSKey: "k.pem", RedirectListen: "0.0.0.0:80"})
	if !strings.Contains(conf443, "return 301 https://$host$request_uri;") {
		t.Errorf("on port 443 the redirect names no port:\n%s", conf443)
	}
}

func TestSizing(t *testing.T) {
	if got := nginxconf.WorkerConnections(20000); got != 40512 {
		t.Errorf("WorkerConnections(20000) = %d", got)
	}
	if got := nginxconf.FileLimit(20000); got != 41024 {
		t.Errorf("FileLimit(20000) = %d", got)
	}
	for _, limit := range []int{0, 1023, 1024, 1025, 20000, 1 << 20} {
		n := nginxconf.MaxClients(limit)
		if n > 0 && nginxconf.FileLimit(n) > limit || nginxconf.FileLimit(n+1) <= limit {
			t.Errorf("MaxClients(%d) = %d, not the largest that fits", limit, n)
		}
	}
}
