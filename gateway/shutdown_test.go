package gateway

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestShutdownStopsListeningAtOnce: once Shutdown has begun (a session has
// its 1001), the port refuses connections (ECONNREFUSED, so a load
// balancer moves on to another node at once) although a session that
// ignores the close is still open; the whole shutdown ends within
// ShutdownTimeout.
func TestShutdownStopsListeningAtOnce(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.ShutdownTimeout = time.Second
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		addr := n.Addr()
		deaf := dialWAMP(t, addr) // reads, never answers the close
		deaf.subscribe("t")

		start := time.Now()
		shut := make(chan error, 1)
		go func() { shut <- n.Shutdown(context.Background()) }()
		code, reason, err := deaf.ReadClose(waitLong)
		if err != nil || code != 1001 {
			t.Fatalf("want close 1001, got %d %q %v", code, reason, err)
		}
		// Sessions are told only after the listener is gone.
		c, err := net.DialTimeout("tcp", addr, waitLong)
		if err == nil {
			c.Close()
			t.Fatal("a node shutting down accepted a connection")
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial during shutdown: %v, want ECONNREFUSED", err)
		}
		select {
		case err := <-shut:
			t.Logf("Shutdown returned after %v: %v", time.Since(start), err)
		case <-time.After(cfg.ShutdownTimeout + waitLong):
			t.Fatalf("Shutdown still running %v after it began (ShutdownTimeout %v)", time.Since(start), cfg.ShutdownTimeout)
		}
		if d := time.Since(start); d > cfg.ShutdownTimeout+time.Second {
			t.Errorf("Shutdown took %v, ShutdownTimeout is %v", d, cfg.ShutdownTimeout)
		}
		// The deaf session saw its close frame, then a clean end.
		if err := deaf.ExpectEOF(waitLong); err != nil {
			t.Errorf("the session that ignored the close: %v", err)
		}
	})
}
