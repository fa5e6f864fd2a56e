package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
	"github.com/wampgate/wampgate/netpoll"
	"golang.org/x/sys/unix"
)

// TestDescriptorExhaustionDoesNotStallSessions runs a node with 256
// descriptors, opens a subscriber and a publisher, then exhausts the
// node's descriptors with raw TCP connections that never speak. Events
// published meanwhile must all reach the subscriber; once the raw
// connections are gone, new clients are accepted again.
func TestDescriptorExhaustionDoesNotStallSessions(t *testing.T) {
	const (
		limit = 256
		raw   = 400
		// events are published one at a time, each after the previous
		// one arrived, so each needs the reactor to run again.
		events = 20
	)
	for _, poller := range netpoll.Backends {
		t.Run(poller, func(t *testing.T) {
			addr := freeAddr(t)
			p := startNodeProcess(t, addr, nil, "--poller", poller, "--handshake-timeout", "1m")
			pid := p.cmd.Process.Pid
			if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: limit, Max: limit}, nil); err != nil {
				t.Fatal(err)
			}
			waitHealthy(t, p, 10*time.Second)
			sub := subscriber(t, addr, "t")
			pub := subscriber(t, addr, "other")

			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for range raw {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Fatalf("raw connection %d: %v", len(conns), err)
				}
				conns = append(conns, c)
			}
			// Exhausted: the node holds (almost) every descriptor it may.
			for deadline := time.Now().Add(10 * time.Second); openFDs(t, pid) < limit-1; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("node holds %d descriptors, limit %d; logs:\n%s", openFDs(t, pid), limit, p.logs.String())
				}
			}

			start := time.Now()
			deadline := start.Add(5 * time.Second)
			for i := range events {
				if err := pub.SendText(fmt.Sprintf(`[7,"t",%d]`, i)); err != nil {
					t.Fatal(err)
				}
				got, err := sub.ReadText(time.Until(deadline))
				if want := fmt.Sprintf(`[8,"t",%d]`, i); err != nil || got != want {
					t.Fatalf("with descriptors exhausted the subscriber got %d of %d events in %v (%q, %v)", i, events, time.Since(start), got, err)
				}
			}
			t.Logf("%d events delivered in %v with descriptors exhausted", events, time.Since(start))

			for _, c := range conns {
				c.Close()
			}
			conns = nil
			var fresh *wstest.Client
			for deadline := time.Now().Add(15 * time.Second); fresh == nil; {
				c, err := wstest.Connect(addr, nil)
				if err == nil {
					if _, err = c.ReadText(5 * time.Second); err == nil {
						fresh = c
						break
					}
				}
				if c != nil {
					c.Close()
				}
				if time.Now().After(deadline) {
					t.Fatalf("no new session after the descriptors were freed: %v; logs:\n%s", err, p.logs.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			fresh.Close()

			st := netStats(t, addr)
			t.Logf("/healthz: accept_errors %d, accept_pauses %d", st.AcceptErrors, st.AcceptPauses)
			if poller != netpoll.BackendEasygo && (st.AcceptErrors == 0 || st.AcceptPauses == 0) {
				// (easygo may run out in its own descriptor duplicate
				// rather than in accept.)
				t.Errorf("/healthz counts no failed accept: %+v", st)
			}
		})
	}
}

// openFDs counts the descriptors process pid holds.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// netStats reads the reactor counters from a node's /healthz.
func netStats(t *testing.T, addr string) netpoll.Stats {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h struct {
		Net netpoll.Stats `json:"net"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("/healthz: %v: %s", err, body)
	}
	return h.Net
}
