//go:build linux

package bench

import (
	"context"
	"fmt"
	"time"
)

// DefaultBackendDeliveries is the deliveries/s budget a backend run
// publishes at unless given a rate: at 19,000 sessions that is about one
// publication per second, a few tenths of a core of server and client
// CPU, so the latency measured is the server's, not a saturated machine's.
const DefaultBackendDeliveries = 20000

// BackendOptions configures RunBackend.
type BackendOptions struct {
	Common
	Conns int // subscribed sessions
	// Rate is the publication rate (publications/s); 0: Deliveries ÷ Conns.
	Rate float64
	// Deliveries is the deliveries/s budget used when Rate is 0; default
	// DefaultBackendDeliveries.
	Deliveries float64
	Size       int           // bytes of event JSON; default 128
	Duration   time.Duration // publishing time; default 10 s
	Drain      time.Duration // see FanoutOptions.Drain; default 3 s
}

// backendRate returns the publication rate of a run: rate when positive,
// else the deliveries budget (default DefaultBackendDeliveries) ÷ conns.
func backendRate(conns int, rate, budget float64) (float64, error) {
	switch {
	case conns <= 0:
		return 0, fmt.Errorf("conns must be positive")
	case rate < 0 || budget < 0:
		return 0, fmt.Errorf("rate and deliveries must not be negative")
	case rate > 0:
		return rate, nil
	case budget == 0:
		budget = DefaultBackendDeliveries
	}
	return budget / float64(conns), nil
}

// RunBackend measures one row of the backend table (DESIGN §5, the
// original project's table): opts.Conns sessions subscribed to one topic
// (handshake rate, server RSS and CPU per session), then one publisher at
// a fixed rate for opts.Duration (publish→event latency, loss, server
// CPU-seconds). Run it against a freshly started server: RSS once taken
// is rarely returned.
func RunBackend(ctx context.Context, opts BackendOptions) (*BackendResult, error) {
	rate, err := backendRate(opts.Conns, opts.Rate, opts.Deliveries)
	if err != nil {
		return nil, err
	}
	res := &BackendResult{Mode: "backend", Label: opts.Label, URL: opts.URL, Conns: opts.Conns, Rate: rate}
	if opts.Rate <= 0 {
		res.DeliveriesBudget = rate * float64(opts.Conns)
	}
	fr, err := RunFanout(ctx, FanoutOptions{
		Common:   opts.Common,
		Subs:     opts.Conns,
		Pubs:     1,
		Size:     opts.Size,
		Duration: opts.Duration,
		Rate:     rate,
		Topic:    "bench/backend",
		Drain:    opts.Drain,
	})
	if fr == nil {
		return nil, err
	}
	res.Fanout = fr
	if fr.Server.PID != 0 {
		if fr.Subscribers > 0 {
			n := float64(fr.Subscribers + fr.Publishers)
			res.KiBPerSession = float64(fr.RSSConnectedKiB-fr.Server.RSSBeforeKiB) / n
			res.ServerCPUMicrosPerSession = fr.ServerCPUConnectSeconds * 1e6 / n
		}
		if fr.Received > 0 {
			res.ServerCPUMicrosPerDelivery = fr.Server.CPUSeconds * 1e6 / float64(fr.Received)
		}
	}
	return res, err
}
