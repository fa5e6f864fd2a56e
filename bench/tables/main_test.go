package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/bench/suite"
)

func TestTablesFixture(t *testing.T) {
	dir := t.TempDir()
	js, md := filepath.Join(dir, "X.json"), filepath.Join(dir, "X.md")
	var stderr bytes.Buffer
	if err := run([]string{"-run", "../suite/testdata/run", "-json", js, "-md", md}, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	r, err := suite.Load(js)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Backends) != 5 || r.Meta.Host != "devbox" {
		t.Fatalf("report %+v", r.Meta)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# wampgate benchmarks: devbox") {
		t.Fatalf("Markdown:\n%s", b)
	}
}

func TestTablesNeedsFlags(t *testing.T) {
	var stderr bytes.Buffer
	if err := run([]string{"-run", "x"}, &stderr); err == nil {
		t.Fatal("missing -json and -md accepted")
	}
	if err := run([]string{"-run", t.TempDir(), "-json", "a", "-md", "b"}, &stderr); err == nil {
		t.Fatal("a run directory without meta.json accepted")
	}
}

func TestTablesV2Fixture(t *testing.T) {
	dir := t.TempDir()
	js, md := filepath.Join(dir, "X-v2.json"), filepath.Join(dir, "X-v2.md")
	var stderr bytes.Buffer
	if err := run([]string{"-v2", "-run", "../suite/testdata/v2run", "-json", js, "-md", md}, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var r suite.V2Report
	if err := json.Unmarshal(b, &r); err != nil || len(r.Fanout) != 4 || r.Fanout[1].VsV1 <= 0 {
		t.Fatalf("report %v: %+v", err, r.Fanout)
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "## Remote procedure calls") {
		t.Fatalf("Markdown %v:\n%s", err, b)
	}
}
