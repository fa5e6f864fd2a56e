//go:build linux

package main

import (
	"context"
	"io"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/bench"
)

// backendCommand is `wampbench backend`: one row of the backend table,
// N subscribed sessions and one publisher at a fixed rate.
func backendCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "backend",
		Usage: "N subscribed sessions, then a fixed publication rate: handshake rate, RSS, latency, server CPU-seconds",
		Flags: append(commonFlags(),
			&cli.IntFlag{Name: "conns", Value: 1000, Usage: "subscribed sessions"},
			&cli.Float64Flag{Name: "rate", Usage: "publications per second (default: --deliveries ÷ --conns)"},
			&cli.Float64Flag{Name: "deliveries", Value: bench.DefaultBackendDeliveries, Usage: "deliveries per second to aim at when --rate is not given"},
			&cli.IntFlag{Name: "size", Value: 128, Usage: "bytes of event JSON"},
			&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "publishing time"},
			&cli.DurationFlag{Name: "drain", Value: 3 * time.Second, Usage: "after publishing, stop waiting once nothing arrived for this long"},
		),
		Action: func(c *cli.Context) error {
			opts := bench.BackendOptions{
				Common:     common(c, stderr),
				Conns:      c.Int("conns"),
				Rate:       c.Float64("rate"),
				Deliveries: c.Float64("deliveries"),
				Size:       c.Int("size"),
				Duration:   c.Duration("duration"),
				Drain:      c.Duration("drain"),
			}
			return run(c, stdout, func(ctx context.Context) (result, error) {
				res, err := bench.RunBackend(ctx, opts)
				if res == nil { // no typed nil inside the interface
					return nil, err
				}
				return res, err
			})
		},
	}
}
