//go:build linux

package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/wampgate/wampgate/bench/latency"
)

// IdleOptions configures RunIdle.
type IdleOptions struct {
	Common
	Conns  int           // sessions to open
	Topic  string        // each session subscribes to it; default "bench/idle"
	Hold   time.Duration // how long to hold them before the RSS reading; default 10 s
	Settle time.Duration // pause after the connect phase before holding; default 1 s
	// NoVerify skips the check, after the hold, that every session
	// receives one published event.
	NoVerify bool
}

// RunIdle opens opts.Conns subscribed sessions across worker processes,
// holds them, and reports server memory per session, server CPU per
// session set up, and the handshake rate.
func RunIdle(ctx context.Context, opts IdleOptions) (*IdleResult, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if opts.Conns <= 0 {
		return nil, fmt.Errorf("conns must be positive")
	}
	if opts.Topic == "" {
		opts.Topic = "bench/idle"
	}
	if opts.Hold <= 0 {
		opts.Hold = 10 * time.Second
	}
	if opts.Settle <= 0 {
		opts.Settle = time.Second
	}
	t, err := parseTarget(opts.URL)
	if err != nil {
		return nil, err
	}
	srv := findServer(&opts.Common, t)
	nw := ceilDiv(opts.Conns, opts.PerWorker)
	ips, err := sourceIPs(opts.SourceBase, 0, nw)
	if err != nil {
		return nil, err
	}
	res := &IdleResult{Mode: "idle", Label: opts.Label, URL: opts.URL, Protocol: opts.Protocol, Topic: opts.Topic,
		Target: opts.Conns, Workers: nw, Verified: -1}
	res.Server.PID = srv.pid

	before := srv.sample()
	p, err := startPool(nw, opts.WorkerCommand, opts.WorkerEnv, opts.Log)
	if err != nil {
		return nil, err
	}
	defer p.close()
	lifetime := opts.ConnectTimeout + opts.Settle + opts.Hold + 2*time.Minute

	opts.logf("idle: opening %d sessions in %d worker(s)", opts.Conns, nw)
	start := time.Now()
	clientCPU0 := p.cpuSeconds()
	ready, err := p.callAll(ctx, p.all(), func(i int) request {
		subs := opts.Conns / nw
		if i < opts.Conns%nw {
			subs++
		}
		pubs := 0
		if i == 0 && !opts.NoVerify {
			pubs = 1
		}
		return opts.setupFor(t, i, ips[i:i+1], opts.Topic, subs, pubs, lifetime)
	}, opts.ConnectTimeout+15*time.Second)
	if err != nil {
		return nil, err
	}
	for _, r := range ready {
		res.Established += r.Ready.Subscribers
		res.Failed += r.Ready.Failed
		res.Failures = mergeCounts(res.Failures, r.Ready.Failures)
	}
	if !opts.NoVerify && ready[0].Ready.Publishers == 0 {
		opts.logf("idle: the verification publisher could not connect; skipping verification")
		opts.NoVerify = true
	}
	res.ConnectSeconds = time.Since(start).Seconds()
	connected := srv.sample()
	if res.ConnectSeconds > 0 {
		res.HandshakesPerSec = float64(res.Established) / res.ConnectSeconds
	}
	opts.logf("idle: %d established, %d failed in %.2f s; holding %v", res.Established, res.Failed, res.ConnectSeconds, opts.Hold)
	if res.Established <= 0 {
		return res, errNoSessions
	}

	if err := sleepCtx(ctx, opts.Settle); err != nil {
		return nil, err
	}
	held := srv.sample()
	peak := held.RSSKiB
	holdStart := time.Now()
	for time.Since(holdStart) < opts.Hold {
		if err := sleepCtx(ctx, min(time.Second, opts.Hold-time.Since(holdStart))); err != nil {
			return nil, err
		}
		peak = max(peak, srv.sample().RSSKiB)
	}
	after := srv.sample()
	res.HoldSeconds = time.Since(holdStart).Seconds()
	clientCPU1 := p.cpuSeconds()

	subSlots := p.all()
	if !opts.NoVerify {
		if _, err := p.call(ctx, 0, request{Op: opPublish, Publish: &publishParams{
			Count: 1, Duration: 10 * time.Second, Size: 64,
		}}, 20*time.Second); err != nil {
			return nil, err
		}
		want := uint64(res.Established)
		if _, err := waitFor(ctx, 10*time.Second, 10*time.Millisecond, func() bool {
			return p.board.received(subSlots) >= want
		}); err != nil {
			return nil, err
		}
		res.Verified = int(p.board.received(subSlots))
	}

	reports, err := p.callAll(ctx, p.all(), func(int) request { return request{Op: opReport} }, 10*time.Second)
	if err != nil {
		return nil, err
	}
	var hs latency.Histogram
	for _, r := range reports {
		res.Disconnects = mergeCounts(res.Disconnects, r.Report.Disconnects)
		hs.MergeSnapshot(r.Report.Handshake)
	}
	for _, n := range res.Disconnects {
		res.Disconnected += n
	}
	res.HandshakeLatency = hs.Summary()
	res.ClientCPUSeconds = clientCPU1 - clientCPU0

	res.Server.RSSBeforeKiB = before.RSSKiB
	res.Server.RSSAfterKiB = after.RSSKiB
	res.Server.RSSPeakKiB = peak
	res.Server.setCPU(before, after)
	res.ServerCPUConnectSeconds = cpuBetween(before, connected)
	res.ServerCPUHoldSeconds = cpuBetween(held, after)
	if srv.pid != 0 {
		res.KiBPerSession = float64(after.RSSKiB-before.RSSKiB) / float64(res.Established)
		res.ServerCPUMicrosPerConn = res.ServerCPUConnectSeconds * 1e6 / float64(res.Established)
		res.Server.Healthz = healthz(t)
	}
	return res, nil
}
