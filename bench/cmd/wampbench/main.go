//go:build linux

// Command wampbench is the load generator of wampgate: it measures a WAMP
// server on this machine (idle memory per session, fan-out throughput and
// latency, handshake cost, remote procedure calls), reading the server's
// RSS and CPU time from /proc. Sessions speak WAMP v1 by default, or WAMP
// v2 with --protocol wamp.2.json, wamp.2.msgpack or wamp.2.cbor (rpc needs
// v2). See package bench for how it works.
//
//	wampbench idle --url ws://127.0.0.1:8095/ --conns 19000 --hold 10s
//	wampbench fanout --subs 10000 --size 128 --duration 10s
//	wampbench fanout --subs 10000 --window 20 --protocol wamp.2.msgpack --pub-protocol wamp.2.json
//	wampbench fanout --subs 1000 --rate 100 --duration 10s
//	wampbench handshakes --duration 10s
//	wampbench rpc --protocol wamp.2.json --callees 2 --callers 10 --concurrency 10
//
// Every mode prints a summary, or with --json one JSON object on stdout;
// progress goes to stderr.
//
// The hidden subcommand naive-server runs the naive goroutine-per-connection
// baseline server of package bench/naive (the reference DESIGN §5's ratio
// targets are stated against) until SIGINT or SIGTERM:
//
//	wampbench naive-server --addr 127.0.0.1:8095
//
// scripts/bench-compare.sh runs one mode against it and against wampgate.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/bench"
	"github.com/wampgate/wampgate/bench/naive"
)

func main() {
	if err := newApp(os.Stdout, os.Stderr).Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "wampbench:", err)
		os.Exit(1)
	}
}

// runTimeout bounds a whole run, whatever its flags say.
const runTimeout = 15 * time.Minute

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "wampbench",
		Usage:     "benchmark a WAMP v1 or v2 server on this machine (loopback only)",
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			{
				Name:  "idle",
				Usage: "open N subscribed sessions, hold them, report server RSS per session and handshake cost",
				Flags: append(commonFlags(),
					&cli.IntFlag{Name: "conns", Value: 1000, Usage: "sessions to open"},
					&cli.StringFlag{Name: "topic", Value: "bench/idle", Usage: "topic every session subscribes to"},
					&cli.DurationFlag{Name: "hold", Value: 10 * time.Second, Usage: "how long to hold the sessions before reading RSS"},
					&cli.DurationFlag{Name: "settle", Value: time.Second, Usage: "pause between the connect phase and the hold"},
					&cli.BoolFlag{Name: "no-verify", Usage: "skip publishing one event to check every subscription"},
				),
				Action: func(c *cli.Context) error {
					opts := bench.IdleOptions{
						Common:   common(c, stderr),
						Conns:    c.Int("conns"),
						Topic:    c.String("topic"),
						Hold:     c.Duration("hold"),
						Settle:   c.Duration("settle"),
						NoVerify: c.Bool("no-verify"),
					}
					return run(c, stdout, func(ctx context.Context) (result, error) {
						return bench.RunIdle(ctx, opts)
					})
				},
			},
			{
				Name:  "fanout",
				Usage: "S subscribers, P publishers on one topic: deliveries/s, per server CPU-second, loss, latency",
				Flags: append(commonFlags(), publishingFlags(1000, "bench/fanout")...),
				Action: func(c *cli.Context) error {
					opts := fanoutOptions(c, stderr)
					return run(c, stdout, func(ctx context.Context) (result, error) {
						return bench.RunFanout(ctx, opts)
					})
				},
			},
			{
				Name:  "handshakes",
				Usage: "repeat connect, 101, WELCOME, close: handshakes/s and server CPU per handshake",
				Flags: append(commonFlags(),
					&cli.IntFlag{Name: "workers", Value: 1, Usage: "worker processes"},
					&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "how long to cycle"},
				),
				Action: func(c *cli.Context) error {
					opts := bench.HandshakeOptions{
						Common:   common(c, stderr),
						Workers:  c.Int("workers"),
						Duration: c.Duration("duration"),
					}
					if !c.IsSet("concurrency") {
						opts.Concurrency = 32
					}
					return run(c, stdout, func(ctx context.Context) (result, error) {
						return bench.RunHandshakes(ctx, opts)
					})
				},
			},
			backendCommand(stdout, stderr),
			clusterCommand(stdout, stderr),
			rpcCommand(stdout, stderr),
			{
				Name:   "worker",
				Usage:  "internal: serve a coordinating wampbench process on stdin/stdout",
				Hidden: true,
				Action: func(*cli.Context) error { return bench.WorkerMain() },
			},
			{
				Name:   "naive-server",
				Usage:  "serve the naive baseline WAMP v1 server (bench/naive) until SIGINT/SIGTERM",
				Hidden: true,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8095", Usage: "loopback host:port to listen on"},
				},
				Action: func(c *cli.Context) error { return serveNaive(c.Context, c.String("addr"), stderr) },
			},
		},
	}
}

// serveNaive runs the naive baseline server on addr (a loopback address)
// until SIGINT or SIGTERM, then closes every connection.
func serveNaive(ctx context.Context, addr string, stderr io.Writer) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("naive-server: %q is not a loopback address", host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := naive.New()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "naive-server: listening on %s (pid %d)\n", ln.Addr(), os.Getpid())
	select {
	case err := <-served:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; err == nil {
		err = serr
	}
	return err
}

func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "url", Value: "ws://127.0.0.1:8095/", EnvVars: []string{"WAMPBENCH_URL"}, Usage: "server to measure (loopback address only)"},
		&cli.IntFlag{Name: "server-pid", EnvVars: []string{"WAMPBENCH_SERVER_PID"}, Usage: "server process for RSS/CPU figures (default: the process listening on the URL's port)"},
		&cli.StringFlag{Name: "label", Usage: "free text stored in the result, e.g. the poller"},
		&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		&cli.IntFlag{Name: "per-worker", Value: 9000, Usage: "connections per worker process (fd limit)"},
		&cli.IntFlag{Name: "concurrency", Value: 256, Usage: "handshakes in flight per worker"},
		&cli.DurationFlag{Name: "handshake-timeout", Value: 10 * time.Second, Usage: "per connection, dial to WELCOME"},
		&cli.DurationFlag{Name: "connect-timeout", Value: 60 * time.Second, Usage: "whole connect phase"},
		&cli.StringFlag{Name: "source-base", Value: "127.0.0.2", Usage: "first loopback source address; worker i binds the i-th"},
		&cli.StringFlag{Name: "protocol", Value: "wamp", EnvVars: []string{"WAMPBENCH_PROTOCOL"}, Usage: "WebSocket subprotocol of the sessions: wamp (WAMP v1), wamp.2.json, wamp.2.msgpack or wamp.2.cbor"},
		&cli.StringFlag{Name: "pub-protocol", Usage: "the publishers' subprotocol (default: --protocol)"},
		&cli.StringFlag{Name: "realm", Value: "realm1", Usage: "the realm WAMP v2 sessions join"},
	}
}

func common(c *cli.Context, stderr io.Writer) bench.Common {
	return bench.Common{
		URL:              c.String("url"),
		ServerPID:        c.Int("server-pid"),
		Label:            c.String("label"),
		PerWorker:        c.Int("per-worker"),
		Concurrency:      c.Int("concurrency"),
		HandshakeTimeout: c.Duration("handshake-timeout"),
		ConnectTimeout:   c.Duration("connect-timeout"),
		SourceBase:       c.String("source-base"),
		Protocol:         c.String("protocol"),
		PubProtocol:      c.String("pub-protocol"),
		Realm:            c.String("realm"),
		Log:              stderr,
	}
}

// result is what every mode returns.
type result interface{ WriteText(io.Writer) }

// run executes a mode under a bounded, interruptible context and prints
// its result, even a partial one that comes with an error.
func run(c *cli.Context, stdout io.Writer, mode func(context.Context) (result, error)) error {
	ctx, cancel := context.WithTimeout(c.Context, runTimeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := mode(ctx)
	if res != nil && !isNil(res) {
		if c.Bool("json") {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(res); jerr != nil && err == nil {
				err = jerr
			}
		} else {
			res.WriteText(stdout)
		}
	}
	return err
}

// isNil reports a typed nil pointer inside the interface.
func isNil(r result) bool {
	switch v := r.(type) {
	case *bench.IdleResult:
		return v == nil
	case *bench.FanoutResult:
		return v == nil
	case *bench.HandshakeResult:
		return v == nil
	}
	return false
}
