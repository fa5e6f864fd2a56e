package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/bench/suite"
)

// fixtureReport writes the report of bench/suite's fixture run as JSON
// into dir, named X.json, and returns its path.
func fixtureReport(t *testing.T, dir string, edit func(*suite.Report)) string {
	t.Helper()
	r, err := suite.Assemble("../suite/testdata/run")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "X.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPlotsFixture(t *testing.T) {
	dir := t.TempDir()
	in := fixtureReport(t, dir, nil)
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-in", in, "-out", dir}, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	for _, name := range []string{"X-latency.png", "X-rss.png", "X-efficiency.png"} {
		path := filepath.Join(dir, name)
		if !strings.Contains(stdout.String(), path) {
			t.Errorf("%s not listed in %q", path, stdout.String())
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
			t.Errorf("%s is %v", name, b)
		}
	}
}

func TestPlotSkipsMissingSections(t *testing.T) {
	dir := t.TempDir()
	in := fixtureReport(t, dir, func(r *suite.Report) { r.Backends = nil })
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-in", in, "-out", dir}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(stdout.String()); got != filepath.Join(dir, "X-efficiency.png") {
		t.Fatalf("wrote %q", got)
	}
}

func TestPlotNeedsInput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(nil, &stdout, &stderr); err == nil {
		t.Fatal("no -in accepted")
	}
	if err := run([]string{"-in", filepath.Join(t.TempDir(), "missing.json")}, &stdout, &stderr); err == nil {
		t.Fatal("missing input accepted")
	}
}
