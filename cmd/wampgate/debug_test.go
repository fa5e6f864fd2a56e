package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDebugListenServesPprof: a node run with --debug-listen on loopback
// serves pprof there, and /debug/pprof/ is not on the node's port.
func TestDebugListenServesPprof(t *testing.T) {
	addr, debugAddr := freeAddr(t), freeAddr(t)
	p := startNodeProcess(t, addr, nil, "--debug-listen", debugAddr)
	waitHealthy(t, p, 10*time.Second)
	resp, err := http.Get("http://" + debugAddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatalf("pprof: %v; logs:\n%s", err, p.logs.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile:") {
		t.Fatalf("GET /debug/pprof/goroutine: %d\n%.300s", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 426 {
		t.Errorf("GET /debug/pprof/ on the node's port: %d, want 426", resp.StatusCode)
	}
}

// TestDebugListenLoopbackOnly: a debug address other than loopback is
// refused before the node starts, unless --debug-listen-public.
func TestDebugListenLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
		ok     bool
	}{
		{"127.0.0.1:6060", false, true},
		{"[::1]:6060", false, true},
		{"0.0.0.0:6060", false, false},
		{":6060", false, false},
		{"localhost:6060", false, false}, // a name could resolve anywhere
		{"192.0.2.1:6060", false, false},
		{"0.0.0.0:6060", true, true},
		{"6060", true, false},
	} {
		err := checkDebugAddr(tc.addr, tc.public)
		if (err == nil) != tc.ok {
			t.Errorf("checkDebugAddr(%q, public=%v) = %v, want ok=%v", tc.addr, tc.public, err, tc.ok)
		}
	}
	var out, errOut strings.Builder
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run([]string{"wampgate", "run", "--host", "127.0.0.1", "--port", "0", "--debug-listen", "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("run --debug-listen 0.0.0.0:0: %v", err)
	}
}
