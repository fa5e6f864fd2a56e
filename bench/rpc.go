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

// RPCOptions configures RunRPC.
type RPCOptions struct {
	Common
	Callees     int           // sessions registering the procedure; default 1 (several share it, invoke roundrobin)
	Callers     int           // sessions calling it; default 1
	Concurrency int           // calls in flight per caller; default 1
	Size        int           // bytes of the call's argument in the protocol's encoding; default 128
	Duration    time.Duration // calling time; default 10 s
	Warmup      time.Duration // calls before the measurement, not counted; default 1 s, negative: none
	Drain       time.Duration // wait for the calls in flight at the end; default 3 s
	Procedure   string        // default "bench.echo"
}

// RunRPC measures remote procedure calls on one server (WAMP v2 only):
// opts.Callees callees register one procedure and answer each INVOCATION
// with a YIELD echoing its argument; opts.Callers callers each keep
// opts.Concurrency calls in flight for opts.Duration. It reports calls per
// second, the round trip of each call, and the server's CPU per call.
// Callees and callers live in two worker processes.
func RunRPC(ctx context.Context, opts RPCOptions) (*RPCResult, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	t, err := parseTarget(opts.URL)
	if err != nil {
		return nil, err
	}
	srv := findServer(&opts.Common, t)
	ips, err := sourceIPs(opts.SourceBase, 0, 2)
	if err != nil {
		return nil, err
	}
	res := &RPCResult{Mode: "rpc", Label: opts.Label, URL: opts.URL, Protocol: opts.Protocol,
		Procedure: opts.Procedure, TargetCallees: opts.Callees, TargetCallers: opts.Callers,
		Concurrency: opts.Concurrency, ArgBytes: opts.Size}
	if opts.Callees > 1 {
		res.Invoke = "roundrobin"
	}
	res.Server.PID = srv.pid
	before := srv.sample()
	p, err := startPool(2, opts.WorkerCommand, opts.WorkerEnv, opts.Log)
	if err != nil {
		return nil, err
	}
	defer p.close()
	const calleeW, callerW = 0, 1
	lifetime := opts.ConnectTimeout + opts.Warmup + opts.Duration + opts.Drain + 3*time.Minute
	setup := func(i, callees, callers int) request {
		req := opts.setupFor(t, i, ips[i:i+1], "", 0, 0, lifetime)
		req.Setup.Callees, req.Setup.Callers = callees, callers
		req.Setup.Procedure, req.Setup.SharedRegistration = opts.Procedure, opts.Callees > 1
		return req
	}
	// Callees first: a caller must find the procedure registered.
	opts.logf("rpc: registering %s from %d callee(s), then %d caller(s)", opts.Procedure, opts.Callees, opts.Callers)
	r, err := p.call(ctx, calleeW, setup(calleeW, opts.Callees, 0), opts.ConnectTimeout+15*time.Second)
	if err != nil {
		return nil, err
	}
	res.Callees, res.Failed, res.Failures = r.Ready.Callees, r.Ready.Failed, r.Ready.Failures
	if res.Callees == 0 {
		return res, fmt.Errorf("rpc: no callee registered %s: %w", opts.Procedure, errNoSessions)
	}
	if r, err = p.call(ctx, callerW, setup(callerW, 0, opts.Callers), opts.ConnectTimeout+15*time.Second); err != nil {
		return nil, err
	}
	res.Callers = r.Ready.Callers
	res.Failed += r.Ready.Failed
	res.Failures = mergeCounts(res.Failures, r.Ready.Failures)
	opts.logf("rpc: %d callee(s) and %d caller(s) established, %d failed", res.Callees, res.Callers, res.Failed)
	if res.Callees == 0 || res.Callers == 0 {
		return res, errNoSessions
	}
	res.RSSConnectedKiB = srv.sample().RSSKiB

	call := func(d time.Duration) error {
		_, err := p.call(ctx, callerW, request{Op: opCall, Call: &callParams{
			Duration: d, Drain: opts.Drain, Concurrency: opts.Concurrency, Size: opts.Size,
		}}, d+opts.Drain+doTimeout+10*time.Second)
		return err
	}
	if opts.Warmup > 0 {
		if err := call(opts.Warmup); err != nil {
			return nil, fmt.Errorf("rpc: warm-up: %w", err)
		}
	}
	if _, err := p.callAll(ctx, p.all(), func(int) request { return request{Op: opReset} }, 10*time.Second); err != nil {
		return nil, err
	}

	opts.logf("rpc: calling for %v, %d caller(s) × %d in flight", opts.Duration, res.Callers, opts.Concurrency)
	s0 := srv.sample()
	c0 := p.cpuSeconds()
	if err := call(opts.Duration); err != nil {
		return nil, err
	}
	s1 := srv.sample()
	c1 := p.cpuSeconds()
	reports, err := p.callAll(ctx, p.all(), func(int) request { return request{Op: opReport} }, 10*time.Second)
	if err != nil {
		return nil, err
	}
	var lat latency.Histogram
	for _, r := range reports {
		rep := r.Report
		res.Disconnects = mergeCounts(res.Disconnects, rep.Disconnects)
		res.Foreign += rep.Foreign
		res.Calls += rep.Calls
		res.Errors += rep.CallErrors
		res.ErrorURIs = mergeCounts(res.ErrorURIs, rep.CallErrorURIs)
		res.Unanswered += uint64(rep.CallsLeft) + rep.CallsLost
		res.Invocations += rep.Invocations
		res.Seconds = max(res.Seconds, rep.CallSeconds)
		lat.MergeSnapshot(rep.Latency)
	}
	for _, n := range res.Disconnects {
		res.Disconnected += n
	}
	res.Latency = lat.Summary()
	if res.Seconds > 0 {
		res.CallsPerSec = float64(res.Calls) / res.Seconds
	}
	res.ClientCPUSeconds = c1 - c0
	res.Server.RSSBeforeKiB = before.RSSKiB
	res.Server.RSSAfterKiB = s1.RSSKiB
	res.Server.RSSPeakKiB = max(res.RSSConnectedKiB, s1.RSSKiB)
	res.Server.CPUSeconds = cpuBetween(s0, s1)
	if srv.pid != 0 && res.Calls > 0 {
		res.ServerCPUMicrosPerCall = res.Server.CPUSeconds * 1e6 / float64(res.Calls)
		res.Server.Healthz = healthz(t)
	}
	if res.Calls == 0 {
		return res, errors.New("rpc: no call was answered")
	}
	return res, nil
}

// normalize checks the options and fills in the defaults noted on
// RPCOptions.
func (o *RPCOptions) normalize() error {
	if err := o.defaults(); err != nil {
		return err
	}
	if p, _ := wire.ParseProtocol(o.Protocol); !p.V2() {
		return fmt.Errorf("rpc needs a WAMP v2 protocol (--protocol wamp.2.json, wamp.2.msgpack or wamp.2.cbor)")
	}
	o.Callees, o.Callers, o.Concurrency = max(o.Callees, 1), max(o.Callers, 1), max(o.Concurrency, 1)
	if o.Callees > o.PerWorker || o.Callers > o.PerWorker {
		return fmt.Errorf("at most %d callees and %d callers (one worker each)", o.PerWorker, o.PerWorker)
	}
	if o.Size <= 0 {
		o.Size = 128
	}
	if o.Size > maxMessage-1024 {
		return fmt.Errorf("size at most %d", maxMessage-1024)
	}
	o.Size = max(o.Size, wire.MinEventSize)
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	} else if o.Warmup == 0 {
		o.Warmup = time.Second
	}
	if o.Drain <= 0 {
		o.Drain = 3 * time.Second
	}
	if o.Procedure == "" {
		o.Procedure = "bench.echo"
	}
	return nil
}
