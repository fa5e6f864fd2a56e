package gateway

// Test-only helpers for the HTTP API over real sockets: nodes with the
// API on its own listener or on their port, and a net/http client that
// returns a response's status, headers and exact body.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

// testAPIKey is the API key of the test nodes.
const testAPIKey = "test-api-key-0123456789"

// apiTarget is where a test node serves its API: "api-listen" (a
// listener of its own, net/http) or "node-port" (the node's port, the
// reactor).
type apiTarget string

var apiTargets = []apiTarget{"api-listen", "node-port"}

// forEachAPITarget runs f as a parallel subtest per target.
func forEachAPITarget(t *testing.T, f func(t *testing.T, target apiTarget)) {
	t.Helper()
	for _, tg := range apiTargets {
		t.Run(string(tg), func(t *testing.T) {
			t.Parallel()
			f(t, tg)
		})
	}
}

// apiConfig is testConfig with the API enabled for target.
func apiConfig(poller string, target apiTarget) Config {
	cfg := testConfig(poller)
	cfg.APIKeys = [][]byte{[]byte(testAPIKey)}
	if target == "api-listen" {
		cfg.APIListen = "127.0.0.1:0"
	}
	return cfg
}

// addr is the address n serves its API on for target.
func (tg apiTarget) addr(n *Node) string {
	if tg == "api-listen" {
		return n.APIAddr()
	}
	return n.Addr()
}

// apiClient sends API requests to one address over keep-alive
// connections.
type apiClient struct {
	t    testing.TB
	addr string
	hc   *http.Client
	auth string // the Authorization header, unless empty
}

func newAPIClient(t testing.TB, addr string) *apiClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &apiClient{t: t, addr: addr, hc: &http.Client{Transport: tr, Timeout: waitLong}, auth: "Bearer " + testAPIKey}
}

// apiResponse is a response as the tests check it.
type apiResponse struct {
	status int
	header http.Header
	body   string
	reused bool // sent on a kept-alive connection
}

// do sends a request and reads the whole answer.
func (c *apiClient) do(method, path, body string) apiResponse {
	c.t.Helper()
	r, err := c.try(context.Background(), method, path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// try is do returning its error, for other goroutines than the test's.
func (c *apiClient) try(ctx context.Context, method, path, body string) (apiResponse, error) {
	var r apiResponse
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { r.reused = info.Reused },
	})
	req, err := http.NewRequestWithContext(ctx, method, "http://"+c.addr+path, strings.NewReader(body))
	if err != nil {
		return r, err
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return r, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return r, fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	r.status, r.header, r.body = resp.StatusCode, resp.Header, string(b)
	return r, nil
}

// post sends a POST with a JSON body.
func (c *apiClient) post(path, body string) apiResponse {
	c.t.Helper()
	return c.do(http.MethodPost, path, body)
}

// expect requires the exact status and body.
func (r apiResponse) expect(t testing.TB, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Fatalf("got %d %q\nwant %d %q", r.status, r.body, status, body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
}

// publication requires 200 {"publication": ID} and returns the id.
func (r apiResponse) publication(t testing.TB) uint64 {
	t.Helper()
	const prefix, suffix = `{"publication":`, "}\n"
	if r.status != http.StatusOK || !strings.HasPrefix(r.body, prefix) || !strings.HasSuffix(r.body, suffix) {
		t.Fatalf("got %d %q, want 200 {\"publication\":ID}", r.status, r.body)
	}
	id, err := strconv.ParseUint(r.body[len(prefix):len(r.body)-len(suffix)], 10, 64)
	if err != nil || id < 1 || id > 1<<53 {
		t.Fatalf("publication id in %q: %v", r.body, err)
	}
	return id
}

// errorBody is the exact body of an API refusal.
func errorBody(uri, message string) string {
	return `{"error":{"uri":` + jsonString(uri) + `,"message":` + jsonString(message) + "}}\n"
}

// rawAPI is a raw connection to an API address, for what net/http
// clients do not send (chunked bodies, pipelining, half requests).
func rawAPI(t testing.TB, addr string) *wstest.Client {
	t.Helper()
	c, err := wstest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// apiRequest is an HTTP/1.1 request with the test key and body.
func apiRequest(method, path, extraHeaders, body string) string {
	return method + " " + path + " HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + testAPIKey + "\r\n" +
		extraHeaders + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// readAPIResponse reads one response from a raw connection.
func readAPIResponse(t testing.TB, c *wstest.Client) (*wstest.Response, string) {
	t.Helper()
	resp, err := c.ReadResponse(waitLong)
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	body, err := c.ReadBody(resp, waitLong)
	if err != nil {
		t.Fatalf("reading the body of %q: %v", resp.StatusLine, err)
	}
	return resp, string(body)
}

// expectClosed requires the peer to close the connection (EOF or a
// reset after its last answer) within waitLong.
func expectClosed(t testing.TB, c *wstest.Client) {
	t.Helper()
	if err := c.ExpectEOF(waitLong); err != nil {
		t.Fatalf("want the connection closed: %v", err)
	}
}

// waitAPIInFlight waits until the API counts want requests in flight.
func waitAPIInFlight(t testing.TB, n *Node, want int64) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for n.Stats().API.InFlight != want {
		if time.Now().After(deadline) {
			t.Fatalf("API requests in flight: %d, want %d", n.Stats().API.InFlight, want)
		}
		time.Sleep(time.Millisecond)
	}
}
