package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/broadcast/natsbus"
	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/internal/httpapi"
	"github.com/wampgate/wampgate/netpoll"
)

// env names the environment variable of a flag: WAMPGATE_ and name.
func env(name string) []string { return []string{"WAMPGATE_" + name} }

// runFlags are the tuning knobs of `wampgate run`; each has a WAMPGATE_*
// environment variable. Defaults come from gateway.DefaultConfig.
func runFlags() []cli.Flag {
	d := gateway.DefaultConfig()
	host, port, _ := net.SplitHostPort(d.Addr)
	portNum, _ := strconv.Atoi(port)
	return []cli.Flag{
		&cli.StringFlag{Name: "host", Value: host, EnvVars: env("HOST"), Usage: "address to listen on"},
		&cli.IntFlag{Name: "port", Value: portNum, EnvVars: env("PORT"), Usage: "TCP port to listen on"},
		&cli.StringFlag{Name: "poller", Value: d.Poller, EnvVars: env("POLLER"),
			Usage: "connection backend: " + strings.Join(netpoll.Backends, ", ") + " (easygo costs two fds per connection)"},
		&cli.IntFlag{Name: "workers", EnvVars: env("WORKERS"), Usage: "worker pool size (0: 4 × CPUs)"},
		&cli.IntFlag{Name: "max-message-size", Value: d.MaxMessageSize, EnvVars: env("MAX_MESSAGE_SIZE"),
			Usage: "largest WebSocket message in bytes; larger ones are closed with 1009"},
		&cli.IntFlag{Name: "max-header-size", Value: d.MaxHeaderSize, EnvVars: env("MAX_HEADER_SIZE"),
			Usage: "largest HTTP request head of a handshake in bytes (413 above)"},
		&cli.DurationFlag{Name: "handshake-timeout", Value: d.HandshakeTimeout, EnvVars: env("HANDSHAKE_TIMEOUT"),
			Usage: "time a client has to complete the WebSocket upgrade, from the accept"},
		&cli.DurationFlag{Name: "defer-accept", Value: d.DeferAccept, EnvVars: env("DEFER_ACCEPT"),
			Usage: "accept a connection once its request arrives (TCP_DEFER_ACCEPT); a silent one after this long, rounded up by Linux to 1s, 3s, 7s, … (0: accept at once)"},
		&cli.DurationFlag{Name: "ping-interval", Value: d.PingInterval, EnvVars: env("PING_INTERVAL"),
			Usage: "ping sessions silent for this long (0: never)"},
		&cli.DurationFlag{Name: "idle-timeout", Value: d.IdleTimeout, EnvVars: env("IDLE_TIMEOUT"),
			Usage: "close sessions silent (pongs included) for this long (0: never)"},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: d.ShutdownTimeout, EnvVars: env("SHUTDOWN_TIMEOUT"),
			Usage: "how long SIGINT/SIGTERM waits for sessions to close"},
		&cli.IntFlag{Name: "write-queue-limit", Value: d.WriteQueueLimit, EnvVars: env("WRITE_QUEUE_LIMIT"),
			Usage: "bytes queued for one client before it is closed as a slow consumer (1008)"},
		&cli.StringSliceFlag{Name: "allowed-origins", EnvVars: env("ALLOWED_ORIGINS"),
			Usage: "Origin values accepted in handshakes, comma-separated (default: any)"},
		&cli.StringSliceFlag{Name: "realm", EnvVars: env("REALM"),
			Usage: "a WAMP realm to serve, repeatable or comma-separated (default: realms in --config, else realm1)"},
		&cli.StringFlag{Name: "v1-realm", EnvVars: env("V1_REALM"),
			Usage: "the realm WAMP v1 sessions join (default: v1_realm in --config, else the first realm)"},
		&cli.BoolFlag{Name: "meta-kill", EnvVars: env("META_KILL"),
			Usage: "serve the WAMP meta procedures wamp.session.kill, kill_by_authid and kill_by_authrole (any client could end any other's session)"},
		&cli.StringFlag{Name: "api-key-file", EnvVars: env("API_KEY_FILE"),
			Usage: "enable the HTTP API (POST /api/publish, /api/call) with the bearer keys in this file, one a line (# comments)"},
		&cli.StringFlag{Name: "api-listen", EnvVars: env("API_LISTEN"),
			Usage: "serve the HTTP API on this HOST:PORT of its own (default: on the node's port, paths under /api/)"},
		&cli.IntFlag{Name: "api-concurrency", Value: httpapi.DefaultConcurrency, EnvVars: env("API_CONCURRENCY"),
			Usage: "HTTP API requests in flight at most; more get 503"},
		&cli.StringFlag{Name: "metrics-listen", EnvVars: env("METRICS_LISTEN"),
			Usage: "serve GET /metrics, /status and /status.json on this HOST:PORT of their own (default: on the node's port)"},
		&cli.StringFlag{Name: "server-ident", Value: d.ServerIdent, EnvVars: env("SERVER_IDENT"),
			Usage: "server name sent in the WAMP v1 WELCOME (a ']' is sent as ')')"},
		&cli.IntFlag{Name: "gc-percent", Value: 50, EnvVars: env("GC_PERCENT"),
			Usage: "Go GC target percentage, as GOGC (the publish path barely allocates, so a low value costs little CPU and keeps idle memory low)"},
		&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: env("LOG_LEVEL"), Usage: "debug, info, warn or error"},
		&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: env("LOG_FORMAT"), Usage: "text or json"},
	}
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:   "run",
		Usage:  "run a node (default: a single node on 127.0.0.1:8095)",
		Flags:  append(append(append(append(append(runFlags(), clusterFlags()...), busFlags()...), authFlags()...), hookFlags()...), debugFlags()...),
		Action: runNode,
	}
}

// configFromFlags turns the flags into a node configuration.
func configFromFlags(c *cli.Context) gateway.Config {
	cfg := gateway.DefaultConfig()
	cfg.Addr = net.JoinHostPort(c.String("host"), strconv.Itoa(c.Int("port")))
	cfg.Poller = c.String("poller")
	cfg.Workers = c.Int("workers")
	cfg.MaxMessageSize = c.Int("max-message-size")
	cfg.MaxHeaderSize = c.Int("max-header-size")
	cfg.HandshakeTimeout = c.Duration("handshake-timeout")
	cfg.DeferAccept = c.Duration("defer-accept")
	cfg.PingInterval = c.Duration("ping-interval")
	cfg.IdleTimeout = c.Duration("idle-timeout")
	cfg.ShutdownTimeout = c.Duration("shutdown-timeout")
	cfg.WriteQueueLimit = c.Int("write-queue-limit")
	cfg.AllowedOrigins = c.StringSlice("allowed-origins")
	cfg.Realms = c.StringSlice("realm")
	cfg.V1Realm = c.String("v1-realm")
	cfg.ServerIdent = c.String("server-ident")
	cfg.MetaKill = c.Bool("meta-kill")
	cfg.APIListen = c.String("api-listen")
	cfg.APIConcurrency = c.Int("api-concurrency")
	cfg.MetricsListen = c.String("metrics-listen")
	return cfg
}

// realmsFrom returns the realms and the v1 realm: from --realm and
// --v1-realm (or their environment variables) when set, else from the
// --config file's realms and v1_realm. Each is taken on its own: a file's
// realms list with --v1-realm on the command line is fine.
func realmsFrom(c *cli.Context, file fileConfig) (realms []string, v1Realm string) {
	realms = file.Realms
	if c.IsSet("realm") {
		realms = c.StringSlice("realm")
	}
	return realms, pick(c, "v1-realm", file.V1Realm)
}

// apiKeysFrom reads the HTTP API's keys from --api-key-file (nil when it
// is not set). A reload reads them again with gateway.LoadAPIKeys and
// hands them to Node.SetAPIKeys.
func apiKeysFrom(c *cli.Context, log *slog.Logger) ([][]byte, error) {
	path := c.String("api-key-file")
	if path == "" {
		if c.String("api-listen") != "" {
			return nil, errors.New("--api-listen without --api-key-file: the HTTP API needs keys")
		}
		return nil, nil
	}
	keys, err := gateway.LoadAPIKeys(path)
	if err != nil {
		return nil, fmt.Errorf("--api-key-file: %w", err)
	}
	warnIfShared(path, "the API key file", log)
	return keys, nil
}

func runNode(c *cli.Context) error {
	log, err := newLogger(c.App.ErrWriter, c.String("log-level"), c.String("log-format"))
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(c.Int("gc-percent"))
	}
	file, err := loadConfigFile(c.String("config"), log)
	if err != nil {
		return err
	}
	cfg := configFromFlags(c)
	cfg.Logger = log
	cfg.Realms, cfg.V1Realm = realmsFrom(c, file)
	cfg.Roles = file.Roles
	if cfg.Hooks, err = hooksFrom(c, file.Hooks); err != nil {
		return err
	}
	if cfg.APIKeys, err = apiKeysFrom(c, log); err != nil {
		return err
	}
	if cfg.Cluster, err = clusterConfig(c, file, cfg.Addr, log); err != nil {
		return err
	}
	natsCfg, err := natsBusFrom(c, file, &cfg, log)
	if err != nil {
		return err
	}
	if cfg.Auth, err = authenticatorFrom(c, file, cfg.Realms, log); err != nil {
		return err
	}
	if natsCfg != nil {
		bus, err := natsbus.New(*natsCfg)
		if err != nil {
			return err
		}
		cfg.Bus = bus
	}
	node, err := gateway.New(cfg)
	if err != nil {
		if cfg.Bus != nil {
			_ = cfg.Bus.Close(context.Background()) // nothing was published yet
		}
		return err
	}
	dbg, err := startDebug(c, log)
	if err != nil {
		return err
	}
	defer dbg.stop()
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1) // before Start: a SIGHUP must never end the process
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := node.Start(); err != nil {
		return err
	}
	r := &reloader{c: c, path: c.String("config"), last: file, parts: reloadables(node, cfg.Realms, log), log: log}
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-hup:
			_ = r.reload() // logged; a refused reload changes nothing
		}
	}
	stop()
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	if err := node.Shutdown(context.Background()); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
