// Package suite is the data model of scripts/bench.sh: the manifest of the
// benchmarks one run of it ran or skipped, the report assembled from their
// results (bench/results/<date>-<host>.json), and its Markdown rendering.
// bench/tables writes the report and its Markdown; bench/plot draws it.
package suite

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wampgate/wampgate/bench"
)

// The sections of a run, in the order bench.sh runs them.
const (
	SectionBackends = "backends" // wampbench backend per poller and connection count
	SectionFanout   = "fanout"   // wampbench fanout at full speed per poller, subscribers and event size
	SectionScaling  = "scaling"  // scripts/bench-wrk.sh through nginx
	SectionCluster  = "cluster"  // wampbench cluster against scripts/cluster.sh
)

// Entry is one line of a run's manifest (manifest.jsonl in the run
// directory): one benchmark that bench.sh ran, or skipped with a note.
type Entry struct {
	Section  string  `json:"section"`
	Poller   string  `json:"poller,omitempty"`
	Conns    int     `json:"conns,omitempty"` // sessions (backends) or subscribers (fanout)
	Size     int     `json:"size,omitempty"`  // event JSON bytes (fanout)
	Command  string  `json:"command,omitempty"`
	File     string  `json:"file,omitempty"` // the tool's JSON output, relative to the run directory
	Log      string  `json:"log,omitempty"`  // its stderr and the server's log
	ExitCode int     `json:"exit_code"`
	Seconds  float64 `json:"seconds"`        // wall time, server start to stop
	Note     string  `json:"note,omitempty"` // why it was skipped, or what went wrong
}

// Failed reports an entry that ran and did not succeed.
func (e Entry) Failed() bool { return e.ExitCode != 0 }

// Meta describes the machine and the run; bench.sh writes it as meta.json
// in the run directory.
type Meta struct {
	Date             string             `json:"date"` // start of the run, RFC 3339
	Host             string             `json:"host"`
	CPU              string             `json:"cpu"`
	Cores            int                `json:"cores"`
	MemoryMiB        int                `json:"memory_mib"`
	Kernel           string             `json:"kernel"`
	NoFile           int                `json:"ulimit_n"`
	Go               string             `json:"go"`
	Commit           string             `json:"commit"`
	Command          string             `json:"command"` // how bench.sh was invoked
	Quick            bool               `json:"quick"`
	Sections         []string           `json:"sections"`
	BackendDuration  string             `json:"backend_duration"`
	FanoutDuration   string             `json:"fanout_duration"`
	DeliveriesBudget float64            `json:"deliveries_budget"` // deliveries/s of the backend rows
	Seconds          float64            `json:"seconds"`           // the whole run
	SectionSeconds   map[string]float64 `json:"section_seconds"`
}

// BackendRow is one row of the backend table.
type BackendRow struct {
	Entry
	Result *bench.BackendResult `json:"result,omitempty"`
}

// FanoutRow is one row of the fan-out and efficiency table.
type FanoutRow struct {
	Entry
	Result *bench.FanoutResult `json:"result,omitempty"`
}

// ClusterRow is one run of scripts/bench-cluster.sh.
type ClusterRow struct {
	Entry
	Result *ClusterReport `json:"result,omitempty"`
}

// ScalingRun is one run of scripts/bench-wrk.sh.
type ScalingRun struct {
	Entry
	Result *WrkReport `json:"result,omitempty"`
}

// Report is everything one run of bench.sh measured.
type Report struct {
	Meta     Meta         `json:"meta"`
	Backends []BackendRow `json:"backends"`
	Fanout   []FanoutRow  `json:"fanout"`
	Floor    Floor        `json:"floor"`
	Scaling  []ScalingRun `json:"scaling"`
	Cluster  []ClusterRow `json:"cluster"`
}

// Failures counts the entries that ran and failed, and the runs the
// scaling and cluster scripts report as failed.
func (r *Report) Failures() int {
	n := 0
	for _, e := range r.Backends {
		n += btoi(e.Failed())
	}
	for _, e := range r.Fanout {
		n += btoi(e.Failed())
	}
	for _, e := range r.Scaling {
		n += btoi(e.Failed())
		if e.Result != nil {
			n += e.Result.Failed
		}
	}
	for _, e := range r.Cluster {
		n += btoi(e.Failed())
		if e.Result != nil {
			n += e.Result.Failed
		}
	}
	return n
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Assemble reads a run directory (meta.json, manifest.jsonl and the files
// the manifest names) into a report. A result file that is missing or
// unreadable leaves its row without a result and says so in its note.
func Assemble(dir string) (*Report, error) {
	r := &Report{Backends: []BackendRow{}, Fanout: []FanoutRow{}, Scaling: []ScalingRun{}, Cluster: []ClusterRow{}}
	meta, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, fmt.Errorf("reading run metadata: %w", err)
	}
	if err := json.Unmarshal(meta, &r.Meta); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", filepath.Join(dir, "meta.json"), err)
	}
	entries, err := readManifest(filepath.Join(dir, "manifest.jsonl"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		raw := readResult(dir, &e)
		if err := r.add(e, raw); err != nil {
			return nil, err
		}
	}
	r.Floor = findFloor(r.Backends)
	return r, nil
}

// readResult returns the JSON file e names, or nil with a note on e
// saying why there is none.
func readResult(dir string, e *Entry) json.RawMessage {
	if e.File == "" {
		return nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, e.File))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.Note = joinNote(e.Note, "no result")
	case err != nil:
		e.Note = joinNote(e.Note, fmt.Sprintf("result unreadable: %v", err))
	case !json.Valid(raw):
		e.Note = joinNote(e.Note, "result is not JSON")
	default:
		return raw
	}
	return nil
}

// add files one manifest entry and its raw result under its section.
func (r *Report) add(e Entry, raw json.RawMessage) error {
	switch e.Section {
	case SectionBackends:
		res := decodeResult[bench.BackendResult](&e, raw, "wampbench backend")
		r.Backends = append(r.Backends, BackendRow{Entry: e, Result: res})
	case SectionFanout:
		res := decodeResult[bench.FanoutResult](&e, raw, "wampbench fanout")
		r.Fanout = append(r.Fanout, FanoutRow{Entry: e, Result: res})
	case SectionScaling:
		res := decodeResult[WrkReport](&e, raw, "bench-wrk.sh")
		r.Scaling = append(r.Scaling, ScalingRun{Entry: e, Result: res})
	case SectionCluster:
		res := decodeResult[ClusterReport](&e, raw, "bench-cluster.sh")
		r.Cluster = append(r.Cluster, ClusterRow{Entry: e, Result: res})
	default:
		return fmt.Errorf("manifest: unknown section %q", e.Section)
	}
	return nil
}

// decodeResult decodes a result of the given tool, or returns nil (with
// a note on e when raw was not one).
func decodeResult[T any](e *Entry, raw json.RawMessage, what string) *T {
	if raw == nil {
		return nil
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		e.Note = joinNote(e.Note, "result is not a "+what+" result")
		return nil
	}
	return &v
}

// readManifest reads one Entry per line.
func readManifest(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return out, nil
}

// Load reads a report written by bench/tables.
func Load(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	return &r, nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
