//go:build linux

package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/wampgate/wampgate/bench/latency"
)

// HandshakeOptions configures RunHandshakes.
type HandshakeOptions struct {
	Common
	Workers  int           // worker processes; default 1
	Duration time.Duration // default 10 s
	// Common.Concurrency is the number of connections each worker keeps
	// cycling; default 256 there, 32 here.
}

// sourcesPerChurnWorker is how many source addresses a churning worker
// rotates over, so that sockets in TIME_WAIT never exhaust its ports.
const sourcesPerChurnWorker = 64

// RunHandshakes repeats connect → 101 → WELCOME → close (client-initiated)
// for opts.Duration and reports the server CPU per handshake.
func RunHandshakes(ctx context.Context, opts HandshakeOptions) (*HandshakeResult, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if opts.Duration <= 0 {
		opts.Duration = 10 * time.Second
	}
	t, err := parseTarget(opts.URL)
	if err != nil {
		return nil, err
	}
	srv := findServer(&opts.Common, t)
	// Churn sources start after the addresses the other modes use.
	ips, err := sourceIPs(opts.SourceBase, 256, opts.Workers*sourcesPerChurnWorker)
	if err != nil {
		return nil, err
	}
	res := &HandshakeResult{Mode: "handshakes", Label: opts.Label, URL: opts.URL, Protocol: opts.Protocol,
		Workers: opts.Workers, Concurrency: opts.Concurrency}
	res.Server.PID = srv.pid

	p, err := startPool(opts.Workers, opts.WorkerCommand, opts.WorkerEnv, opts.Log)
	if err != nil {
		return nil, err
	}
	defer p.close()
	lifetime := opts.Duration + 2*time.Minute
	if _, err := p.callAll(ctx, p.all(), func(i int) request {
		return opts.setupFor(t, i, ips[i*sourcesPerChurnWorker:(i+1)*sourcesPerChurnWorker], "bench/handshake", 0, 0, lifetime)
	}, 15*time.Second); err != nil {
		return nil, err
	}

	opts.logf("handshakes: %d worker(s) × %d connections cycling for %v", opts.Workers, opts.Concurrency, opts.Duration)
	s0 := srv.sample()
	c0 := p.cpuSeconds()
	t0 := time.Now()
	if _, err := p.callAll(ctx, p.all(), func(int) request {
		return request{Op: opChurn, Churn: &churnParams{Duration: opts.Duration}}
	}, opts.Duration+opts.HandshakeTimeout+closeTimeout+15*time.Second); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(t0).Seconds()
	s1 := srv.sample()
	c1 := p.cpuSeconds()

	reports, err := p.callAll(ctx, p.all(), func(int) request { return request{Op: opReport} }, 10*time.Second)
	if err != nil {
		return nil, err
	}
	var hs latency.Histogram
	for _, r := range reports {
		res.Handshakes += r.Report.Churned
		res.Failed += r.Report.Failed
		res.Failures = mergeCounts(res.Failures, r.Report.Failures)
		res.CloseProblems = mergeCounts(res.CloseProblems, r.Report.Disconnects)
		hs.MergeSnapshot(r.Report.Handshake)
	}
	res.Latency = hs.Summary()
	if res.Seconds > 0 {
		res.HandshakesPerSec = float64(res.Handshakes) / res.Seconds
	}
	res.ClientCPUSeconds = c1 - c0
	res.Server.RSSBeforeKiB, res.Server.RSSAfterKiB = s0.RSSKiB, s1.RSSKiB
	res.Server.RSSPeakKiB = max(s0.RSSKiB, s1.RSSKiB)
	res.Server.setCPU(s0, s1)
	if res.Handshakes > 0 {
		res.ClientCPUMicrosPerHS = res.ClientCPUSeconds * 1e6 / float64(res.Handshakes)
		if srv.pid != 0 {
			res.ServerCPUMicrosPerHS = res.Server.CPUSeconds * 1e6 / float64(res.Handshakes)
			res.ServerUserMicrosPerHS = res.Server.UserCPUSeconds * 1e6 / float64(res.Handshakes)
			res.ServerSystemMicrosPerHS = res.Server.SystemCPUSeconds * 1e6 / float64(res.Handshakes)
		}
	}
	if srv.pid != 0 {
		res.Server.Healthz = healthz(t)
	}
	if res.Handshakes == 0 {
		return res, fmt.Errorf("no handshake completed")
	}
	return res, nil
}
