package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/broadcast"
)

// poolFlags name the pool: on the command line, in WAMPGATE_POOL, or in a
// YAML configuration file. `run` and `nginx-config` share them.
func poolFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "pool", EnvVars: env("POOL"),
			Usage: "every node of the cluster, this one included, as host:port, comma-separated (the same list on every node; one node or none: a single node)"},
		&cli.StringFlag{Name: "config", EnvVars: env("CONFIG"),
			Usage: "YAML file with the keys " + strings.Join(configKeys, ", ") + " (flags and their environment variables win)"},
	}
}

// clusterFlags are the cluster settings of `wampgate run`.
func clusterFlags() []cli.Flag {
	return append(poolFlags(),
		&cli.StringFlag{Name: "node", EnvVars: env("NODE"),
			Usage: "this node's address exactly as the pool lists it; the node drops it from the pool (default: the listen address)"},
		&cli.StringFlag{Name: "cluster-secret", EnvVars: env("CLUSTER_SECRET"),
			Usage: "secret shared by the pool's nodes; peer links prove they know it (prefer --cluster-secret-file: ps shows command lines)"},
		&cli.StringFlag{Name: "cluster-secret-file", EnvVars: env("CLUSTER_SECRET_FILE"),
			Usage: "file holding the cluster secret (a trailing newline is ignored)"},
		&cli.IntFlag{Name: "peer-queue", Value: broadcast.DefaultQueueLimit, EnvVars: env("PEER_QUEUE"),
			Usage: "publications queued per peer link; when full the oldest are dropped and counted"},
		&cli.IntFlag{Name: "peer-queue-bytes", Value: broadcast.DefaultQueueBytes, EnvVars: env("PEER_QUEUE_BYTES"),
			Usage: "bytes of publications queued per peer link; when full the oldest are dropped and counted"},
	)
}

// clusterConfig gathers this node's place in the cluster from the flags,
// their environment variables and the --config file's content, file (in
// that order of precedence), and checks it. listenAddr is the node's
// listening address, the default of --node.
func clusterConfig(c *cli.Context, file fileConfig, listenAddr string, log *slog.Logger) (broadcast.Config, error) {
	pool, err := poolFrom(c, file)
	if err != nil {
		return broadcast.Config{}, err
	}
	cfg := broadcast.Config{
		Pool:       pool,
		Node:       pick(c, "node", file.Node),
		Secret:     file.ClusterSecret,
		QueueLimit: pickInt(c, "peer-queue", file.PeerQueue),
		QueueBytes: pickInt(c, "peer-queue-bytes", file.PeerQueueBytes),
		Logger:     log,
	}
	if cfg.Node == "" {
		cfg.Node = defaultNode(listenAddr, pool)
	}
	if cfg.QueueLimit < 0 || cfg.QueueBytes < 0 {
		return broadcast.Config{}, fmt.Errorf("peer queue limits must not be negative (publications %d, bytes %d)", cfg.QueueLimit, cfg.QueueBytes)
	}
	if secret, err := secretFrom(c, log); err != nil {
		return broadcast.Config{}, err
	} else if secret != "" {
		cfg.Secret = secret
	}
	if !cfg.Clustered() {
		return cfg, nil
	}
	if err := checkAddr(cfg.Node); err != nil {
		return broadcast.Config{}, fmt.Errorf("--node: %w", err)
	}
	if !slices.Contains(cfg.Pool, cfg.Node) {
		return broadcast.Config{}, fmt.Errorf("this node, %s, is not in the pool %s: give --node as the pool lists this node",
			cfg.Node, strings.Join(cfg.Pool, ","))
	}
	if cfg.Secret == "" {
		return broadcast.Config{}, errors.New("the pool has other nodes, so a cluster secret is required: " +
			"--cluster-secret-file, --cluster-secret, WAMPGATE_CLUSTER_SECRET or cluster_secret in --config")
	}
	if err := cfg.Validate(); err != nil {
		return broadcast.Config{}, fmt.Errorf("cluster configuration: %w", err)
	}
	return cfg, nil
}

// pick returns the value of the string flag name when it was set (on the
// command line or in its environment variable), else fromFile.
func pick(c *cli.Context, name, fromFile string) string {
	if c.IsSet(name) {
		return c.String(name)
	}
	return fromFile
}

// pickInt returns the value of the int flag name when it was set (on the
// command line or in its environment variable) or when the file has no
// value (fromFile 0), else fromFile.
func pickInt(c *cli.Context, name string, fromFile int) int {
	if c.IsSet(name) || fromFile == 0 {
		return c.Int(name)
	}
	return fromFile
}

// poolFrom returns the pool from --pool (or WAMPGATE_POOL), else from the
// configuration file, with blank entries dropped and every address
// checked.
func poolFrom(c *cli.Context, file fileConfig) ([]string, error) {
	source, list := "--config pool", file.Pool
	if c.IsSet("pool") {
		source, list = "--pool", c.StringSlice("pool")
	}
	var pool []string
	for _, a := range list {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if err := checkAddr(a); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		pool = append(pool, a)
	}
	return pool, nil
}

// checkAddr requires host:port with a host and a port number.
func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("address %q: want host:port", a)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("address %q: port must be a number from 1 to 65535", a)
	}
	if host == "" {
		return fmt.Errorf("address %q: the host is missing", a)
	}
	return nil
}

// defaultNode is the node address used without --node: the listening
// address, or, when listening on every interface, the one pool entry
// with the listening port on an address of this machine.
func defaultNode(listenAddr string, pool []string) string {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return listenAddr
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return listenAddr
	}
	local, err := net.InterfaceAddrs()
	if err != nil {
		return listenAddr
	}
	var found []string
	for _, a := range pool {
		h, p, err := net.SplitHostPort(a)
		ip := net.ParseIP(h)
		if err != nil || p != port || ip == nil {
			continue
		}
		if slices.ContainsFunc(local, func(l net.Addr) bool {
			n, ok := l.(*net.IPNet)
			return ok && n.IP.Equal(ip)
		}) && !slices.Contains(found, a) {
			found = append(found, a)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return listenAddr
}

// secretFrom returns the cluster secret given by --cluster-secret or read
// from --cluster-secret-file ("" when neither is set).
func secretFrom(c *cli.Context, log *slog.Logger) (string, error) {
	path := c.String("cluster-secret-file")
	if path == "" {
		return c.String("cluster-secret"), nil
	}
	if c.String("cluster-secret") != "" {
		return "", errors.New("both --cluster-secret and --cluster-secret-file are set " +
			"(on the command line or as WAMPGATE_CLUSTER_SECRET and WAMPGATE_CLUSTER_SECRET_FILE): give one")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--cluster-secret-file: %w", err)
	}
	secret := strings.TrimRight(string(b), "\r\n")
	if secret == "" {
		return "", fmt.Errorf("--cluster-secret-file %s is empty", path)
	}
	warnIfShared(path, "the cluster secret file", log)
	return secret, nil
}

// warnIfShared logs a warning when the file at path, which holds a secret,
// can be read by other users.
func warnIfShared(path, what string, log *slog.Logger) {
	fi, err := os.Stat(path)
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn(what+" can be read by other users; chmod 600 it", "path", path, "mode", fi.Mode().Perm().String())
	}
}
