package suite

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wampgate/wampgate/bench"
)

// WriteMarkdown renders the report as Markdown: the machine, then one
// table per section, with skipped and failed rows saying so.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b bytes.Buffer
	writeHeader(&b, &r.Meta)
	writeBackends(&b, r)
	writeFanout(&b, r)
	writeScaling(&b, r.Scaling)
	writeCluster(&b, r.Cluster)
	if n := r.Failures(); n > 0 {
		fmt.Fprintf(&b, "**%d benchmark(s) failed**: see the notes above, and the logs in the run directory (bench/results/tmp/run-*).\n", n)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeHeader(b *bytes.Buffer, m *Meta) {
	fmt.Fprintf(b, "# wampgate benchmarks: %s, %s\n\n", m.Host, m.Date)
	fmt.Fprintf(b, "Machine: %s, %d cores, %s MiB, Linux %s, `ulimit -n` %d, %s. Commit %s.\n",
		m.CPU, m.Cores, Thousands(m.MemoryMiB), m.Kernel, m.NoFile, m.Go, m.Commit)
	fmt.Fprintf(b, "Load generator and server share the machine, over loopback.\n\n")
	fmt.Fprintf(b, "Command: `%s` (%s", m.Command, minutes(m.Seconds))
	for _, s := range m.Sections {
		if v, ok := m.SectionSeconds[s]; ok {
			fmt.Fprintf(b, "; %s %s", s, minutes(v))
		}
	}
	fmt.Fprintf(b, ").\n\n")
	if m.Quick {
		fmt.Fprintf(b, "**A `--quick` run: tiny durations and connection counts, a smoke test of the kit, not figures to quote.**\n\n")
	}
}

func writeBackends(b *bytes.Buffer, r *Report) {
	if len(r.Backends) == 0 {
		return
	}
	m := &r.Meta
	fmt.Fprintf(b, "## Backends\n\n")
	fmt.Fprintf(b, "Each row: a freshly started `wampgate run --poller P`; N sessions connect and subscribe to one topic "+
		"(handshakes/s: sessions ÷ the connect phase, dial to SUBSCRIBE, 256 handshakes in flight per worker process); "+
		"then one more session publishes 128-byte events for %s at a fixed budget of **%s deliveries/s** "+
		"(R = %s ÷ N publications/s, each delivered to all N). Latency: publish → event, wall clock, every delivery. "+
		"Server CPU: the node's utime+stime while publishing. RSS: the node's VmRSS with every session open.\n\n",
		m.BackendDuration, Thousands(int(m.DeliveriesBudget)), Thousands(int(m.DeliveriesBudget)))
	t := table{head: []string{"sessions", "poller", "publications/s", "handshakes/s", "latency p50 / p99",
		"server CPU-s", "µs per delivery", "server RSS", "KiB per session", "lost"}}
	for _, row := range r.Backends {
		cells := []string{Thousands(row.Conns), "`" + row.Poller + "`"}
		res := row.Result
		if res == nil || res.Fanout == nil {
			t.add(append(cells, noteCell(row.Entry))...)
			continue
		}
		f := res.Fanout
		t.add(append(cells,
			fmt.Sprintf("%.3g", res.Rate),
			Thousands(int(f.HandshakesPerSec+0.5)),
			ms(f.Latency.P50Ms)+" / "+ms(f.Latency.P99Ms),
			fmt.Sprintf("%.2f", f.Server.CPUSeconds),
			fmt.Sprintf("%.1f", res.ServerCPUMicrosPerDelivery),
			mib(f.RSSConnectedKiB),
			fmt.Sprintf("%.2f", res.KiBPerSession),
			lostCell(f.Lost, f.Subscribers, row.Entry),
		)...)
	}
	t.write(b)
}

func writeFanout(b *bytes.Buffer, r *Report) {
	if len(r.Fanout) == 0 {
		return
	}
	fl := r.Floor
	fmt.Fprintf(b, "## Fan-out and efficiency\n\n")
	fmt.Fprintf(b, "Each row: a freshly started node; S subscribers, one publisher at full speed (at most 64 publications "+
		"in flight, 8 per write) for %s. Frames per writev: the node's own counters (`GET /healthz`, `net`) before and "+
		"after the publishing phase. × floor: deliveries per server CPU-second ÷ the single-syscall floor below.\n\n",
		r.Meta.FanoutDuration)
	t := table{head: []string{"subscribers", "event", "poller", "deliveries/s", "deliveries per server CPU-s",
		"× floor", "frames per writev", "latency p50 / p99", "lost"}}
	for _, row := range r.Fanout {
		cells := []string{Thousands(row.Conns), SizeName(row.Size), "`" + row.Poller + "`"}
		f := row.Result
		if f == nil {
			t.add(append(cells, noteCell(row.Entry))...)
			continue
		}
		frames := "—"
		if f.Net != nil {
			frames = fmt.Sprintf("%.1f", f.Net.FramesPerWrite)
		}
		t.add(append(cells,
			bench.FormatRate(f.DeliveriesPerSec),
			"**"+bench.FormatRate(f.DeliveriesPerCPUSec)+"**",
			fmt.Sprintf("%.1f×", f.DeliveriesPerCPUSec/fl.DeliveriesPerCPUSec),
			frames,
			ms(f.Latency.P50Ms)+" / "+ms(f.Latency.P99Ms),
			lostCell(f.Lost, f.Subscribers, row.Entry),
		)...)
	}
	t.write(b)
	kind := "constant"
	if fl.Measured {
		kind = "measured in this run"
	}
	fmt.Fprintf(b, "Single-syscall floor (%s): one write per delivery costs %.1f µs of server CPU, so a server that "+
		"writes each delivery with its own system call delivers at most **%s per CPU-second**. Source: %s. "+
		"DESIGN §3 measured 10–13 µs per loopback write on these machines (about 80 k deliveries per core-second).\n\n",
		kind, fl.WriteMicros, bench.FormatRate(fl.DeliveriesPerCPUSec), fl.Source)
}

func writeCluster(b *bytes.Buffer, rows []ClusterRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "## Cluster\n\n")
	for _, row := range rows {
		c := row.Result
		if c == nil {
			fmt.Fprintf(b, "%s\n\n", noteCell(row.Entry))
			continue
		}
		fmt.Fprintf(b, "`%s`: `scripts/cluster.sh start 1`, then `start %d` (full-mesh peer links, nginx in front); "+
			"`wampbench cluster` spreads the subscribers evenly over the nodes and publishes 128-byte events on the first "+
			"node for %s: `one_node` and `cluster` at full speed with %s subscribers, `relay_latency` at %.0f publications/s "+
			"to %s subscribers, `link_capacity` with one subscriber per node and up to 4,096 publications in flight. Relayed: events "+
			"that crossed a peer link. Server CPU: all nodes' utime+stime while publishing, per delivery anywhere.\n\n",
			row.Command, c.Nodes, c.Duration, Thousands(c.Subs), c.Rate, Thousands(c.RateSubs))
		if row.Failed() || row.Note != "" {
			fmt.Fprintf(b, "%s\n\n", noteCell(row.Entry))
		}
		t := table{head: []string{"run", "nodes", "subscribers", "deliveries/s", "deliveries per server CPU-s",
			"server µs per delivery", "p99 local / relayed", "relay adds (p99)", "busiest link (publications/s)", "lost / extra"}}
		for _, name := range ClusterRunNames {
			run, ok := c.Runs[name]
			if !ok {
				continue
			}
			cells := []string{"`" + name + "`", strconv.Itoa(run.Nodes)}
			res := run.Result
			if res == nil {
				t.add(append(cells, fmt.Sprintf("*failed (exit status %d) %s*", run.ExitCode, run.Note))...)
				continue
			}
			t.add(append(cells, clusterCells(res)...)...)
		}
		t.write(b)
		writeClusterSummary(b, c)
	}
}

// clusterCells are a wampbench cluster result's cells after run and nodes.
func clusterCells(c *bench.ClusterResult) []string {
	relayAdds, link := "—", "—"
	if c.Local.Count > 0 && c.Relayed.Count > 0 {
		relayAdds = fmt.Sprintf("%+.1f ms", c.RelayAddedP99Ms)
	}
	if c.MaxLinkEventsPerSec > 0 {
		link = bench.FormatRate(c.MaxLinkEventsPerSec)
	}
	return []string{Thousands(c.Subscribers), bench.FormatRate(c.DeliveriesPerSec), "**" + bench.FormatRate(c.DeliveriesPerCPUSec) + "**",
		fmt.Sprintf("%.2f", c.ServerCPUMicrosPerDelivery), ms(c.Local.P99Ms) + " / " + ms(c.Relayed.P99Ms),
		relayAdds, link, Thousands(int(c.Deliveries.Lost)) + " / " + Thousands(int(c.Deliveries.Extra))}
}

// writeClusterSummary states the figures against DESIGN §5's targets.
func writeClusterSummary(b *bytes.Buffer, c *ClusterReport) {
	s := c.Summary
	var parts []string
	if s.CPUPerDeliveryRatio != nil {
		parts = append(parts, fmt.Sprintf("%d nodes spend **%.2f×** the server CPU per delivery of one node (target ≤ 1.3×)",
			c.Nodes, *s.CPUPerDeliveryRatio))
	}
	if s.RelayAddedP99Ms != nil {
		parts = append(parts, fmt.Sprintf("the relay adds **%.1f ms** at p99 (target ≤ 2 ms)", *s.RelayAddedP99Ms))
	}
	if s.MaxLinkEventsPerSec > 0 {
		parts = append(parts, fmt.Sprintf("the busiest peer link carried **%s publications/s** (target ≥ 500 k)", bench.FormatRate(s.MaxLinkEventsPerSec)))
	}
	parts = append(parts, fmt.Sprintf("%s deliveries lost and %s extra in all runs", Thousands(int(s.Lost)), Thousands(int(s.Extra))))
	fmt.Fprintf(b, "Against DESIGN §5: %s.\n\n", strings.Join(parts, "; "))
}

func writeScaling(b *bytes.Buffer, runs []ScalingRun) {
	if len(runs) == 0 {
		return
	}
	fmt.Fprintf(b, "## Scaling through nginx (wrk)\n\n")
	for _, run := range runs {
		w := run.Result
		if w == nil {
			fmt.Fprintf(b, "%s\n\n", noteCell(run.Entry))
			continue
		}
		fmt.Fprintf(b, "`%s`: for 1, 2 and 3 nodes (`scripts/cluster.sh`), wrk -t%d -c%d -d%s through nginx, and against "+
			"one node directly. Each script checks every response: `upgrade` a WebSocket upgrade to WAMP v1 (101 with the "+
			"right accept and subprotocol) on a new connection; `healthz` plain HTTP `GET /healthz`; `session` a short WAMP "+
			"session (upgrade, SUBSCRIBE, PUBLISH to itself, close). Server CPU: the nodes' and nginx's utime+stime ÷ valid "+
			"responses.\n\n", run.Command, w.Wrk.Threads, w.Wrk.Connections, w.Wrk.Duration)
		if run.Failed() || run.Note != "" {
			fmt.Fprintf(b, "%s\n\n", noteCell(run.Entry))
		}
		t := table{head: []string{"script", "nodes", "via", "valid/s", "invalid", "latency p50 / p99",
			"node CPU µs per valid", "nginx CPU µs per valid"}}
		for _, r := range w.Runs {
			script := "—"
			if r.Script != "" {
				script = "`" + r.Script + "`"
			}
			cells := []string{script, strconv.Itoa(r.Nodes), r.Target}
			if r.Wrk == nil {
				t.add(append(cells, fmt.Sprintf("*failed (exit status %d) %s*", r.ExitCode, r.Note))...)
				continue
			}
			invalid := Thousands(int(r.Wrk.Invalid))
			if r.Wrk.UnexpectedReadErrors > 0 {
				invalid += fmt.Sprintf(" (+%s read errors)", Thousands(int(r.Wrk.UnexpectedReadErrors)))
			}
			t.add(append(cells, "**"+Thousands(int(r.Wrk.ValidPerSec+0.5))+"**", invalid,
				ms(r.Wrk.Latency.P50)+" / "+ms(r.Wrk.Latency.P99), micros(r.NodeCPUMicrosPerValid),
				micros(r.NginxCPUMicrosPerValid))...)
		}
		t.write(b)
	}
}

// noteCell says why a row has no figures, or what went wrong.
func noteCell(e Entry) string {
	s := e.Note
	if e.Failed() {
		s = joinNote(fmt.Sprintf("failed (exit status %d)", e.ExitCode), s)
	}
	if e.Failed() && e.Log != "" {
		s += ", log `" + e.Log + "`"
	}
	if s == "" {
		s = "no result"
	}
	return "*" + s + "*"
}

// lostCell is the loss column, with a failure or a partial session count
// appended.
func lostCell(lost uint64, subscribers int, e Entry) string {
	s := Thousands(int(lost))
	if subscribers < e.Conns {
		s += fmt.Sprintf(" (%s of %s subscribed)", Thousands(subscribers), Thousands(e.Conns))
	}
	if e.Failed() || e.Note != "" {
		s += "; " + noteCell(e)
	}
	return s
}

// table is a Markdown table under construction.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(b *bytes.Buffer) {
	line := func(cells []string) {
		full := make([]string, len(t.head))
		copy(full, cells)
		fmt.Fprintf(b, "| %s |\n", strings.Join(full, " | "))
	}
	line(t.head)
	fmt.Fprintf(b, "|%s\n", strings.Repeat("---|", len(t.head)))
	for _, r := range t.rows {
		line(r)
	}
	b.WriteString("\n")
}
