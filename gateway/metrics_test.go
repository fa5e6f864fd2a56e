package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/internal/wstest"
)

// opsGet does one request over a real socket and returns status, content
// type and body.
func opsGet(t testing.TB, method, url string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: waitLong}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// scrape gets /metrics from addr and parses it as Prometheus text.
func scrape(t testing.TB, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	status, ctype, body := opsGet(t, "GET", "http://"+addr+PathMetrics)
	if status != 200 || !strings.HasPrefix(ctype, "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q\n%s", status, ctype, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	return mfs
}

// metricValue returns the value of the sample of family name whose labels
// include labels (name=value pairs), requiring the family's type.
func metricValue(t testing.TB, mfs map[string]*dto.MetricFamily, name string, typ dto.MetricType, labels ...string) float64 {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no metric %s", name)
	}
	if mf.GetType() != typ {
		t.Fatalf("%s is a %v, want a %v", name, mf.GetType(), typ)
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch typ {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no sample of %s with labels %v", name, labels)
	return 0
}

// TestMetricsAfterRealSessions scrapes /metrics on the node's port after
// real sessions subscribed, published and got their events, and after a
// handshake was refused, and checks names, types and values.
func TestMetricsAfterRealSessions(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.APIKeys = [][]byte{[]byte(testAPIKey)}
	n := startNode(t, cfg)
	const topic = "http://example.com/metrics"
	subs := []*wampClient{dialWAMP(t, n.Addr()), dialWAMP(t, n.Addr())}
	for _, s := range subs {
		s.subscribe(topic)
	}
	pub := dialWAMP(t, n.Addr())
	for _, ev := range []string{`1`, `"two"`, `{"three":3}`} {
		pub.publish(topic, ev)
		for _, s := range subs {
			s.expectEvent(topic, ev)
		}
	}
	// A client that offers no WAMP subprotocol is refused (426).
	c, err := wstest.Dial(n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Handshake(wstest.UpgradeRequest(n.Addr(), "mqtt").Bytes(), waitLong)
	if err != nil || resp.StatusCode != 426 {
		t.Fatalf("handshake offering mqtt: %+v %v", resp, err)
	}

	mfs := scrape(t, n.Addr())
	for _, tc := range []struct {
		name   string
		typ    dto.MetricType
		labels []string
		want   float64
	}{
		{"wampgate_sessions", dto.MetricType_GAUGE, []string{"protocol", "wamp"}, 3},
		{"wampgate_realm_sessions", dto.MetricType_GAUGE, []string{"realm", "realm1"}, 3},
		{"wampgate_realm_subscriptions", dto.MetricType_GAUGE, []string{"realm", "realm1"}, 1},
		{"wampgate_realm_subscribers", dto.MetricType_GAUGE, []string{"realm", "realm1"}, 2},
		{"wampgate_handshakes_total", dto.MetricType_COUNTER, nil, 3},
		{"wampgate_handshakes_refused_total", dto.MetricType_COUNTER, []string{"reason", "subprotocol"}, 1},
		{"wampgate_handshakes_refused_total", dto.MetricType_COUNTER, []string{"reason", "auth"}, 0},
		{"wampgate_handshake_timeouts_total", dto.MetricType_COUNTER, []string{"stage", "upgrade"}, 0},
		{"wampgate_publications_total", dto.MetricType_COUNTER, nil, 3},
		{"wampgate_deliveries_total", dto.MetricType_COUNTER, nil, 6},
		{"wampgate_messages_in_total", dto.MetricType_COUNTER, nil, 5}, // 2 SUBSCRIBE, 3 PUBLISH
		{"wampgate_messages_received_total", dto.MetricType_COUNTER, []string{"protocol", "wamp", "type", "SUBSCRIBE"}, 2},
		{"wampgate_messages_received_total", dto.MetricType_COUNTER, []string{"protocol", "wamp", "type", "PUBLISH"}, 3},
		{"wampgate_messages_received_total", dto.MetricType_COUNTER, []string{"protocol", "wamp", "type", "CALL"}, 0},
		{"wampgate_messages_sent_total", dto.MetricType_COUNTER, []string{"protocol", "wamp", "type", "WELCOME"}, 3},
		{"wampgate_messages_sent_total", dto.MetricType_COUNTER, []string{"protocol", "wamp", "type", "EVENT"}, 6},
		{"wampgate_messages_sent_total", dto.MetricType_COUNTER, []string{"protocol", "wamp.2.json", "type", "EVENT"}, 0},
		{"wampgate_slow_consumers_closed_total", dto.MetricType_COUNTER, nil, 0},
		{"wampgate_unauthorized_total", dto.MetricType_COUNTER, []string{"action", "publish"}, 0},
		{"wampgate_build_info", dto.MetricType_GAUGE, []string{"version", Version}, 1},
		{"wampgate_api_requests_total", dto.MetricType_COUNTER, nil, 0},
		{"wampgate_api_in_flight", dto.MetricType_GAUGE, nil, 0},
	} {
		if got := metricValue(t, mfs, tc.name, tc.typ, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	// Connections: the three sessions, the refused client (closed or
	// closing) and the scrape itself.
	if open := metricValue(t, mfs, "wampgate_connections_open", dto.MetricType_GAUGE); open < 3 || open > 5 {
		t.Errorf("wampgate_connections_open = %v, want 3 to 5", open)
	}
	if got := metricValue(t, mfs, "wampgate_frames_out_total", dto.MetricType_COUNTER); got < 6+3 {
		t.Errorf("wampgate_frames_out_total = %v, want at least the 6 events and 3 WELCOMEs", got)
	}
	if got := metricValue(t, mfs, "wampgate_bytes_out_total", dto.MetricType_COUNTER); got == 0 {
		t.Error("wampgate_bytes_out_total is 0")
	}
	// The Go runtime's and the process's collectors.
	if got := metricValue(t, mfs, "go_goroutines", dto.MetricType_GAUGE); got < 1 {
		t.Errorf("go_goroutines = %v", got)
	}
	if got := metricValue(t, mfs, "process_resident_memory_bytes", dto.MetricType_GAUGE); got < 1<<20 {
		t.Errorf("process_resident_memory_bytes = %v", got)
	}
	if _, ok := mfs["wampgate_peer_link_up"]; ok {
		t.Error("a single node reports peer links")
	}
}

// TestOperatorEndpointsReadOnly: other methods than GET and HEAD get 405,
// HEAD gets the headers alone, and the page is served as HTML.
func TestOperatorEndpointsReadOnly(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	for _, path := range []string{PathMetrics, PathStatus, PathStatusJSON} {
		for _, method := range []string{"POST", "PUT", "DELETE"} {
			if status, _, _ := opsGet(t, method, "http://"+n.Addr()+path); status != 405 {
				t.Errorf("%s %s: %d, want 405", method, path, status)
			}
		}
		status, _, body := opsGet(t, "HEAD", "http://"+n.Addr()+path)
		if status != 200 || body != "" {
			t.Errorf("HEAD %s: %d %q", path, status, body)
		}
	}
	status, ctype, body := opsGet(t, "GET", "http://"+n.Addr()+PathStatus+"?refresh=1")
	if status != 200 || ctype != "text/html; charset=utf-8" || !strings.Contains(body, `fetch("status.json"`) {
		t.Errorf("GET /status: %d %q", status, ctype)
	}
}

// TestMetricsListen serves the operator endpoints on a listener of their
// own; the node's port then answers them with 426 like any other path.
func TestMetricsListen(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.MetricsListen = "127.0.0.1:0"
	n := startNode(t, cfg)
	dialWAMP(t, n.Addr()).sync()
	mfs := scrape(t, n.MetricsAddr())
	if got := metricValue(t, mfs, "wampgate_sessions", dto.MetricType_GAUGE, "protocol", "wamp"); got != 1 {
		t.Errorf("wampgate_sessions = %v, want 1", got)
	}
	for _, path := range []string{PathMetrics, PathStatus, PathStatusJSON} {
		if status, _, _ := opsGet(t, "GET", "http://"+n.Addr()+path); status != 426 {
			t.Errorf("GET %s on the node's port: %d, want 426", path, status)
		}
	}
	for _, path := range []string{PathStatus, PathStatusJSON, "/healthz"} {
		if status, _, _ := opsGet(t, "GET", "http://"+n.MetricsAddr()+path); status != 200 {
			t.Errorf("GET %s on the metrics listener: %d", path, status)
		}
	}
	if status, _, _ := opsGet(t, "GET", "http://"+n.MetricsAddr()+"/api/publish"); status != 404 {
		t.Errorf("GET /api/publish on the metrics listener: %d, want 404", status)
	}
	if status, _, _ := opsGet(t, "POST", "http://"+n.MetricsAddr()+PathMetrics); status != 405 {
		t.Errorf("POST /metrics on the metrics listener: %d, want 405", status)
	}
}

// TestOperatorEndpointsHoldNoSecret: a two-node cluster with a cluster
// secret, an API key and JWT authentication, after a session with a token
// and a refused token: none of the secrets appears in /metrics, /status,
// /status.json or /healthz on either node.
func TestOperatorEndpointsHoldNoSecret(t *testing.T) {
	const secret = "cluster-secret-never-shown-0123456789"
	s := hs256(t)
	token := s.token(t, claimsFor("alice", "admin"))
	forged := signWith(t, jwt.SigningMethodHS256, []byte("another key of thirty-two bytes or more"), claimsFor("mallory", "admin"))
	pool := freeAddrs(t, 2)
	nodes := make([]*Node, len(pool))
	for i := range pool {
		cfg := clusterConfig(pool, i, secret)
		cfg.APIKeys = [][]byte{[]byte(testAPIKey)}
		cfg.Auth = newAuthenticator(t, auth.Config{JWT: s.key, AllowAnonymous: true})
		nodes[i] = startNode(t, cfg)
	}
	for _, n := range nodes {
		waitLinksUp(t, n, 1)
	}
	dialV1As(t, nodes[0], v1Request(nodes[0].Addr(), "/?token="+token), "alice", "admin")
	want401(t, nodes[1].Addr(), v1Request(nodes[1].Addr(), "/?token="+forged), "invalid token signature", "")
	secrets := []string{secret, testAPIKey, token, forged, string(s.sign.([]byte))}
	for _, n := range nodes {
		for _, path := range []string{PathMetrics, PathStatus, PathStatusJSON, "/healthz"} {
			status, _, body := opsGet(t, "GET", "http://"+n.Addr()+path)
			if status != 200 {
				t.Fatalf("GET %s: %d", path, status)
			}
			for _, sec := range secrets {
				if strings.Contains(body, sec) || strings.Contains(body, sec[len(sec)-12:]) {
					t.Errorf("GET %s on %s holds a secret %.12q…", path, n.Addr(), sec)
				}
			}
		}
	}
	mfs := scrape(t, nodes[0].Addr())
	if got := metricValue(t, mfs, "wampgate_peer_link_up", dto.MetricType_GAUGE, "peer", pool[1]); got != 1 {
		t.Errorf("wampgate_peer_link_up{peer=%q} = %v, want 1", pool[1], got)
	}
	if got := metricValue(t, mfs, "wampgate_cluster_links_up", dto.MetricType_GAUGE); got != 1 {
		t.Errorf("wampgate_cluster_links_up = %v, want 1", got)
	}
	metricValue(t, mfs, "wampgate_peer_link_sent_total", dto.MetricType_COUNTER, "peer", pool[1])
	metricValue(t, mfs, "wampgate_peer_link_dropped_total", dto.MetricType_COUNTER, "peer", pool[1], "reason", "too_large")
	// The refusal was recorded, by reason and without the token.
	st := nodes[1].Status()
	if len(st.Recent) != 1 || st.Recent[0].Kind != eventRefused || st.Recent[0].Reason != "auth" {
		t.Errorf("recent events %+v, want the one auth refusal", st.Recent)
	}
}
