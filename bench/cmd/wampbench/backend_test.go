//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/wampgate/wampgate/bench"
)

func TestBackendJSONReportsFailures(t *testing.T) {
	t.Setenv("WAMPBENCH_TEST_WORKER", "1") // inherited by the workers only
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run([]string{"wampbench", "backend", "--url", deadURL(t), "--conns", "4",
		"--deliveries", "400", "--json", "--label", "epoll"})
	if err == nil {
		t.Fatal("no error without a server")
	}
	var res bench.BackendResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("%v: %s\n%s", jerr, stdout.String(), stderr.String())
	}
	// 4 subscribers and the publisher.
	if res.Mode != "backend" || res.Label != "epoll" || res.Rate != 100 || res.Fanout == nil ||
		res.Fanout.Failures["connect: ECONNREFUSED"] != 5 {
		t.Fatalf("%+v", res)
	}
}

func TestBackendRejectsBadRate(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := newApp(&stdout, &stderr).Run([]string{"wampbench", "backend", "--conns", "0"}); err == nil || stdout.Len() != 0 {
		t.Fatalf("err %v, stdout %q", err, stdout.String())
	}
}
