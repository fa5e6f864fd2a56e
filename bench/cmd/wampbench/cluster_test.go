//go:build linux

package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestClusterFlags(t *testing.T) {
	if got := splitList(" ws://a/, ,ws://b/ ,"); !slices.Equal(got, []string{"ws://a/", "ws://b/"}) {
		t.Fatalf("splitList: %q", got)
	}
	if pids, err := parsePIDs("12, 0,7"); err != nil || !slices.Equal(pids, []int{12, 0, 7}) {
		t.Fatalf("parsePIDs: %v %v", pids, err)
	}
	for _, bad := range []string{"x", "-1", "1.5"} {
		if _, err := parsePIDs(bad); err == nil {
			t.Errorf("parsePIDs(%q) accepted", bad)
		}
	}
	for _, f := range clusterCommand(nil, nil).Flags {
		if n := f.Names()[0]; n == "url" || n == "server-pid" {
			t.Fatalf("cluster has the single-server flag --%s", n)
		}
	}
}

func TestClusterRejectsBadPIDs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run([]string{"wampbench", "cluster", "--urls", deadURL(t), "--server-pids", "abc"})
	if err == nil || !strings.Contains(err.Error(), "--server-pids") {
		t.Fatalf("err %v", err)
	}
}

func TestClusterTextReportsFailures(t *testing.T) {
	t.Setenv("WAMPBENCH_TEST_WORKER", "1")
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run([]string{"wampbench", "cluster", "--urls", deadURL(t) + "," + deadURL(t), "--subs", "4"})
	// 4 subscribers on two nodes and the publisher.
	if err == nil || !strings.Contains(stdout.String(), "5 × connect: ECONNREFUSED") {
		t.Fatalf("err %v, output:\n%s\n%s", err, stdout.String(), stderr.String())
	}
}
