package main

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/wampgate/wampgate/netpoll"
)

// TestSigtermRefusesConnectionsAtOnce: a node process gets SIGTERM with a
// session open that ignores the close. As soon as the session has its
// 1001, new connections are refused (ECONNREFUSED: nginx's
// proxy_next_upstream error moves the client to another node), and the
// process exits within --shutdown-timeout.
func TestSigtermRefusesConnectionsAtOnce(t *testing.T) {
	const shutdownTimeout = time.Second
	for _, poller := range netpoll.Backends {
		t.Run(poller, func(t *testing.T) {
			addr := freeAddr(t)
			p := startNodeProcess(t, addr, nil, "--poller", poller, "--shutdown-timeout", shutdownTimeout.String())
			waitHealthy(t, p, 10*time.Second)
			deaf := subscriber(t, addr, "t") // never answers the close

			start := time.Now()
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- p.cmd.Wait() }()
			code, reason, err := deaf.ReadClose(5 * time.Second)
			if err != nil || code != 1001 {
				t.Fatalf("want close 1001 after SIGTERM, got %d %q %v", code, reason, err)
			}
			if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
				c.Close()
				t.Errorf("the node accepted a connection after telling its sessions it goes away")
			} else if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("dial after SIGTERM: %v, want ECONNREFUSED", err)
			}
			select {
			case err := <-exited:
				t.Logf("exited %v after SIGTERM (%v)", time.Since(start), err)
			case <-time.After(shutdownTimeout + 10*time.Second):
				_ = p.cmd.Process.Kill()
				<-exited
				t.Fatalf("still running %v after SIGTERM with --shutdown-timeout %v; logs:\n%s", time.Since(start), shutdownTimeout, p.logs.String())
			}
			if d := time.Since(start); d > shutdownTimeout+time.Second {
				t.Errorf("exit took %v after SIGTERM, --shutdown-timeout is %v", d, shutdownTimeout)
			}
			if err := deaf.ExpectEOF(5 * time.Second); err != nil {
				t.Errorf("the session that ignored the close: %v", err)
			}
		})
	}
}
