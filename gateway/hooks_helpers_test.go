package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wampgate/wampgate/hooks"
)

// hookRequest is one request the test hook server received.
type hookRequest struct {
	path, body string
}

// hookServer is an application's hook endpoint on loopback: it records
// every request and answers with script (status 200 unless the answer
// starts with a status line "500 ").
type hookServer struct {
	*httptest.Server
	t      testing.TB
	reqs   chan hookRequest
	mu     sync.Mutex
	script func(path, body string) string
}

func newHookServer(t testing.TB, script func(path, body string) string) *hookServer {
	h := &hookServer{t: t, reqs: make(chan hookRequest, 1024), script: script}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("User-Agent") != "wampgate/"+Version {
		http.Error(w, "bad request", 400)
		return
	}
	h.reqs <- hookRequest{r.URL.Path, string(b)}
	h.mu.Lock()
	script := h.script
	h.mu.Unlock()
	answer := script(r.URL.Path, string(b))
	if strings.HasPrefix(answer, "500 ") {
		http.Error(w, answer[4:], 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, answer)
}

// next returns the next request received.
func (h *hookServer) next() hookRequest {
	h.t.Helper()
	select {
	case r := <-h.reqs:
		return r
	case <-time.After(waitLong):
		h.t.Fatalf("no hook request")
	}
	return hookRequest{}
}

// expect requires the next request to be the exact body on path.
func (h *hookServer) expect(path, body string) {
	h.t.Helper()
	if r := h.next(); r.path != path || r.body != body {
		h.t.Fatalf("hook request %s %s\nwant %s %s", r.path, r.body, path, body)
	}
}

// hookConfig is a test node's configuration with hooks at url.
func hookConfig(url string, hc hooks.Config) Config {
	cfg := testConfig("epoll")
	hc.URL = url
	cfg.Hooks = hc
	return cfg
}

// expectDecoded requires the decoded message m to encode as elems.
func (c *v2Client) expectDecoded(m list, elems ...any) {
	c.t.Helper()
	if got, want := c.encode(m...), c.encode(elems...); string(got) != string(want) {
		c.t.Fatalf("got %s\nwant %s", c.show(got), c.show(want))
	}
}
