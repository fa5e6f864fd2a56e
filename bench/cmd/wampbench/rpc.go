//go:build linux

package main

import (
	"context"
	"io"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/bench"
)

// rpcCommand is `wampbench rpc`: callees register one procedure, callers
// keep calls in flight; calls/s, round trip, server CPU per call.
func rpcCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "rpc",
		Usage: "WAMP v2 callees register one procedure, callers keep K calls each in flight: calls/s, round trip, server CPU per call",
		// --concurrency is the calls in flight per caller here, not the
		// handshakes in flight per worker of the other modes.
		Flags: append(withoutFlags(commonFlags(), "pub-protocol", "concurrency"),
			&cli.IntFlag{Name: "callees", Value: 1, Usage: "sessions registering the procedure (several share it: invoke roundrobin)"},
			&cli.IntFlag{Name: "callers", Value: 1, Usage: "sessions calling it"},
			&cli.IntFlag{Name: "concurrency", Value: 1, Usage: "calls in flight per caller"},
			&cli.IntFlag{Name: "size", Value: 128, Usage: "bytes of the call's argument (a stamped string the callee echoes back)"},
			&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "calling time"},
			&cli.DurationFlag{Name: "warmup", Value: time.Second, Usage: "calls before the measurement, not counted (0: none)"},
			&cli.DurationFlag{Name: "drain", Value: 3 * time.Second, Usage: "after calling, wait at most this long for the calls in flight"},
			&cli.StringFlag{Name: "procedure", Value: "bench.echo", Usage: "procedure URI"},
		),
		Action: func(c *cli.Context) error {
			warmup := c.Duration("warmup")
			if warmup == 0 {
				warmup = -1 // none
			}
			opts := bench.RPCOptions{
				Common:      common(c, stderr),
				Callees:     c.Int("callees"),
				Callers:     c.Int("callers"),
				Concurrency: c.Int("concurrency"),
				Size:        c.Int("size"),
				Duration:    c.Duration("duration"),
				Warmup:      warmup,
				Drain:       c.Duration("drain"),
				Procedure:   c.String("procedure"),
			}
			opts.Common.Concurrency = 0 // handshakes in flight: the default
			if !c.IsSet("protocol") {
				opts.Protocol = "wamp.2.json"
			}
			return run(c, stdout, func(ctx context.Context) (result, error) {
				res, err := bench.RunRPC(ctx, opts)
				if res == nil { // no typed nil inside the interface
					return nil, err
				}
				return res, err
			})
		},
	}
}
