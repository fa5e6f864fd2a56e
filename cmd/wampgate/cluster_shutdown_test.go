package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// linkStatus reads cluster.links[0] from a node's /healthz (nil when the
// node does not answer).
func linkStatus(addr string) map[string]any {
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var h struct {
		Cluster *struct {
			Links []map[string]any `json:"links"`
		} `json:"cluster"`
	}
	if json.NewDecoder(resp.Body).Decode(&h) != nil || h.Cluster == nil || len(h.Cluster.Links) == 0 {
		return nil
	}
	return h.Cluster.Links[0]
}

// A node whose peer stopped reading (SIGSTOP) and whose link to it is
// full still shuts down within --shutdown-timeout, whichever side of the
// link it is.
func TestShutdownIsBoundedWhenThePeerStopsReading(t *testing.T) {
	for _, stopDialer := range []bool{false, true} {
		name := "peer accepts"
		if stopDialer {
			name = "peer dials"
		}
		t.Run(name, func(t *testing.T) {
			pool := []string{fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))}
			if pool[1] < pool[0] {
				pool[0], pool[1] = pool[1], pool[0]
			}
			const secret = "shutdown-test-secret"
			nodes := []*nodeProcess{
				startProcess(t, pool[0], pool, secret, "--shutdown-timeout", "1s"),
				startProcess(t, pool[1], pool, secret, "--shutdown-timeout", "1s"),
			}
			waitLinks(t, 1, 15*time.Second, nodes...)
			// pool[0] sorts first: it dials.
			node, peer := nodes[0], nodes[1]
			if stopDialer {
				node, peer = nodes[1], nodes[0]
			}
			// A subscriber on the peer, so that the node relays to it.
			subscriber(t, peer.addr, "t")
			deadline := time.Now().Add(15 * time.Second)
			for l := linkStatus(node.addr); l["peer_interests"] != float64(1); l = linkStatus(node.addr) {
				if time.Now().After(deadline) {
					t.Fatalf("the node never learned of the peer's subscriber: %v", l)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := peer.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			defer peer.cmd.Process.Signal(syscall.SIGCONT)
			// Fill the link: 1 MiB events, far more than the kernel's
			// socket buffers hold.
			pub := subscriber(t, node.addr, "other")
			event := `"` + strings.Repeat("x", 1<<20-64) + `"`
			const events = 40
			for range events {
				if err := pub.SendText(`[7,"t",` + event + `]`); err != nil {
					t.Fatal(err)
				}
			}
			deadline = time.Now().Add(15 * time.Second)
			for {
				l := linkStatus(node.addr)
				if q, ok := l["queued"].(float64); ok && q >= 8 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the link never filled: %v", l)
				}
				time.Sleep(20 * time.Millisecond)
			}
			start := time.Now()
			if err := node.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- node.cmd.Wait() }()
			select {
			case <-exited:
				t.Logf("stopped in %v", time.Since(start))
			case <-time.After(4 * time.Second): // --shutdown-timeout 1s, and room for a loaded machine
				t.Fatalf("the node did not stop within 4s of SIGTERM with --shutdown-timeout 1s; logs:\n%s", node.logs.String())
			}
		})
	}
}
