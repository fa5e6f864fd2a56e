package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/wampgate/wampgate/bench/latency"
)

// WriteText writes a human-readable summary of r.
func (r *IdleResult) WriteText(w io.Writer) {
	p := printer{w: w}
	p.title("idle", r.Label, r.URL)
	p.line("protocol", "%s", r.Protocol)
	p.line("sessions", "%d of %d established (%d workers), %d failed", r.Established, r.Target, r.Workers, r.Failed)
	p.counts("failures", r.Failures)
	p.line("lost while held", "%d", r.Disconnected)
	p.counts("disconnects", r.Disconnects)
	if r.Verified >= 0 {
		p.line("verified", "%d sessions received an event published after the hold", r.Verified)
	}
	p.line("connect phase", "%.2f s, %.0f sessions/s", r.ConnectSeconds, r.HandshakesPerSec)
	p.latency("dial → WELCOME", r.HandshakeLatency)
	p.line("held", "%.1f s", r.HoldSeconds)
	if r.Server.PID != 0 {
		p.line("server RSS", "%s before, %s after, %s peak", kib(r.Server.RSSBeforeKiB), kib(r.Server.RSSAfterKiB), kib(r.Server.RSSPeakKiB))
		p.line("RSS per session", "%.2f KiB", r.KiBPerSession)
		p.line("server CPU", "%.2f s (connect %.2f s = %.1f µs/session, hold %.2f s)",
			r.Server.CPUSeconds, r.ServerCPUConnectSeconds, r.ServerCPUMicrosPerConn, r.ServerCPUHoldSeconds)
	}
	p.line("client CPU", "%.2f s", r.ClientCPUSeconds)
}

// WriteText writes a human-readable summary of r.
func (r *FanoutResult) WriteText(w io.Writer) {
	p := printer{w: w}
	p.title("fanout", r.Label, r.URL)
	p.line("protocol", "%s (publishers %s)", r.Protocol, r.PubProtocol)
	mode := "full speed"
	if r.RateTarget > 0 {
		mode = fmt.Sprintf("%.0f/s", r.RateTarget)
	}
	p.line("sessions", "%d subscribers (of %d), %d publishers, %d workers, %d failed",
		r.Subscribers, r.TargetSubscribers, r.Publishers, r.Workers, r.Failed)
	p.counts("failures", r.Failures)
	p.line("connect phase", "%.2f s, %.0f sessions/s", r.ConnectSeconds, r.HandshakesPerSec)
	frame := ""
	if r.FrameBytes > 0 {
		frame = fmt.Sprintf(", ~%d-byte frames", r.FrameBytes)
	}
	p.line("events", "%d bytes%s; %s, window %d, batch %d", r.EventBytes, frame, mode, r.Window, r.Batch)
	p.line("published", "%d in %.2f s (%.0f/s), window waits %d, late %d", r.Published, r.PublishSeconds, r.PublishRate, r.WindowWaits, r.Late)
	if r.PublishError != "" {
		p.line("publish error", "%s", r.PublishError)
	}
	p.line("deliveries", "%d expected, %d received, %d lost, %d extra", r.Expected, r.Received, r.Lost, r.Extra)
	p.line("throughput", "%s deliveries/s over %.2f s", FormatRate(r.DeliveriesPerSec), r.MeasureSeconds)
	p.latency("latency", r.Latency)
	if r.Server.PID != 0 {
		p.line("server CPU", "%.2f s (%.0f %% of one core) → %s deliveries per CPU-second",
			r.Server.CPUSeconds, r.ServerCPUPercent, FormatRate(r.DeliveriesPerCPUSec))
		p.line("server RSS", "%s before setup, %s connected, %s peak, %s after",
			kib(r.Server.RSSBeforeKiB), kib(r.RSSConnectedKiB), kib(r.Server.RSSPeakKiB), kib(r.Server.RSSAfterKiB))
	}
	if n := r.Net; n != nil {
		p.line("server writes", "%d writev, %.1f frames per writev, %.1f µs of server CPU per writev, %d EAGAIN",
			n.WriteCalls, n.FramesPerWrite, n.ServerCPUMicrosPerWrite, n.WriteBlocked)
	}
	p.line("client", "%.2f CPU-s, %.1f events per read", r.ClientCPUSeconds, r.EventsPerClientRead)
	p.line("lost sessions", "%d", r.Disconnected)
	p.counts("disconnects", r.Disconnects)
}

// WriteText writes a human-readable summary of r.
func (r *HandshakeResult) WriteText(w io.Writer) {
	p := printer{w: w}
	p.title("handshakes", r.Label, r.URL)
	p.line("protocol", "%s", r.Protocol)
	p.line("handshakes", "%d in %.2f s (%.0f/s), %d workers × %d in flight, %d failed",
		r.Handshakes, r.Seconds, r.HandshakesPerSec, r.Workers, r.Concurrency, r.Failed)
	p.counts("failures", r.Failures)
	p.counts("close problems", r.CloseProblems)
	p.latency("dial → WELCOME", r.Latency)
	if r.Server.PID != 0 {
		p.line("server CPU", "%.2f s → %.1f µs per handshake (user %.1f, kernel %.1f)",
			r.Server.CPUSeconds, r.ServerCPUMicrosPerHS, r.ServerUserMicrosPerHS, r.ServerSystemMicrosPerHS)
		p.line("server RSS", "%s before, %s after", kib(r.Server.RSSBeforeKiB), kib(r.Server.RSSAfterKiB))
	}
	p.line("client CPU", "%.2f s → %.1f µs per handshake", r.ClientCPUSeconds, r.ClientCPUMicrosPerHS)
}

// WriteText writes a human-readable summary of r.
func (r *BackendResult) WriteText(w io.Writer) {
	f := r.Fanout
	p := printer{w: w}
	p.title("backend", r.Label, r.URL)
	p.line("protocol", "%s", f.Protocol)
	p.line("sessions", "%d of %d subscribed, %d publisher, %d failed", f.Subscribers, r.Conns, f.Publishers, f.Failed)
	p.counts("failures", f.Failures)
	p.line("connect phase", "%.2f s, %.0f sessions/s", f.ConnectSeconds, f.HandshakesPerSec)
	budget := ""
	if r.DeliveriesBudget > 0 {
		budget = fmt.Sprintf(" (%s deliveries/s ÷ %d sessions)", FormatRate(r.DeliveriesBudget), r.Conns)
	}
	p.line("publishing", "%.3g publications/s%s for %.1f s: %d published, %d delivered, %d lost",
		r.Rate, budget, f.PublishSeconds, f.Published, f.Received, f.Lost)
	p.latency("latency", f.Latency)
	if f.Server.PID != 0 {
		p.line("server RSS", "%s before, %s connected (%.2f KiB per session), %s peak",
			kib(f.Server.RSSBeforeKiB), kib(f.RSSConnectedKiB), r.KiBPerSession, kib(f.Server.RSSPeakKiB))
		p.line("server CPU", "connect %.2f s (%.1f µs per session); publishing %.2f s (%.1f µs per delivery)",
			f.ServerCPUConnectSeconds, r.ServerCPUMicrosPerSession, f.Server.CPUSeconds, r.ServerCPUMicrosPerDelivery)
	}
	if n := f.Net; n != nil {
		p.line("server writes", "%d writev, %.2f frames per writev", n.WriteCalls, n.FramesPerWrite)
	}
	p.line("client CPU", "%.2f s publishing", f.ClientCPUSeconds)
	p.line("lost sessions", "%d", f.Disconnected)
	p.counts("disconnects", f.Disconnects)
}

type printer struct{ w io.Writer }

func (p printer) title(mode, label, url string) {
	if label != "" {
		label = " [" + label + "]"
	}
	fmt.Fprintf(p.w, "wampbench %s%s against %s\n", mode, label, url)
}

func (p printer) line(name, format string, args ...any) {
	fmt.Fprintf(p.w, "  %-17s %s\n", name, fmt.Sprintf(format, args...))
}

func (p printer) counts(name string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d × %s", m[k], k))
	}
	p.line(name, "%s", strings.Join(parts, "; "))
}

func (p printer) latency(name string, s latency.Summary) {
	if s.Count == 0 {
		p.line(name, "no samples")
		return
	}
	p.line(name, "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%d)",
		ms(s.P50Ms), ms(s.P90Ms), ms(s.P99Ms), ms(s.P999Ms), ms(s.MaxMs), s.Count)
}

func ms(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 100:
		return fmt.Sprintf("%.2fms", v)
	default:
		return fmt.Sprintf("%.0fms", v)
	}
}

func kib(v int64) string {
	if v >= 10*1024 {
		return fmt.Sprintf("%.1f MiB", float64(v)/1024)
	}
	return fmt.Sprintf("%d KiB", v)
}

// FormatRate formats a rate or count for reports: 1580000 → "1.58 M",
// 92700 → "92.7 k".
func FormatRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// WriteText writes a human-readable summary of r.
func (r *RPCResult) WriteText(w io.Writer) {
	p := printer{w: w}
	p.title("rpc", r.Label, r.URL)
	p.line("protocol", "%s", r.Protocol)
	invoke := ""
	if r.Invoke != "" {
		invoke = ", invoke " + r.Invoke
	}
	p.line("sessions", "%d of %d callees%s, %d of %d callers, %d failed", r.Callees, r.TargetCallees, invoke, r.Callers, r.TargetCallers, r.Failed)
	p.counts("failures", r.Failures)
	p.line("calls", "%d answered, %d errors, %d unanswered; %d in flight per caller, %d-byte argument echoed",
		r.Calls, r.Errors, r.Unanswered, r.Concurrency, r.ArgBytes)
	p.counts("errors", r.ErrorURIs)
	p.line("throughput", "%s calls/s over %.2f s", FormatRate(r.CallsPerSec), r.Seconds)
	p.latency("round trip", r.Latency)
	if r.Server.PID != 0 {
		p.line("server CPU", "%.2f s → %.1f µs per call", r.Server.CPUSeconds, r.ServerCPUMicrosPerCall)
		p.line("server RSS", "%s before, %s connected, %s after", kib(r.Server.RSSBeforeKiB), kib(r.RSSConnectedKiB), kib(r.Server.RSSAfterKiB))
	}
	p.line("client CPU", "%.2f s", r.ClientCPUSeconds)
	p.line("lost sessions", "%d", r.Disconnected)
	p.counts("disconnects", r.Disconnects)
}
