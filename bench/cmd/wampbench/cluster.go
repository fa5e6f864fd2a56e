//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/bench"
)

// defaultClusterURLs are the nodes scripts/cluster.sh starts.
const defaultClusterURLs = "ws://127.0.0.1:8095/,ws://127.0.0.1:8097/,ws://127.0.0.1:8099/"

// clusterCommand is `wampbench cluster`: subscribers spread over the
// nodes of a cluster, publishers on the first node.
func clusterCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "cluster",
		Usage: "subscribers spread over several nodes, publishers on the first: delivered/s, loss, latency local vs relayed, server CPU per delivery, peer link events/s",
		Flags: append(append(withoutFlags(commonFlags(), "url", "server-pid"), publishingFlags(3000, "bench/cluster")...),
			&cli.StringFlag{Name: "urls", Value: defaultClusterURLs, EnvVars: []string{"WAMPBENCH_URLS"}, Usage: "comma-separated ws:// URLs, one per node (loopback only); publishers connect to the first"},
			&cli.StringFlag{Name: "server-pids", Usage: "comma-separated server PIDs, one per URL (default: the process listening on each URL's port)"},
			&cli.StringFlag{Name: "broker-pids", Usage: "comma-separated PIDs of processes relaying between the nodes (a nats-server): their CPU counts as server CPU"},
		),
		Action: func(c *cli.Context) error {
			pids, err := parsePIDs(c.String("server-pids"))
			if err != nil {
				return fmt.Errorf("--server-pids: %w", err)
			}
			brokers, err := parsePIDs(c.String("broker-pids"))
			if err != nil {
				return fmt.Errorf("--broker-pids: %w", err)
			}
			opts := bench.ClusterOptions{
				FanoutOptions: fanoutOptions(c, stderr),
				URLs:          splitList(c.String("urls")),
				ServerPIDs:    pids,
				BrokerPIDs:    brokers,
			}
			return run(c, stdout, func(ctx context.Context) (result, error) {
				res, err := bench.RunCluster(ctx, opts)
				if res == nil { // no typed nil inside the interface
					return nil, err
				}
				return res, err
			})
		},
	}
}

// withoutFlags returns flags minus those named.
func withoutFlags(flags []cli.Flag, names ...string) []cli.Flag {
	return slices.DeleteFunc(flags, func(f cli.Flag) bool {
		return slices.Contains(names, f.Names()[0])
	})
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parsePIDs parses a comma-separated list of PIDs; 0 stands for "find it".
func parsePIDs(s string) ([]int, error) {
	var pids []int
	for _, v := range splitList(s) {
		pid, err := strconv.Atoi(v)
		if err != nil || pid < 0 {
			return nil, fmt.Errorf("%q is not a process id", v)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
