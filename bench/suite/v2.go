package suite

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wampgate/wampgate/bench"
)

// The sections of a run of scripts/bench-v2.sh: WAMP v2 on wampgate
// against v1 on the same binary and against nexus.
const (
	SectionV2Fanout = "v2-fanout" // wampbench fanout at full speed per server and protocol
	SectionV2Idle   = "v2-idle"   // wampbench idle per server and protocol
	SectionV2RPC    = "v2-rpc"    // wampbench rpc per server and protocol
)

// V2Entry is one line of a bench-v2.sh manifest: a benchmark against one
// freshly started server.
type V2Entry struct {
	Entry
	Server      string `json:"server"`                 // "wampgate" or "nexus"
	Protocol    string `json:"protocol"`               // the sessions' subprotocol
	PubProtocol string `json:"pub_protocol,omitempty"` // fan-out: the publishers', when different
	Repeat      int    `json:"repeat"`                 // 1, 2, …: rows of one repeat ran one after the other
}

// Label names the row: "wampgate wamp.2.json", with "← publishers' protocol" when
// it differs.
func (e V2Entry) Label() string {
	s := e.Server + " `" + e.Protocol + "`"
	if e.PubProtocol != "" && e.PubProtocol != e.Protocol {
		s += " ← `" + e.PubProtocol + "`"
	}
	return s
}

// V2FanoutRow is one fan-out run.
type V2FanoutRow struct {
	V2Entry
	Result *bench.FanoutResult `json:"result,omitempty"`
	// VsV1 is this row's deliveries per server CPU-second ÷ those of
	// wampgate's v1 row of the same repeat (DESIGN §5: v2 ≥ 0.9×).
	VsV1 float64 `json:"vs_v1,omitempty"`
}

// V2IdleRow is one idle-memory run.
type V2IdleRow struct {
	V2Entry
	Result *bench.IdleResult `json:"result,omitempty"`
}

// V2RPCRow is one RPC run.
type V2RPCRow struct {
	V2Entry
	Result *bench.RPCResult `json:"result,omitempty"`
}

// V2Report is everything one run of bench-v2.sh measured.
type V2Report struct {
	Meta   Meta          `json:"meta"`
	Fanout []V2FanoutRow `json:"fanout"`
	Idle   []V2IdleRow   `json:"idle"`
	RPC    []V2RPCRow    `json:"rpc"`
}

// Failures counts the entries that ran and failed.
func (r *V2Report) Failures() int {
	n := 0
	for _, e := range r.Fanout {
		n += btoi(e.Failed())
	}
	for _, e := range r.Idle {
		n += btoi(e.Failed())
	}
	for _, e := range r.RPC {
		n += btoi(e.Failed())
	}
	return n
}

// AssembleV2 reads a bench-v2.sh run directory (meta.json,
// manifest.jsonl and the results it names) into a report.
func AssembleV2(dir string) (*V2Report, error) {
	r := &V2Report{Fanout: []V2FanoutRow{}, Idle: []V2IdleRow{}, RPC: []V2RPCRow{}}
	meta, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, fmt.Errorf("reading run metadata: %w", err)
	}
	if err := json.Unmarshal(meta, &r.Meta); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", filepath.Join(dir, "meta.json"), err)
	}
	path := filepath.Join(dir, "manifest.jsonl")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e V2Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		raw := readResult(dir, &e.Entry)
		switch e.Section {
		case SectionV2Fanout:
			r.Fanout = append(r.Fanout, V2FanoutRow{V2Entry: e, Result: decodeResult[bench.FanoutResult](&e.Entry, raw, "wampbench fanout")})
		case SectionV2Idle:
			r.Idle = append(r.Idle, V2IdleRow{V2Entry: e, Result: decodeResult[bench.IdleResult](&e.Entry, raw, "wampbench idle")})
		case SectionV2RPC:
			r.RPC = append(r.RPC, V2RPCRow{V2Entry: e, Result: decodeResult[bench.RPCResult](&e.Entry, raw, "wampbench rpc")})
		default:
			return nil, fmt.Errorf("%s:%d: unknown section %q", path, line, e.Section)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	r.ratios()
	return r, nil
}

// ratios sets VsV1 on every fan-out row that has a v1 row in its repeat.
func (r *V2Report) ratios() {
	v1 := map[int]float64{}
	for _, row := range r.Fanout {
		if row.Server == "wampgate" && row.Protocol == "wamp" && row.Result != nil && row.Result.Lost == 0 {
			v1[row.Repeat] = row.Result.DeliveriesPerCPUSec
		}
	}
	for i := range r.Fanout {
		row := &r.Fanout[i]
		if base := v1[row.Repeat]; base > 0 && row.Result != nil {
			row.VsV1 = row.Result.DeliveriesPerCPUSec / base
		}
	}
}

// WriteV2Markdown renders the report: the machine, the fan-out, idle and
// RPC tables, and a summary of the ranges over the repeats.
func WriteV2Markdown(w io.Writer, r *V2Report) error {
	var b bytes.Buffer
	writeHeader(&b, &r.Meta)
	writeV2Fanout(&b, r.Fanout)
	writeV2Idle(&b, r.Idle)
	writeV2RPC(&b, r.RPC)
	if n := r.Failures(); n > 0 {
		fmt.Fprintf(&b, "**%d benchmark(s) failed**: see the notes above, and the logs in the run directory (bench/results/tmp/v2-run-*).\n", n)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeV2Fanout(b *bytes.Buffer, rows []V2FanoutRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "## Fan-out: WAMP v2 against v1 and nexus\n\n")
	if c := rows[0].Command; c != "" {
		fmt.Fprintf(b, "Each row: a freshly started server; `%s` with the row's `--protocol` "+
			"(subscribers ← publishers). × v1: deliveries per server CPU-second ÷ wampgate v1's in the same repeat "+
			"(DESIGN §5: v2 ≥ 0.9×). Frames per writev: wampgate's `/healthz` counters (nexus has none).\n\n", c)
	}
	t := table{head: []string{"server and protocol", "repeat", "subscribers", "deliveries per server CPU-s", "× v1",
		"deliveries/s", "frames per writev", "latency p50 / p99", "lost"}}
	for _, row := range rows {
		cells := []string{row.Label(), fmt.Sprint(row.Repeat), Thousands(row.Conns)}
		f := row.Result
		if f == nil {
			t.add(append(cells, noteCell(row.Entry))...)
			continue
		}
		fpw := "—"
		if f.Net != nil {
			fpw = fmt.Sprintf("%.1f", f.Net.FramesPerWrite)
		}
		t.add(append(cells, "**"+bench.FormatRate(f.DeliveriesPerCPUSec)+"**", ratio(row.VsV1),
			bench.FormatRate(f.DeliveriesPerSec), fpw, ms(f.Latency.P50Ms)+" / "+ms(f.Latency.P99Ms),
			lostCell(f.Lost, f.Subscribers, row.Entry))...)
	}
	t.write(b)
	var sum []string
	for _, k := range groups(rows, func(r V2FanoutRow) V2Entry { return r.V2Entry }) {
		var per, vs []float64
		for _, row := range rows {
			if row.Label() == k && row.Result != nil {
				per = append(per, row.Result.DeliveriesPerCPUSec)
				if row.VsV1 > 0 {
					vs = append(vs, row.VsV1)
				}
			}
		}
		s := fmt.Sprintf("%s: %s deliveries per server CPU-second", k, span(per, bench.FormatRate))
		if len(vs) > 0 && !strings.HasPrefix(k, "wampgate `wamp`") {
			s += ", " + span(vs, ratio) + " v1's"
		}
		sum = append(sum, s)
	}
	writeSummary(b, sum)
}

func writeV2Idle(b *bytes.Buffer, rows []V2IdleRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "## Idle memory\n\n")
	if c := rows[0].Command; c != "" {
		fmt.Fprintf(b, "Each row: a freshly started server; `%s` with the row's `--protocol`: the sessions join, "+
			"subscribe to one topic and are held; KiB per session = (server RSS after the hold − before the first "+
			"connection) ÷ sessions (DESIGN §5: v2 ≤ 1.5 KiB at 19,000). Verified: sessions that received one event "+
			"published after the hold.\n\n", c)
	}
	t := table{head: []string{"server and protocol", "repeat", "sessions", "verified", "server RSS before → after",
		"KiB per session", "server CPU µs per session set-up", "note"}}
	for _, row := range rows {
		cells := []string{row.Label(), fmt.Sprint(row.Repeat)}
		res := row.Result
		if res == nil {
			t.add(append(cells, Thousands(row.Conns), "", "", "", "", noteCell(row.Entry))...)
			continue
		}
		sessions := Thousands(res.Established) + " of " + Thousands(res.Target)
		if res.Failed > 0 {
			sessions += fmt.Sprintf(" (%s failed: %s)", Thousands(res.Failed), topCount(res.Failures))
		}
		verified := "—"
		if res.Verified >= 0 {
			verified = Thousands(res.Verified)
		}
		note := row.Note
		if row.Failed() {
			note = noteCell(row.Entry)
		}
		t.add(append(cells, sessions, verified, mib(res.Server.RSSBeforeKiB)+" → "+mib(res.Server.RSSAfterKiB),
			"**"+fmt.Sprintf("%.2f", res.KiBPerSession)+"**", fmt.Sprintf("%.1f", res.ServerCPUMicrosPerConn), note)...)
	}
	t.write(b)
}

func writeV2RPC(b *bytes.Buffer, rows []V2RPCRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "## Remote procedure calls\n\n")
	if c := rows[0].Command; c != "" {
		fmt.Fprintf(b, "Each row: a freshly started server; `%s` with the row's `--protocol`: callees register "+
			"one procedure (shared, invoke roundrobin) and echo the argument; callers and callees on the same server. "+
			"Server CPU: its utime+stime over the calling phase ÷ calls answered.\n\n", c)
	}
	t := table{head: []string{"server and protocol", "repeat", "calls/s", "server CPU µs per call", "round trip p50 / p99",
		"errors", "unanswered"}}
	for _, row := range rows {
		cells := []string{row.Label(), fmt.Sprint(row.Repeat)}
		res := row.Result
		if res == nil {
			t.add(append(cells, noteCell(row.Entry))...)
			continue
		}
		errs := Thousands(int(res.Errors))
		if len(res.ErrorURIs) > 0 {
			errs += " (" + topCount(res.ErrorURIs) + ")"
		}
		if row.Failed() {
			errs += "; " + noteCell(row.Entry)
		}
		t.add(append(cells, bench.FormatRate(res.CallsPerSec), "**"+fmt.Sprintf("%.1f", res.ServerCPUMicrosPerCall)+"**",
			ms(res.Latency.P50Ms)+" / "+ms(res.Latency.P99Ms), errs, Thousands(int(res.Unanswered)))...)
	}
	t.write(b)
	var sum []string
	for _, k := range groups(rows, func(r V2RPCRow) V2Entry { return r.V2Entry }) {
		var us, cps []float64
		for _, row := range rows {
			if row.Label() == k && row.Result != nil && row.Result.Calls > 0 {
				us = append(us, row.Result.ServerCPUMicrosPerCall)
				cps = append(cps, row.Result.CallsPerSec)
			}
		}
		sum = append(sum, fmt.Sprintf("%s: %s µs of server CPU per call, %s calls/s", k,
			span(us, func(v float64) string { return fmt.Sprintf("%.1f", v) }), span(cps, bench.FormatRate)))
	}
	writeSummary(b, sum)
}

// groups returns the distinct row labels in order of appearance.
func groups[T any](rows []T, entry func(T) V2Entry) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rows {
		if k := entry(r).Label(); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func writeSummary(b *bytes.Buffer, lines []string) {
	for _, l := range lines {
		fmt.Fprintf(b, "- %s\n", l)
	}
	if len(lines) > 0 {
		b.WriteString("\n")
	}
}

// span formats the range of vs: "1.2 M" or "1.1 M – 1.3 M"; "—" when empty.
func span(vs []float64, f func(float64) string) string {
	if len(vs) == 0 {
		return "—"
	}
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	if f(lo) == f(hi) {
		return f(lo)
	}
	return f(lo) + " – " + f(hi)
}

// ratio formats a ratio: "0.93×"; "—" for none.
func ratio(v float64) string {
	if v <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", v)
}

// topCount formats the largest counts of m: "3 × connect: EMFILE".
func topCount(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, 0, 3)
	for i, k := range keys {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%s × %s", Thousands(m[k]), k))
	}
	return strings.Join(parts, "; ")
}
