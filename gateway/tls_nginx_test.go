package gateway

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wampgate/wampgate/internal/nginxconf"
	"github.com/wampgate/wampgate/internal/nginxtest"
	"github.com/wampgate/wampgate/internal/wstest"
)

// requireOpenSSLEnv turns a missing openssl from a skip into a failure
// (.ci/run sets it).
const requireOpenSSLEnv = "WAMPGATE_REQUIRE_OPENSSL"

// selfSignedCert makes a certificate for 127.0.0.1 with openssl and
// returns the paths of the certificate and the key.
func selfSignedCert(t *testing.T) (cert, key string) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv(requireOpenSSLEnv) == "1" {
			t.Fatalf("openssl not installed (%s=1): apt-get install -y openssl", requireOpenSSLEnv)
		}
		t.Skip("openssl not installed: apt-get install -y openssl")
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	out, err := exec.Command(bin, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=wampgate test",
		"-addext", "subjectAltName=IP:127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	return cert, key
}

// TestNginxTLS runs a WAMP session over wss:// through nginx configured
// by `wampgate nginx-config --tls-cert --tls-key --tls-redirect`: TLS 1.2
// and 1.3 are accepted, 1.1 refused, and plain HTTP is redirected.
func TestNginxTLS(t *testing.T) {
	cert, key := selfSignedCert(t)
	n := startNode(t, testConfig("epoll"))
	redirect := freeAddrs(t, 1)[0]
	front := nginxtest.StartConfig(t, func(listen string) ([]byte, error) {
		var conf bytes.Buffer
		err := nginxconf.Render(&conf, nginxconf.Config{
			Listen: listen, Pool: []string{n.Addr()}, Connections: nginxtest.Connections,
			TLSCert: cert, TLSKey: key, RedirectListen: redirect,
		})
		return conf.Bytes(), err
	})
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("the certificate does not parse")
	}
	dialTLS := func(minV, maxV uint16) (*tls.Conn, error) {
		d := &net.Dialer{Timeout: waitLong}
		return tls.DialWithDialer(d, "tcp", front, &tls.Config{RootCAs: roots, MinVersion: minV, MaxVersion: maxV})
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			conn, err := dialTLS(v, v)
			if err != nil {
				t.Fatalf("TLS handshake: %v", err)
			}
			c := wstest.NewClient(conn)
			defer c.Close()
			if err := c.Upgrade(front, nil); err != nil {
				t.Fatalf("WebSocket upgrade over TLS: %v", err)
			}
			w := &wampClient{Client: c, t: t}
			if msg, err := c.ReadText(waitLong); err != nil || welcomeRE.FindStringSubmatch(msg) == nil {
				t.Fatalf("no WELCOME over TLS: %q %v", msg, err)
			}
			w.subscribe("com.example.tls")
			w.send(`[7,"com.example.tls","over tls",false]`)
			w.expectEvent("com.example.tls", `"over tls"`)
		})
	}
	if conn, err := dialTLS(tls.VersionTLS10, tls.VersionTLS11); err == nil {
		conn.Close()
		t.Error("nginx accepted TLS 1.1")
	}
	client := &http.Client{Timeout: waitLong, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + redirect + "/status?x=1")
	if err != nil {
		t.Fatalf("plain HTTP: %v", err)
	}
	resp.Body.Close()
	_, port, _ := net.SplitHostPort(front)
	if want := "https://127.0.0.1:" + port + "/status?x=1"; resp.StatusCode != 301 || resp.Header.Get("Location") != want {
		t.Errorf("plain HTTP: %d to %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}
