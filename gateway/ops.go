package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wampgate/wampgate/internal/statuspage"
)

// The operator endpoints: read-only, GET (or HEAD) only, served on the
// node's port, or on Config.MetricsListen instead when it is set.
const (
	PathMetrics    = "/metrics"
	PathStatus     = "/status"
	PathStatusJSON = "/status.json"
)

// opsConcurrency bounds the operator requests answered at once on the
// node's port (each is rendered on a goroutine of its own, off the
// reactor's workers); more get 503.
const opsConcurrency = 4

// opsPath returns the operator endpoint target names (its query
// dropped), or "" when it names none.
func opsPath(target string) string {
	path, _, _ := strings.Cut(target, "?")
	switch path {
	case PathMetrics, PathStatus, PathStatusJSON:
		return path
	}
	return ""
}

// opsResponse renders the answer to GET path: status, content type, body.
func (n *Node) opsResponse(path string) (int, string, []byte) {
	var body []byte
	var err error
	ctype := "application/json"
	switch path {
	case PathMetrics:
		ctype = string(metricsFormat)
		body, err = n.metricsText()
	case PathStatusJSON:
		body, err = n.statusJSON()
	case PathStatus:
		return http.StatusOK, "text/html; charset=utf-8", statuspage.HTML
	}
	if err != nil {
		n.log.Warn("operator endpoint failed", "path", path, "err", err)
		return http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("wampgate: " + path + " failed\n")
	}
	return http.StatusOK, ctype, body
}

// serveOps answers an operator request on the node's port and closes
// the connection. The answer is rendered on a goroutine of its own
// (gathering metrics reads /proc), at most opsConcurrency at once.
func (c *conn) serveOps(method, path string) {
	n := c.node
	if method != http.MethodGet && method != http.MethodHead {
		c.refuse(httpResponse(http.StatusMethodNotAllowed, "Method Not Allowed", "text/plain; charset=utf-8",
			"Allow: GET, HEAD\r\n", []byte("wampgate: "+path+" is read-only\n")))
		return
	}
	select {
	case n.opsSlots <- struct{}{}:
	default:
		c.refuse(httpResponse(http.StatusServiceUnavailable, "Service Unavailable", "text/plain; charset=utf-8",
			"Retry-After: 1\r\n", []byte("wampgate: too many operator requests at once\n")))
		return
	}
	c.phase.Store(phaseClosing)
	c.head = nil
	go func() {
		defer func() { <-n.opsSlots }()
		status, ctype, body := n.opsResponse(path)
		resp := httpResponse(status, http.StatusText(status), ctype, "", body)
		if method == http.MethodHead {
			resp = resp[:len(resp)-len(body)]
		}
		c.nc.Close(resp)
	}()
}

// opsHandler serves the operator endpoints (and /healthz) on
// Config.MetricsListen.
func (n *Node) opsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if path == "/healthz" || path == "/healthz/" {
			path = "/healthz"
		} else if opsPath(path) == "" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "wampgate: "+path+" is read-only", http.StatusMethodNotAllowed)
			return
		}
		status, ctype, body := http.StatusOK, "application/json", []byte(nil)
		if path == "/healthz" {
			body = n.healthJSON()
		} else {
			status, ctype, body = n.opsResponse(path)
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	})
}

// listenMetrics opens Config.MetricsListen, when set.
func (n *Node) listenMetrics() error {
	if n.cfg.MetricsListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", n.cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	n.metricsLn = ln
	return nil
}

// serveMetrics serves the operator endpoints on their own listener until
// stopMetrics.
func (n *Node) serveMetrics() {
	if n.metricsLn == nil {
		return
	}
	n.metricsSrv = &http.Server{
		Handler:           n.opsHandler(),
		ReadHeaderTimeout: n.cfg.HandshakeTimeout,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    n.cfg.MaxHeaderSize,
	}
	n.metricsDone = make(chan struct{})
	go func() {
		defer close(n.metricsDone)
		if err := n.metricsSrv.Serve(n.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("metrics listener failed", "addr", n.metricsLn.Addr().String(), "err", err)
		}
	}()
	n.log.Info("metrics and status listening", "addr", n.metricsLn.Addr().String(),
		"paths", PathMetrics+" "+PathStatus+" "+PathStatusJSON)
}

// MetricsAddr is the address of Config.MetricsListen's listener ("" when
// the operator endpoints are served on the node's port).
func (n *Node) MetricsAddr() string {
	if n.metricsLn == nil {
		return ""
	}
	return n.metricsLn.Addr().String()
}

// stopMetrics closes the operator listener (at Shutdown, or when Start
// fails after opening it).
func (n *Node) stopMetrics(ctx context.Context) {
	if n.metricsSrv == nil {
		if n.metricsLn != nil {
			_ = n.metricsLn.Close()
		}
		return
	}
	if err := n.metricsSrv.Shutdown(ctx); err != nil {
		_ = n.metricsSrv.Close()
	}
	<-n.metricsDone
}
