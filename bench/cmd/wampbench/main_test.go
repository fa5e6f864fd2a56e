//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/bench"
)

// Children started by the command under test are this test binary; with
// the variable set they act as `wampbench worker`. (The full modes are
// tested against a stand-in server in package bench.)
func TestMain(m *testing.M) {
	if os.Getenv("WAMPBENCH_TEST_WORKER") == "1" {
		if err := bench.WorkerMain(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// deadURL returns a loopback URL on which nothing listens.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return fmt.Sprintf("ws://127.0.0.1:%d/", port)
}

func TestIdleJSONReportsFailures(t *testing.T) {
	t.Setenv("WAMPBENCH_TEST_WORKER", "1") // inherited by the workers only
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run([]string{"wampbench", "idle", "--url", deadURL(t), "--conns", "12",
		"--per-worker", "5", "--hold", "10ms", "--json", "--label", "nobody"})
	if err == nil {
		t.Fatal("no error without a server")
	}
	var res bench.IdleResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("%v: %s\n%s", jerr, stdout.String(), stderr.String())
	}
	// 12 subscribers and the verification publisher, in 3 workers.
	if res.Mode != "idle" || res.Label != "nobody" || res.Workers != 3 || res.Failures["connect: ECONNREFUSED"] != 13 {
		t.Fatalf("%+v", res)
	}
}

func TestFanoutTextReportsFailures(t *testing.T) {
	t.Setenv("WAMPBENCH_TEST_WORKER", "1")
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run([]string{"wampbench", "fanout", "--url", deadURL(t), "--subs", "3"})
	if err == nil || !strings.Contains(stdout.String(), "4 × connect: ECONNREFUSED") {
		t.Fatalf("err %v, output:\n%s\n%s", err, stdout.String(), stderr.String())
	}
}

func TestHelpHidesWorker(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := newApp(&stdout, &stderr).Run([]string{"wampbench", "--help"}); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	for _, cmd := range []string{"idle", "fanout", "handshakes", "rpc"} {
		if !strings.Contains(out, cmd) {
			t.Fatalf("help lacks %s:\n%s", cmd, out)
		}
	}
	if strings.Contains(out, "worker") {
		t.Fatalf("help shows the hidden worker command:\n%s", out)
	}
}

func TestRejectsNonLoopback(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run([]string{"wampbench", "idle", "--url", "ws://192.0.2.1:8095/", "--conns", "1"})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err %v", err)
	}
}

func TestRPCJSONReportsFailures(t *testing.T) {
	t.Setenv("WAMPBENCH_TEST_WORKER", "1")
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run([]string{"wampbench", "rpc", "--url", deadURL(t), "--callees", "3",
		"--callers", "2", "--concurrency", "5", "--protocol", "wamp.2.msgpack", "--json"})
	if err == nil {
		t.Fatal("no error without a server")
	}
	var res bench.RPCResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("%v: %s\n%s", jerr, stdout.String(), stderr.String())
	}
	if res.Mode != "rpc" || res.Protocol != "wamp.2.msgpack" || res.Concurrency != 5 || res.Invoke != "roundrobin" ||
		res.Failures["connect: ECONNREFUSED"] != 3 {
		t.Fatalf("%+v", res)
	}
}

func TestUnknownProtocol(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run([]string{"wampbench", "fanout", "--url", deadURL(t), "--protocol", "wamp.2.xml"})
	if err == nil || !strings.Contains(err.Error(), `unknown protocol "wamp.2.xml"`) {
		t.Fatalf("err %v", err)
	}
	err = newApp(&stdout, &stderr).Run([]string{"wampbench", "rpc", "--url", deadURL(t), "--protocol", "wamp"})
	if err == nil || !strings.Contains(err.Error(), "WAMP v2") {
		t.Fatalf("rpc over v1: err %v", err)
	}
}
