package suite

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestAssembleV2Fixture(t *testing.T) {
	r, err := AssembleV2("testdata/v2run")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Fanout) != 4 || len(r.Idle) != 2 || len(r.RPC) != 1 {
		t.Fatalf("rows: %d fanout, %d idle, %d rpc", len(r.Fanout), len(r.Idle), len(r.RPC))
	}
	v1, v2 := r.Fanout[0], r.Fanout[1]
	if v1.Result == nil || v1.VsV1 != 1 || v2.Result == nil || v2.Protocol != "wamp.2.json" {
		t.Fatalf("fan-out rows %+v %+v", v1, v2)
	}
	if want := v2.Result.DeliveriesPerCPUSec / v1.Result.DeliveriesPerCPUSec; math.Abs(v2.VsV1-want) > 1e-9 || v2.VsV1 >= 1 {
		t.Fatalf("v2/v1 %v, want %v", v2.VsV1, want)
	}
	// Repeat 2 has no v1 figure: its failed row has no ratio.
	if f := r.Fanout[3]; f.Result != nil || !f.Failed() || f.Repeat != 2 || f.VsV1 != 0 || f.Note != "see v2-fanout-wampgate-wamp-2.log; no result" {
		t.Fatalf("failed row %+v", f)
	}
	if i := r.Idle[0]; i.Result == nil || i.Server != "nexus" || i.Result.Established != 19000 {
		t.Fatalf("idle %+v", i)
	}
	if i := r.Idle[1]; i.Result != nil || i.Failed() || !strings.HasPrefix(i.Note, "n/a:") {
		t.Fatalf("skipped idle %+v", i)
	}
	if p := r.RPC[0]; p.Result == nil || p.Result.Calls == 0 || p.Result.ServerCPUMicrosPerCall <= 0 {
		t.Fatalf("rpc %+v", p)
	}
	if r.Failures() != 1 {
		t.Fatalf("failures %d", r.Failures())
	}
}

func TestV2Markdown(t *testing.T) {
	r, err := AssembleV2("testdata/v2run")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteV2Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## Fan-out: WAMP v2 against v1 and nexus",
		"| wampgate `wamp` | 1 | 10,000 | **1.23 M** | 1.00× |",
		"| wampgate `wamp.2.json` | 1 | 10,000 | **1.08 M** | 0.87× |",
		"| nexus `wamp.2.json` | 1 | 10,000 | **55.0 k** | 0.04× |",
		"*failed (exit status 1); see v2-fanout-wampgate-wamp-2.log; no result, log `v2-fanout-wampgate-wamp-2.log`*",
		"- wampgate `wamp.2.json`: 1.08 M deliveries per server CPU-second, 0.87× v1's",
		"| nexus `wamp.2.json` | 1 | 19,000 of 19,000 | 19,000 | 10.3 MiB → 728.4 MiB | **38.70** |",
		"*n/a: 30032 descriptors needed, ulimit -n 20000*",
		"| wampgate `wamp.2.msgpack` | 1 | 70.7 k | **9.2** |",
		"**1 benchmark(s) failed**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestSpan(t *testing.T) {
	if got := span([]float64{0.93, 0.88, 0.91}, ratio); got != "0.88× – 0.93×" {
		t.Fatal(got)
	}
	if got := span([]float64{1}, ratio); got != "1.00×" {
		t.Fatal(got)
	}
	if got := span(nil, ratio); got != "—" {
		t.Fatal(got)
	}
}
