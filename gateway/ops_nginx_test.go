package gateway

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/wampgate/wampgate/internal/nginxconf"
	"github.com/wampgate/wampgate/internal/nginxtest"
)

// getFrom does GET url from source address src (a loopback address) and
// returns the status.
func getFrom(t *testing.T, src, url string) int {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: waitLong}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: waitLong}).Get(url)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", url, src, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("GET %s from %s: reading the body: %v", url, src, err)
	}
	return resp.StatusCode
}

// TestNginxKeepsOperatorEndpointsPrivate runs nginx-config's output in a
// real nginx and asks for the operator endpoints from two loopback
// addresses: by default only 127.0.0.1 gets them and 127.0.0.2 gets 403,
// whatever the spelling of the path; --ops-allow 127.0.0.2 turns that
// around; --ops-hide answers 404 to everyone. Other paths still reach the
// node from anywhere (426 for a plain GET /).
func TestNginxKeepsOperatorEndpointsPrivate(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	front := func(t *testing.T, allow []string, hide bool) string {
		return nginxtest.StartConfig(t, func(listen string) ([]byte, error) {
			var conf bytes.Buffer
			err := nginxconf.Render(&conf, nginxconf.Config{Listen: listen, Pool: []string{n.Addr()},
				Connections: nginxtest.Connections, OpsAllow: allow, OpsHide: hide})
			return conf.Bytes(), err
		})
	}
	paths := []string{"/metrics", "/status", "/status.json", "/healthz", "/metrics?x=1", "//metrics", "/%6detrics", "/status/"}
	for _, tc := range []struct {
		name  string
		allow []string
		hide  bool
		want  map[string]int // by source address
	}{
		{"default", nil, false, map[string]int{"127.0.0.1": 200, "127.0.0.2": 403}},
		{"allow 127.0.0.2", []string{"127.0.0.2/32"}, false, map[string]int{"127.0.0.1": 403, "127.0.0.2": 200}},
		{"hide", nil, true, map[string]int{"127.0.0.1": 404, "127.0.0.2": 404}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := front(t, tc.allow, tc.hide)
			for src, want := range tc.want {
				for _, p := range paths {
					w := want
					if w == 200 && (p == "/status/" || p == "//metrics" || p == "/%6detrics") {
						w = 426 // passed as spelled; the node serves the exact paths only
					}
					if got := getFrom(t, src, "http://"+addr+p); got != w {
						t.Errorf("GET %s from %s: %d, want %d", p, src, got, w)
					}
				}
				if got := getFrom(t, src, "http://"+addr+"/"); got != http.StatusUpgradeRequired {
					t.Errorf("GET / from %s: %d, want 426 from the node", src, got)
				}
			}
		})
	}
}
