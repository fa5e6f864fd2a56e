//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wampgate/wampgate/bench/internal/wire"
	"github.com/wampgate/wampgate/bench/latency"
)

// FanoutOptions configures RunFanout.
type FanoutOptions struct {
	Common
	Subs     int           // subscriber sessions
	Pubs     int           // publisher sessions; default 1
	Size     int           // bytes of event JSON; default 128 (minimum wire.MinEventSize)
	Duration time.Duration // publishing time; default 10 s
	Rate     float64       // publications/s over all publishers; 0: full speed within Window
	Window   int           // publications in flight at most; default 64 at full speed, 1000 at a fixed rate
	Batch    int           // publications per write at full speed; default 8
	Topic    string        // default "bench/fanout"
	// Drain bounds the wait for the last deliveries once publishing has
	// stopped: the run ends when everything arrived or nothing did for
	// Drain; default 3 s.
	Drain time.Duration
}

// RunFanout measures fan-out: opts.Subs subscribers and opts.Pubs
// publishers on one topic. Subscribers live in worker processes of their
// own, publishers in one more. After a warm-up event proves every
// subscription, publishers publish for opts.Duration and the run reports
// deliveries per second and per server CPU-second, loss, and latency.
func RunFanout(ctx context.Context, opts FanoutOptions) (*FanoutResult, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	t, err := parseTarget(opts.URL)
	if err != nil {
		return nil, err
	}
	srv := findServer(&opts.Common, t)
	nSub := ceilDiv(opts.Subs, opts.PerWorker)
	pubW := nSub // the publishers' worker comes after the subscribers'
	ips, err := sourceIPs(opts.SourceBase, 0, nSub+1)
	if err != nil {
		return nil, err
	}
	res := &FanoutResult{Mode: "fanout", Label: opts.Label, URL: opts.URL, Protocol: opts.Protocol,
		PubProtocol: opts.PubProtocol, Topic: opts.Topic, Workers: nSub + 1, TargetSubscribers: opts.Subs,
		EventBytes: opts.Size, RateTarget: opts.Rate, Window: opts.Window, Batch: opts.Batch}
	if opts.Protocol == wire.V1.String() && opts.PubProtocol == wire.V1.String() {
		res.FrameBytes = 2 + len(`[8,`) + len(wire.TopicJSON(opts.Topic)) + 1 + opts.Size + 1
		if res.FrameBytes-2 >= 126 {
			res.FrameBytes += 2
		}
	}
	res.Server.PID = srv.pid

	before := srv.sample()
	p, err := startPool(nSub+1, opts.WorkerCommand, opts.WorkerEnv, opts.Log)
	if err != nil {
		return nil, err
	}
	defer p.close()
	lifetime := opts.ConnectTimeout + opts.Duration + opts.Drain + 3*time.Minute

	opts.logf("fanout: opening %d subscribers in %d worker(s) and %d publisher(s)", opts.Subs, nSub, opts.Pubs)
	connectStart := time.Now()
	ready, err := p.callAll(ctx, p.all(), func(i int) request {
		if i == pubW {
			return opts.setupFor(t, i, ips[i:i+1], opts.Topic, 0, opts.Pubs, lifetime)
		}
		subs := opts.Subs / nSub
		if i < opts.Subs%nSub {
			subs++
		}
		return opts.setupFor(t, i, ips[i:i+1], opts.Topic, subs, 0, lifetime)
	}, opts.ConnectTimeout+15*time.Second)
	if err != nil {
		return nil, err
	}
	established := 0
	for _, r := range ready {
		established += r.Ready.Subscribers
		res.Publishers += r.Ready.Publishers
		res.Failed += r.Ready.Failed
		res.Failures = mergeCounts(res.Failures, r.Ready.Failures)
	}
	res.ConnectSeconds = time.Since(connectStart).Seconds()
	connected := srv.sample()
	res.ServerCPUConnectSeconds = cpuBetween(before, connected)
	res.RSSConnectedKiB = connected.RSSKiB
	if res.ConnectSeconds > 0 {
		res.HandshakesPerSec = float64(established+res.Publishers) / res.ConnectSeconds
	}
	opts.logf("fanout: %d subscribers and %d publishers established, %d failed in %.2f s", established, res.Publishers, res.Failed, res.ConnectSeconds)
	if established == 0 || res.Publishers == 0 {
		return res, errNoSessions
	}
	subSlots := make([]int, nSub)
	for i := range subSlots {
		subSlots[i] = i
	}

	// Warm-up: one event must reach every subscriber.
	if res.Subscribers, err = warmUp(ctx, p, pubW, subSlots, established, opts.Size, opts.logf); err != nil {
		return nil, err
	}
	if res.Subscribers == 0 {
		return res, fmt.Errorf("no subscriber received the warm-up event")
	}
	if _, err := p.callAll(ctx, p.all(), func(int) request { return request{Op: opReset} }, 10*time.Second); err != nil {
		return nil, err
	}

	// Measure.
	mode := "full speed"
	if opts.Rate > 0 {
		mode = fmt.Sprintf("%.0f publications/s", opts.Rate)
	}
	opts.logf("fanout: publishing for %v at %s to %d subscribers", opts.Duration, mode, res.Subscribers)
	var health0 []byte
	if srv.pid != 0 {
		health0 = healthz(t)
	}
	s0 := srv.sample()
	c0 := p.cpuSeconds()
	t0 := time.Now()
	pubReq := request{Op: opPublish, Publish: &publishParams{
		Duration:    opts.Duration,
		Rate:        opts.Rate,
		Window:      opts.Window,
		Batch:       opts.Batch,
		Subscribers: res.Subscribers,
		SubSlots:    subSlots,
		Size:        opts.Size,
	}}
	peak := s0.RSSKiB
	if err := p.workers[pubW].enc.Encode(pubReq); err != nil {
		return nil, err
	}
	var pubResp response
	for waited := time.Duration(0); ; waited += 500 * time.Millisecond {
		if waited > opts.Duration+30*time.Second {
			return nil, fmt.Errorf("publisher did not finish")
		}
		r, err := p.await(ctx, pubW, opPublish, 500*time.Millisecond)
		if err == nil {
			pubResp = r
			break
		}
		if !errors.Is(err, errNoAnswer) {
			return nil, err
		}
		peak = max(peak, srv.sample().RSSKiB)
	}
	pr := pubResp.Published
	res.Published, res.PublishSeconds = pr.Sent, pr.Seconds
	res.WindowWaits, res.Late, res.PublishError = pr.WindowWaits, pr.Late, pr.Err
	if pr.Seconds > 0 {
		res.PublishRate = float64(pr.Sent) / pr.Seconds
	}
	res.Expected = res.Published * uint64(res.Subscribers)

	// Drain: until everything arrived, or nothing more did for opts.Drain.
	_, t1, err := drain(ctx, p, subSlots, res.Expected, opts.Drain)
	if err != nil {
		return nil, err
	}
	s1 := srv.sample()
	c1 := p.cpuSeconds()
	elapsed := time.Since(t0).Seconds()
	peak = max(peak, s1.RSSKiB)

	reports, err := p.callAll(ctx, p.all(), func(int) request { return request{Op: opReport} }, 10*time.Second)
	if err != nil {
		return nil, err
	}
	var lat latency.Histogram
	for i, r := range reports {
		rep := r.Report
		res.Disconnects = mergeCounts(res.Disconnects, rep.Disconnects)
		res.Foreign += rep.Foreign
		if i == pubW {
			continue
		}
		res.Received += rep.Received
		res.ClientReads += rep.Reads
		lat.MergeSnapshot(rep.Latency)
	}
	for _, n := range res.Disconnects {
		res.Disconnected += n
	}
	if res.Received < res.Expected {
		res.Lost = res.Expected - res.Received
	} else {
		res.Extra = res.Received - res.Expected
	}
	res.Latency = lat.Summary()
	res.MeasureSeconds = t1.Sub(t0).Seconds()
	if res.MeasureSeconds > 0 {
		res.DeliveriesPerSec = float64(res.Received) / res.MeasureSeconds
	}
	if res.ClientReads > 0 {
		res.EventsPerClientRead = float64(res.Received) / float64(res.ClientReads)
	}
	res.ClientCPUSeconds = c1 - c0
	res.Server.RSSBeforeKiB = before.RSSKiB
	res.Server.RSSAfterKiB = s1.RSSKiB
	res.Server.RSSPeakKiB = peak
	res.Server.setCPU(s0, s1)
	if srv.pid != 0 {
		if res.Server.CPUSeconds > 0 {
			res.DeliveriesPerCPUSec = float64(res.Received) / res.Server.CPUSeconds
		}
		if elapsed > 0 {
			res.ServerCPUPercent = 100 * res.Server.CPUSeconds / elapsed
		}
		res.Server.Healthz = healthz(t)
		res.Net = netBetween(health0, res.Server.Healthz, res.Server.CPUSeconds)
	}
	return res, nil
}
