package suite

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/bench"
)

func TestAssembleFixture(t *testing.T) {
	r, err := Assemble("testdata/run")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Backends) != 5 || len(r.Fanout) != 2 || len(r.Scaling) != 2 || len(r.Cluster) != 1 {
		t.Fatalf("rows: %d backends, %d fanout, %d scaling, %d cluster", len(r.Backends), len(r.Fanout), len(r.Scaling), len(r.Cluster))
	}
	if r.Meta.Host != "devbox" || !r.Meta.Quick || r.Meta.SectionSeconds["backends"] != 40 {
		t.Fatalf("meta %+v", r.Meta)
	}
	if b := r.Backends[0]; b.Result == nil || b.Result.Fanout == nil || b.Result.Fanout.Latency.P99Ms != 1.2 {
		t.Fatalf("first backend row %+v", b)
	}
	if b := r.Backends[3]; b.Result != nil || !b.Failed() || b.Note != "no result" {
		t.Fatalf("failed row %+v", b)
	}
	if b := r.Backends[4]; b.Result != nil || b.Failed() || !strings.HasPrefix(b.Note, "n/a: 2 fds") {
		t.Fatalf("skipped row %+v", b)
	}
	if f := r.Fanout[0].Result; f == nil || f.Net == nil || f.Net.FramesPerWrite != 22.8 {
		t.Fatalf("fanout row %+v", r.Fanout[0])
	}
	if c := r.Cluster[0].Result; c == nil || c.Nodes != 3 || c.Runs["cluster"].Result == nil ||
		c.Runs["cluster"].Result.MaxLinkEventsPerSec != 9000 || *c.Summary.CPUPerDeliveryRatio != 1.4 {
		t.Fatalf("cluster %+v", r.Cluster[0])
	}
	if s := r.Scaling; s[0].Result != nil || s[1].Result == nil || len(s[1].Result.Runs) != 3 || s[1].Result.Runs[0].Wrk.ValidPerSec != 5000.4 {
		t.Fatalf("scaling %+v", s)
	}
	if r.Failures() != 3 { // a backend row, a scaling run and the cluster script's link_capacity run
		t.Fatalf("failures %d", r.Failures())
	}
	// The epoll row with the most sessions at one frame per writev.
	if fl := r.Floor; !fl.Measured || fl.WriteMicros != 12 || int(fl.DeliveriesPerCPUSec) != 83333 ||
		!strings.Contains(fl.Source, "epoll, 1,000 sessions") {
		t.Fatalf("floor %+v", fl)
	}
}

func TestFloorFallsBackToDesign(t *testing.T) {
	fl := findFloor(nil)
	if fl.Measured || fl.WriteMicros != designWriteMicros || !strings.Contains(fl.Source, "DESIGN §3") {
		t.Fatalf("%+v", fl)
	}
}

func TestMarkdownFixture(t *testing.T) {
	r, err := Assemble("testdata/run")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"# wampgate benchmarks: devbox, 2026-11-26T10:00:00Z",
		"`scripts/bench.sh --quick` (95 s; backends 40 s; fanout 30 s; scaling 0 s; cluster 5 s)",
		"**A `--quick` run",
		"**20,000 deliveries/s**",
		"| 100 | `epoll` | 200 | 4,000 | 400 µs / 1.2 ms | 0.38 | 9.5 | 9.6 MiB | 1.50 | 0 |",
		"| 1,000 | `goroutine` | *failed (exit status 1); no result, log `backends-goroutine-1000.log`* |",
		"| 10,000 | `easygo` | *n/a: 2 fds per connection (needs 20,016 under ulimit -n 20000)* |",
		"| 1,000 | 128 B | `epoll` | 2.01 M | **1.69 M** | 20.3× | 22.8 | 25.0 ms / 59.0 ms | 0 |",
		"| 1,000 | 4 KiB | `goroutine` |",
		"Single-syscall floor (measured in this run): one write per delivery costs 12.0 µs",
		"*not available: scripts/bench-wrk.sh not found*",
		"`bash scripts/bench-wrk.sh --quick`: for 1, 2 and 3 nodes (`scripts/cluster.sh`), wrk -t4 -c100 -d3s",
		"| `upgrade` | 1 | nginx | **5,000** | 0 | 12.5 ms / 41.2 ms | 100.0 | 140.0 |",
		"| `upgrade` | 1 | direct | **7,000** | 3 (+2 read errors) | 8.0 ms / 30.0 ms | 85.7 | — |",
		"| — | 2 | nginx | *failed (exit status 1) scripts/cluster.sh start failed* |",
		"`bash scripts/bench-cluster.sh --quick`: `scripts/cluster.sh start 1`, then `start 3`",
		"| `one_node` | 1 | 300 | 1.50 M | **1.40 M** | 0.71 | 40.0 ms / — | — | — | 0 / 0 |",
		"| `cluster` | 3 | 300 | 1.20 M | **1.00 M** | 1.00 | 45.0 ms / 52.0 ms | +7.0 ms | 9.0 k | 0 / 0 |",
		"| `relay_latency` | 3 | 300 | 30.0 k |",
		"| `link_capacity` | 3 | *failed (exit status 1) scripts/cluster.sh start failed* |",
		"Against DESIGN §5: 3 nodes spend **1.40×** the server CPU per delivery of one node (target ≤ 1.3×); " +
			"the relay adds **1.5 ms** at p99 (target ≤ 2 ms); the busiest peer link carried **9.0 k publications/s**",
		"**3 benchmark(s) failed**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("\n%s", md)
	}
}

func TestAssembleRejectsBadInput(t *testing.T) {
	for name, manifest := range map[string]string{
		"unknown section": `{"section":"nope"}`,
		"bad line":        `{"section":`,
	} {
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, "meta.json"), []byte(`{"host":"x"}`), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "manifest.jsonl"), []byte(manifest+"\n"), 0o644))
		if _, err := Assemble(dir); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Assemble(t.TempDir()); err == nil {
		t.Error("a directory without meta.json accepted")
	}
}

func TestFormats(t *testing.T) {
	for _, c := range [][2]string{
		{Thousands(0), "0"}, {Thousands(999), "999"}, {Thousands(19000), "19,000"}, {Thousands(-1234567), "-1,234,567"},
		{bench.FormatRate(1.58e6), "1.58 M"}, {bench.FormatRate(92700), "92.7 k"}, {bench.FormatRate(12), "12"},
		{ms(0), "—"}, {ms(0.25), "250 µs"}, {ms(30.44), "30.4 ms"}, {ms(604), "604 ms"},
		{mib(26726), "26.1 MiB"}, {SizeName(128), "128 B"}, {SizeName(4096), "4 KiB"},
		{minutes(48), "48 s"}, {minutes(690), "11.5 min"},
	} {
		if c[0] != c[1] {
			t.Errorf("got %q, want %q", c[0], c[1])
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
