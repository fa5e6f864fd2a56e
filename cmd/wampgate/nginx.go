package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/internal/nginxconf"
	"golang.org/x/sys/unix"
)

// nginxCommand is `wampgate nginx-config`: it prints the nginx.conf that
// balances WebSocket clients over the pool.
func nginxCommand() *cli.Command {
	return &cli.Command{
		Name:  "nginx-config",
		Usage: "print an nginx.conf balancing WebSocket clients over the pool (run it with: nginx -p PREFIX -c nginx.conf -e error.log)",
		Flags: append(poolFlags(),
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8090", EnvVars: env("NGINX_LISTEN"),
				Usage: "address nginx accepts clients on (host:port)"},
			&cli.IntFlag{Name: "connections", Value: nginxconf.DefaultConnections, EnvVars: env("NGINX_CONNECTIONS"),
				Usage: "concurrent client connections to size nginx for (two descriptors each)"},
			&cli.StringFlag{Name: "prefix", EnvVars: env("NGINX_PREFIX"),
				Usage: "absolute directory for nginx's pid, logs and temporary files (default: paths relative to nginx -p)"},
			&cli.StringFlag{Name: "tls-cert", EnvVars: env("TLS_CERT"),
				Usage: "terminate TLS (wss://) on --listen with this PEM certificate chain (with --tls-key)"},
			&cli.StringFlag{Name: "tls-key", EnvVars: env("TLS_KEY"),
				Usage: "the PEM private key of --tls-cert"},
			&cli.BoolFlag{Name: "tls-redirect", EnvVars: env("TLS_REDIRECT"),
				Usage: "with TLS, also answer plain HTTP on --redirect-listen with a 301 to https://"},
			&cli.StringFlag{Name: "redirect-listen", EnvVars: env("REDIRECT_LISTEN"),
				Usage: "address of the plain HTTP redirect (default: --listen's host, port 80)"},
			&cli.StringSliceFlag{Name: "ops-allow", EnvVars: env("OPS_ALLOW"),
				Usage: "client address or CIDR network nginx passes /metrics, /status, /status.json and /healthz to, others get 403 (repeatable; default: 127.0.0.1 and ::1)"},
			&cli.BoolFlag{Name: "ops-hide", EnvVars: env("OPS_HIDE"),
				Usage: "answer /metrics, /status, /status.json and /healthz with 404 for everyone (scrape the nodes directly)"},
		),
		Action: printNginxConfig,
	}
}

// printNginxConfig renders the configuration to the app's writer. It
// warns on the error writer when nginx's workers could not get the
// descriptors the configuration is sized for on this machine.
func printNginxConfig(c *cli.Context) error {
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	file, err := loadConfigFile(c.String("config"), log)
	if err != nil {
		return err
	}
	pool, err := poolFrom(c, file)
	if err != nil {
		return err
	}
	if len(pool) == 0 {
		return errors.New("no pool: give --pool host:port,..., WAMPGATE_POOL or a --config file with a pool list")
	}
	conf := nginxconf.Config{
		Listen:      c.String("listen"),
		Pool:        pool,
		Connections: c.Int("connections"),
		Prefix:      c.String("prefix"),
		TLSCert:     c.String("tls-cert"),
		TLSKey:      c.String("tls-key"),
		OpsAllow:    c.StringSlice("ops-allow"),
		OpsHide:     c.Bool("ops-hide"),
	}
	if c.Bool("tls-redirect") {
		conf.RedirectListen = c.String("redirect-listen")
		if conf.RedirectListen == "" {
			host, _, _ := net.SplitHostPort(conf.Listen)
			conf.RedirectListen = net.JoinHostPort(host, "80")
		}
	} else if c.IsSet("redirect-listen") {
		return errors.New("--redirect-listen without --tls-redirect")
	}
	if err := nginxconf.Render(c.App.Writer, conf); err != nil {
		return fmt.Errorf("nginx-config: %w", err)
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && lim.Max != unix.RLIM_INFINITY {
		hard := int(min(lim.Max, 1<<31-1))
		clients := cmp.Or(conf.Connections, nginxconf.DefaultConnections)
		if need := nginxconf.FileLimit(clients); need > hard {
			log.Warn("nginx workers will not get the descriptors this configuration is sized for on this machine: "+
				"raise the hard open-file limit (scripts/tune-linux.sh) or lower --connections",
				"worker_rlimit_nofile", need, "hard_limit", hard, "connections_that_fit", nginxconf.MaxClients(hard))
		}
	}
	return nil
}
