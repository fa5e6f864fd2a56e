package interop

// The harness proves itself: the scripts refuse bad arguments, report a
// refused upgrade and a server that never answers as failures (never as a
// result), and a scenario's every wait is bounded.

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestScriptsRejectBadArguments(t *testing.T) {
	for _, lib := range libraries {
		t.Run(lib.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name string
				args []string
				want string // in stderr
			}{
				{"none", nil, "usage"},
				{"serializer", []string{"ws://127.0.0.1:9/", realm, "xml", "join"}, "xml"},
				{"scenario", []string{"ws://127.0.0.1:9/", realm, "json", "dance"}, "dance"},
				{"params", []string{"ws://127.0.0.1:9/", realm, "json", "join", "--params", "[1]"}, "JSON object"},
				{"timeout", []string{"ws://127.0.0.1:9/", realm, "json", "join", "--timeout", "0"}, "positive"},
			} {
				c := lib.start(t, lib.name+" "+tc.name, append([]string{lib.script}, tc.args...)...)
				code, stderr := c.failure()
				if code != 2 || !strings.Contains(stderr, tc.want) {
					t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", tc.name, code, stderr, tc.want)
				}
			}
		})
	}
}

// fakeServer accepts TCP connections on loopback and hands each to serve.
func fakeServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "ws://" + ln.Addr().String() + "/"
}

// TestScriptsReportRefusedUpgrade: a server answering 426 (as wampgate did
// for every v2 client before it spoke v2) is a failure naming the status.
func TestScriptsReportRefusedUpgrade(t *testing.T) {
	url := fakeServer(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		for { // read the request head
			line, err := r.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		body := "WebSocket subprotocol wamp.2.* not supported\n"
		_, _ = c.Write([]byte("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/plain\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + body))
		c.Close()
	})
	forEach(t, func(t *testing.T, lib *library, ser, _ string) func(*testing.T) {
		c := lib.run(t, url, realm, ser, "join", obj{})
		return func(t *testing.T) {
			code, stderr := c.in(t).failure()
			if code != 1 || !strings.Contains(stderr, "426") {
				t.Errorf("exit %d, stderr %q; want exit 1 and a message naming the 426", code, stderr)
			}
		}
	})
}

// TestScriptsBoundTheirWaits: a server that accepts the connection and
// never answers ends the scenario with a timeout message.
func TestScriptsBoundTheirWaits(t *testing.T) {
	url := fakeServer(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
	for _, lib := range libraries {
		t.Run(lib.name, func(t *testing.T) {
			t.Parallel()
			c := lib.start(t, lib.name+" silent server", lib.script, url, realm, "json", "join", "--timeout", "0.5")
			code, stderr := c.failure()
			if code != 1 || !strings.Contains(stderr, "timed out after 0.5s") {
				t.Errorf("exit %d, stderr %q; want exit 1 and a timeout message", code, stderr)
			}
		})
	}
}
