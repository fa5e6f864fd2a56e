package gateway

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp/value"
)

// The HTTP API over real sockets, on its own listener (net/http) and on
// the node's port (the reactor): refusals with their exact bodies, the
// bounds, keep-alive and the key reload. Publications are in
// api_publish_test.go, calls in api_call_test.go.

func TestAPIRefusesRequestsWithoutAValidKey(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		sub := dialWAMP(t, n.Addr())
		sub.subscribe("com.example.t")
		c := newAPIClient(t, tg.addr(n))
		want := errorBody("wamp.error.authentication_failed", "a valid API key is required: Authorization: Bearer KEY")
		for _, auth := range []string{"", "Bearer", "Bearer wrong-key-0123456789", "Bearer " + testAPIKey + "x",
			"Bearer " + testAPIKey[:len(testAPIKey)-1], "Basic " + testAPIKey, testAPIKey} {
			c.auth = auth
			for _, path := range []string{"/api/publish", "/api/call", "/api/nope"} {
				r := c.post(path, `{"topic":"com.example.t","args":["leaked"]}`)
				r.expect(t, http.StatusUnauthorized, want)
				if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="wampgate"` {
					t.Fatalf("WWW-Authenticate %q", got)
				}
			}
		}
		// Nothing was published.
		c.auth = "Bearer " + testAPIKey
		c.post("/api/publish", `{"topic":"com.example.t","args":["first"]}`).publication(t)
		sub.expectEvent("com.example.t", `"first"`)
		if st := n.Stats().API; st.Unauthorized != 21 || st.Publications != 1 || st.InFlight != 0 {
			t.Fatalf("API stats %+v", st)
		}
	})
}

func TestAPIMethodsAndPaths(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		c := newAPIClient(t, tg.addr(n))
		for _, path := range []string{"/api/publish", "/api/call"} {
			for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
				r := c.do(method, path, "")
				r.expect(t, http.StatusMethodNotAllowed, errorBody("wampgate.error.method_not_allowed", path+" takes POST"))
				if got := r.header.Get("Allow"); got != "POST" {
					t.Fatalf("Allow %q", got)
				}
			}
		}
		notFound := errorBody("wampgate.error.not_found", "no such endpoint: POST /api/publish or /api/call")
		for _, path := range []string{"/api/nope", "/api/publish/", "/api", "/api/Publish"} {
			c.post(path, `{"topic":"t"}`).expect(t, http.StatusNotFound, notFound)
		}
		// A query string does not change the endpoint.
		c.post("/api/publish?x=1", `{"topic":"t"}`).publication(t)
		if tg == "node-port" {
			// The rest of the node's port is as before.
			if r := c.do(http.MethodGet, "/healthz", ""); r.status != http.StatusOK || !strings.Contains(r.body, `"api":{"requests":`) {
				t.Fatalf("/healthz: %d %q", r.status, r.body)
			}
		} else {
			c.do(http.MethodGet, "/healthz", "").expect(t, http.StatusNotFound, notFound)
		}
	})
}

// apiBadBodies are refused publish bodies and the error they get; none
// names a realm the node lacks but the last.
var apiBadBodies = []struct{ body, uri, message string }{
	{`{"topic":"com.example.bad","args":["x"]`, "wamp.error.invalid_argument",
		"the body is not acceptable JSON: unexpected end of JSON in object at offset 39"},
	{`not json`, "wamp.error.invalid_argument", "the body is not acceptable JSON: invalid literal at offset 0"},
	{`["com.example.bad"]`, "wamp.error.invalid_argument", "the body must be a JSON object"},
	{`{"topic":"com.example.bad","args":["x"],"acknowledge":true}`, "wamp.error.invalid_argument",
		`unknown field "acknowledge" (known fields: topic, args, kwargs, exclude, eligible, retain, realm)`},
	{`{"args":["x"]}`, "wamp.error.invalid_argument", `"topic" is missing`},
	{`{"topic":["com.example.bad"],"args":["x"]}`, "wamp.error.invalid_argument", `"topic" must be a string`},
	{`{"topic":"com.example.bad","args":"x"}`, "wamp.error.invalid_argument", `"args" must be a list`},
	{`{"topic":"com.example.bad","kwargs":["x"]}`, "wamp.error.invalid_argument", `"kwargs" must be an object`},
	{`{"topic":"com.example.bad","args":["x"],"exclude":"1"}`, "wamp.error.invalid_argument", `"exclude" must be a list of session ids`},
	{`{"topic":"com.example.bad","args":["x"],"retain":"yes"}`, "wamp.error.invalid_argument", `"retain" must be a boolean`},
	{`{"topic":"com.example..bad","args":["x"]}`, "wamp.error.invalid_uri",
		`"com.example..bad" is not a valid topic URI: dot-separated non-empty components without spaces or #`},
	{`{"topic":"com.example.bad#x","args":["x"]}`, "wamp.error.invalid_uri",
		`"com.example.bad#x" is not a valid topic URI: dot-separated non-empty components without spaces or #`},
	{`{"topic":"wamp.session.on_join","args":["x"]}`, "wamp.error.invalid_uri",
		"the topic prefix wamp. is reserved for the router's own topics"},
	{`{"topic":"com.example.bad","args":["x"],"realm":"nope"}`, "wamp.error.no_such_realm", `no realm "nope" on this node`},
}

func TestAPIRefusesMalformedBodies(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		v1 := dialWAMP(t, n.Addr())
		v1.subscribe("com.example.bad")
		v2c := joinV2(t, n.Addr(), value.JSON, "realm1")
		sub := v2c.subscribe(1, dict{}, "com.example.bad")
		c := newAPIClient(t, tg.addr(n))
		for _, tc := range apiBadBodies {
			c.post("/api/publish", tc.body).expect(t, http.StatusBadRequest, errorBody(tc.uri, tc.message))
		}
		c.post("/api/call", `{"procedure":"com.example.p","timeout":1.5}`).expect(t, http.StatusBadRequest,
			errorBody("wamp.error.invalid_argument", `"timeout" must be an integer number of milliseconds in [0, 300000], got 1.5`))
		c.post("/api/call", `{"procedure":"com.example.p","topic":"t"}`).expect(t, http.StatusBadRequest,
			errorBody("wamp.error.invalid_argument", `unknown field "topic" (known fields: procedure, args, kwargs, timeout, realm)`))
		c.post("/api/publish", "").expect(t, http.StatusBadRequest,
			errorBody("wamp.error.invalid_argument", "the body is empty: want a JSON object"))
		// Nothing was delivered: the first event is the valid one.
		id := c.post("/api/publish", `{"topic":"com.example.bad","args":["ok"]}`).publication(t)
		v1.expectEvent("com.example.bad", `"ok"`)
		v2c.expectEvent(sub, id, dict{}, list{"ok"}, nil)
		v1.sync()
		v2c.sync()
	})
}

func TestAPIRefusesBodiesOverTheMessageSize(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		cfg := apiConfig("epoll", tg)
		cfg.MaxMessageSize = 1024
		n := startNode(t, cfg)
		v1 := dialWAMP(t, n.Addr())
		v1.subscribe("com.example.big")
		c := newAPIClient(t, tg.addr(n))
		fits := `{"topic":"com.example.big","args":["` + strings.Repeat("x", 1024-len(`{"topic":"com.example.big","args":[""]}`)) + `"]}`
		over := strings.Replace(fits, `"x`, `"xx`, 1)
		c.post("/api/publish", over).expect(t, http.StatusRequestEntityTooLarge,
			errorBody("wamp.error.payload_size_exceeded", "the body is 1025 bytes: at most 1024"))
		c.post("/api/publish", fits).publication(t)
		v1.expectEvent("com.example.big", fits[len(`{"topic":"com.example.big","args":[`):len(fits)-2])

		// A head announcing a huge body is answered at once, before any
		// of it is sent, and the connection is closed.
		raw := rawAPI(t, tg.addr(n))
		head := apiRequest("POST", "/api/publish", "", "")
		head = strings.Replace(head, "Content-Length: 0", "Content-Length: 1000000000", 1)
		if err := raw.WriteRaw([]byte(head)); err != nil {
			t.Fatal(err)
		}
		resp, body := readAPIResponse(t, raw)
		if resp.StatusCode != http.StatusRequestEntityTooLarge ||
			body != errorBody("wamp.error.payload_size_exceeded", "the body is 1000000000 bytes: at most 1024") {
			t.Fatalf("got %q %q", resp.StatusLine, body)
		}
		expectClosed(t, raw)
		waitAPIInFlight(t, n, 0)
	})
}

func TestAPIRefusesChunkedBodies(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		raw := rawAPI(t, tg.addr(n))
		req := "POST /api/publish HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + testAPIKey +
			"\r\nTransfer-Encoding: chunked\r\n\r\nd\r\n{\"topic\":\"t\"}\r\n0\r\n\r\n"
		if err := raw.WriteRaw([]byte(req)); err != nil {
			t.Fatal(err)
		}
		resp, body := readAPIResponse(t, raw)
		if resp.StatusCode != http.StatusLengthRequired ||
			body != errorBody("wampgate.error.length_required", "send the body with a Content-Length (no Transfer-Encoding)") {
			t.Fatalf("got %q %q", resp.StatusLine, body)
		}
		expectClosed(t, raw)
	})
}

// Several requests on one connection: kept alive on both transports, and
// pipelined (sent before the answers) on the node's port.
func TestAPIKeepsConnectionsAlive(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		v1 := dialWAMP(t, n.Addr())
		v1.subscribe("com.example.ka")
		c := newAPIClient(t, tg.addr(n))
		for i := range 6 {
			var r apiResponse
			if i%2 == 0 {
				r = c.post("/api/publish", fmt.Sprintf(`{"topic":"com.example.ka","args":[%d]}`, i))
				r.publication(t)
				v1.expectEvent("com.example.ka", fmt.Sprint(i))
			} else {
				r = c.post("/api/call", `{"procedure":"wamp.session.count","args":[["api"]]}`)
				r.expect(t, http.StatusOK, "{\"args\":[1],\"kwargs\":{}}\n")
			}
			if r.reused != (i > 0) {
				t.Fatalf("request %d: connection reused %v", i, r.reused)
			}
		}
		if got := n.Stats().Net.Accepted; tg == "node-port" && got != 2 { // v1 and the API client
			t.Fatalf("the node accepted %d connections", got)
		}

		// Pipelined: three requests in one write, three answers in order.
		raw := rawAPI(t, tg.addr(n))
		var reqs []byte
		for i := range 3 {
			reqs = append(reqs, apiRequest("POST", "/api/publish", "", fmt.Sprintf(`{"topic":"com.example.ka","args":["p%d"]}`, i))...)
		}
		if err := raw.WriteRaw(reqs); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			resp, body := readAPIResponse(t, raw)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, `{"publication":`) || resp.HasToken("Connection", "close") {
				t.Fatalf("pipelined request %d: %q %q", i, resp.StatusLine, body)
			}
			v1.expectEvent("com.example.ka", fmt.Sprintf(`"p%d"`, i))
		}
		// Connection: close is honoured.
		if err := raw.WriteRaw([]byte(apiRequest("POST", "/api/publish", "Connection: close\r\n", `{"topic":"com.example.ka"}`))); err != nil {
			t.Fatal(err)
		}
		if resp, body := readAPIResponse(t, raw); resp.StatusCode != http.StatusOK || !resp.HasToken("Connection", "close") {
			t.Fatalf("got %q %q", resp.StatusLine, body)
		}
		expectClosed(t, raw)
		v1.expectEvent("com.example.ka", "null")
	})
}

// On the node's port the API works with every poller, and a client that
// waits for 100 Continue gets it.
func TestAPIOnTheNodesPortWithEveryPoller(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		n := startNode(t, apiConfig(poller, "node-port"))
		v1 := dialWAMP(t, n.Addr())
		v1.subscribe("com.example.poller")
		raw := rawAPI(t, n.Addr())
		body := `{"topic":"com.example.poller","args":["` + poller + `"]}`
		head := apiRequest("POST", "/api/publish", "Expect: 100-continue\r\n", body)
		if err := raw.WriteRaw([]byte(head[:len(head)-len(body)])); err != nil {
			t.Fatal(err)
		}
		resp, err := raw.ReadResponse(waitLong)
		if err != nil || resp.StatusLine != "HTTP/1.1 100 Continue" {
			t.Fatalf("want 100 Continue: %v %v", resp, err)
		}
		if err := raw.WriteRaw([]byte(body)); err != nil {
			t.Fatal(err)
		}
		if resp, got := readAPIResponse(t, raw); resp.StatusCode != http.StatusOK || !strings.HasPrefix(got, `{"publication":`) {
			t.Fatalf("got %q %q", resp.StatusLine, got)
		}
		v1.expectEvent("com.example.poller", `"`+poller+`"`)
	})
}

// Slow clients are cut off: a head or a body that does not arrive within
// the handshake timeout closes the connection and frees its slot.
func TestAPICutsOffSlowClients(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		cfg := apiConfig("epoll", tg)
		cfg.HandshakeTimeout = 200 * time.Millisecond
		n := startNode(t, cfg)
		head := apiRequest("POST", "/api/publish", "", `{"topic":"com.example.slow"}`)
		for _, partial := range []string{
			head[:20],          // half a head
			head[:len(head)-5], // a head and part of its body
			"",                 // nothing at all after connecting (node's port: idle)
			head + head[:10],   // a complete request, then half of the next
		} {
			raw := rawAPI(t, tg.addr(n))
			if partial != "" {
				if err := raw.WriteRaw([]byte(partial)); err != nil {
					t.Fatal(err)
				}
			}
			if tg == "api-listen" && partial == "" {
				continue // net/http keeps an idle new connection until its first byte: IdleTimeout's business
			}
			if strings.HasPrefix(partial, head) {
				if resp, _ := readAPIResponse(t, raw); resp.StatusCode != http.StatusOK {
					t.Fatalf("the complete request: %q", resp.StatusLine)
				}
			}
			got, err := raw.ReadAll(waitLong)
			if err != nil && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("%q: want the connection closed: %v", partial, err)
			}
			// The reactor answers 408 to a request cut short; net/http
			// answers 400 to half a head, 408 (ours) to half a body.
			if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 408") &&
				!(tg == "api-listen" && strings.HasPrefix(string(got), "HTTP/1.1 400")) {
				t.Fatalf("%q: got %q", partial, got)
			}
		}
		waitAPIInFlight(t, n, 0)
	})
}

func TestAPIBoundsRequestsInFlight(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		cfg := apiConfig("epoll", tg)
		cfg.APIConcurrency = 1
		n := startNode(t, cfg)
		callee := joinRPC(t, n.Addr(), value.JSON)
		reg := callee.register(1, dict{}, "com.example.slow")
		c := newAPIClient(t, tg.addr(n))
		first := postAsync(t, tg.addr(n), "/api/call", `{"procedure":"com.example.slow"}`)
		callee.expect(68, 1, reg, dict{})
		waitAPIInFlight(t, n, 1)
		r := c.post("/api/publish", `{"topic":"com.example.t"}`)
		r.expect(t, http.StatusServiceUnavailable, errorBody("wampgate.error.too_many_requests", "1 API requests are in flight: retry later"))
		if got := r.header.Get("Retry-After"); got != "1" {
			t.Fatalf("Retry-After %q", got)
		}
		callee.send(70, 1, dict{}, list{"done"})
		await(t, first).expect(t, http.StatusOK, "{\"args\":[\"done\"],\"kwargs\":{}}\n")
		c.post("/api/publish", `{"topic":"com.example.t"}`).publication(t)
		waitAPIInFlight(t, n, 0)
	})
}

func TestAPIKeysReload(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		c := newAPIClient(t, tg.addr(n))
		c.post("/api/publish", `{"topic":"com.example.t"}`).publication(t)

		path := filepath.Join(t.TempDir(), "keys")
		if err := os.WriteFile(path, []byte("# rotated\nnew-key-one-0123456789\nnew-key-two-0123456789\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		keys, err := LoadAPIKeys(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.SetAPIKeys(keys); err != nil {
			t.Fatal(err)
		}
		// The old key is refused (and the connection closed, as for
		// every refusal decided from the head); the new keys are taken.
		r := c.post("/api/publish", `{"topic":"com.example.t"}`)
		r.expect(t, http.StatusUnauthorized, errorBody("wamp.error.authentication_failed",
			"a valid API key is required: Authorization: Bearer KEY"))
		for _, key := range []string{"new-key-one-0123456789", "new-key-two-0123456789"} {
			c = newAPIClient(t, tg.addr(n))
			c.auth = "Bearer " + key
			c.post("/api/publish", `{"topic":"com.example.t"}`).publication(t)
			if r := c.post("/api/publish", `{"topic":"com.example.t"}`); !r.reused {
				t.Fatal("the connection was not kept alive")
			}
		}
		// A bad key set is refused and the current one stays.
		for _, bad := range [][][]byte{nil, {[]byte("short")}} {
			if err := n.SetAPIKeys(bad); err == nil {
				t.Fatalf("SetAPIKeys(%q) accepted", bad)
			}
		}
		c.post("/api/publish", `{"topic":"com.example.t"}`).publication(t)
	})
	n := startNode(t, testConfig("epoll"))
	if err := n.SetAPIKeys([][]byte{[]byte(testAPIKey)}); err == nil || n.APIAddr() != "" || n.Stats().API != nil {
		t.Fatalf("a node without the API: SetAPIKeys %v, APIAddr %q", err, n.APIAddr())
	}
}

func TestAPIConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		mod func(*Config)
		err string
	}{
		{func(c *Config) { c.APIListen = "127.0.0.1:0" }, "config: an API listen address without API keys"},
		{func(c *Config) { c.APIKeys = [][]byte{[]byte("short")} }, "config: API keys: API key 1: shorter than 16 characters"},
		{func(c *Config) { c.APIKeys = [][]byte{[]byte(testAPIKey)}; c.APIConcurrency = -1 }, "config: API concurrency must not be negative"},
	} {
		cfg := testConfig("epoll")
		tc.mod(&cfg)
		if _, err := New(cfg); err == nil || err.Error() != tc.err {
			t.Errorf("got %v, want %s", err, tc.err)
		}
	}
	// A listen address in use fails Start, and nothing is left behind.
	busy := startNode(t, apiConfig("epoll", "api-listen"))
	cfg := apiConfig("epoll", "api-listen")
	cfg.APIListen = busy.APIAddr()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err == nil || !strings.Contains(err.Error(), "API listener") {
		t.Fatalf("Start: %v", err)
	}
}

// On the node's port a connection the API kept alive still answers the
// node's own paths, refuses malformed or oversized later heads, closes
// after an HTTP/1.0 request, and after an answer when too much was
// pipelined while a call was in flight.
func TestAPIOnTheNodesPortConnectionEdges(t *testing.T) {
	cfg := apiConfig("epoll", "node-port")
	cfg.MaxHeaderSize = 1024
	n := startNode(t, cfg)
	publish := apiRequest("POST", "/api/publish", "", `{"topic":"com.example.t"}`)
	for _, tc := range []struct {
		name, next, status, body string
	}{
		{"healthz", "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n", "HTTP/1.1 200 OK", ""},
		{"malformed", "BLAH\r\n\r\n", "HTTP/1.1 400 Bad Request",
			errorBody("wampgate.error.bad_request", `malformed HTTP request: malformed HTTP request "BLAH"`)},
		{"head too large", "POST /api/publish HTTP/1.1\r\nX-Pad: " + strings.Repeat("x", 1024) + "\r\n\r\n",
			"HTTP/1.1 413 Request Entity Too Large", errorBody("wampgate.error.bad_request", "the request head is too large")},
		{"HTTP/1.0", strings.Replace(publish, "HTTP/1.1", "HTTP/1.0", 1), "HTTP/1.1 200 OK", ""},
	} {
		raw := rawAPI(t, n.Addr())
		if err := raw.WriteRaw([]byte(publish)); err != nil {
			t.Fatal(err)
		}
		if resp, _ := readAPIResponse(t, raw); resp.StatusCode != http.StatusOK || resp.HasToken("Connection", "close") {
			t.Fatalf("%s: the first request: %q", tc.name, resp.StatusLine)
		}
		if err := raw.WriteRaw([]byte(tc.next)); err != nil {
			t.Fatal(err)
		}
		resp, body := readAPIResponse(t, raw)
		if resp.StatusLine != tc.status || tc.body != "" && body != tc.body || !resp.HasToken("Connection", "close") {
			t.Fatalf("%s: got %q %q", tc.name, resp.StatusLine, body)
		}
		if tc.name == "healthz" && !strings.Contains(body, `"api":{"requests":`) {
			t.Fatalf("healthz: %q", body)
		}
		expectClosed(t, raw)
	}

	callee := joinRPC(t, n.Addr(), value.JSON)
	reg := callee.register(1, dict{}, "com.example.slow")
	raw := rawAPI(t, n.Addr())
	if err := raw.WriteRaw([]byte(apiRequest("POST", "/api/call", "", `{"procedure":"com.example.slow"}`))); err != nil {
		t.Fatal(err)
	}
	callee.expect(68, 1, reg, dict{})
	pipelined := strings.Repeat(publish, 1024/len(publish)+1)
	before := n.Stats().Net.BytesIn
	if err := raw.WriteRaw([]byte(pipelined)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(waitLong); n.Stats().Net.BytesIn < before+uint64(len(pipelined)); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the node did not read the pipelined requests")
		}
	}
	callee.send(70, 1, dict{}, list{"slow"})
	resp, body := readAPIResponse(t, raw)
	if resp.StatusCode != http.StatusOK || body != "{\"args\":[\"slow\"],\"kwargs\":{}}\n" || !resp.HasToken("Connection", "close") {
		t.Fatalf("got %q %q", resp.StatusLine, body)
	}
	expectClosed(t, raw)
	waitAPIInFlight(t, n, 0)
}

// A node shutting down with a call in flight answers it when its callee
// goes (504, the callee left) on --api-listen, closes the node's port's
// API connections, and stops within its timeout.
func TestAPIShutdownWithACallInFlight(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n, err := New(apiConfig("epoll", tg))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		callee := joinRPC(t, n.Addr(), value.JSON)
		reg := callee.register(1, dict{}, "com.example.slow")
		answer := postAsync(t, tg.addr(n), "/api/call", `{"procedure":"com.example.slow"}`)
		callee.expect(68, 1, reg, dict{})
		stopped := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitLong)
			defer cancel()
			stopped <- n.Shutdown(ctx)
		}()
		// On the node's port the API's connection is one of those the
		// shutdown closes: when it goes before the callee's, its call is
		// interrupted first (the order of the closes is not defined).
		goodbye := callee.encode(6, dict{"message": "the node is shutting down"}, "wamp.close.system_shutdown")
		got := callee.next()
		if tg == "node-port" && string(got) == string(callee.encode(69, 1, dict{"mode": "killnowait", "reason": "wamp.error.canceled"})) {
			got = callee.next()
		}
		if string(got) != string(goodbye) {
			t.Fatalf("got %s\nwant %s", got, goodbye)
		}
		callee.expectClose(1001)
		callee.Close()
		select {
		case a := <-answer:
			if tg == "node-port" {
				if a.err == nil {
					t.Fatalf("the node's port answered %d %q", a.r.status, a.r.body)
				}
			} else if a.err != nil || a.r.status != http.StatusGatewayTimeout || a.r.body !=
				`{"error":{"uri":"wamp.error.canceled","message":"the callee left","args":["the callee left"],"kwargs":{}}}`+"\n" {
				t.Fatalf("got %+v", a)
			}
		case <-time.After(waitLong):
			t.Fatal("no answer")
		}
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
	})
}
