//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

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
		Flags: append(withoutFlags(commonFlags(), "url", "server-pid"),
			&cli.StringFlag{Name: "urls", Value: defaultClusterURLs, EnvVars: []string{"WAMPBENCH_URLS"}, Usage: "comma-separated ws:// URLs, one per node (loopback only); publishers connect to the first"},
			&cli.StringFlag{Name: "server-pids", Usage: "comma-separated server PIDs, one per URL (default: the process listening on each URL's port)"},
			&cli.IntFlag{Name: "subs", Value: 3000, Usage: "subscriber sessions in all, spread evenly over the nodes"},
			&cli.IntFlag{Name: "pubs", Value: 1, Usage: "publisher sessions (on the first node)"},
			&cli.IntFlag{Name: "size", Value: 128, Usage: "bytes of event JSON"},
			&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "publishing time"},
			&cli.Float64Flag{Name: "rate", Usage: "publications per second over all publishers; 0 = as fast as the window allows"},
			&cli.IntFlag{Name: "window", Usage: "publications in flight at most, counted over every node's subscribers (default 64 at full speed, 1000 at a fixed rate)"},
			&cli.IntFlag{Name: "batch", Value: 8, Usage: "publications per write at full speed"},
			&cli.StringFlag{Name: "topic", Value: "bench/cluster", Usage: "topic"},
			&cli.DurationFlag{Name: "drain", Value: 3 * time.Second, Usage: "after publishing, stop waiting once nothing arrived for this long"},
		),
		Action: func(c *cli.Context) error {
			pids, err := parsePIDs(c.String("server-pids"))
			if err != nil {
				return err
			}
			opts := bench.ClusterOptions{
				FanoutOptions: bench.FanoutOptions{
					Common:   common(c, stderr),
					Subs:     c.Int("subs"),
					Pubs:     c.Int("pubs"),
					Size:     c.Int("size"),
					Duration: c.Duration("duration"),
					Rate:     c.Float64("rate"),
					Window:   c.Int("window"),
					Batch:    c.Int("batch"),
					Topic:    c.String("topic"),
					Drain:    c.Duration("drain"),
				},
				URLs:       splitList(c.String("urls")),
				ServerPIDs: pids,
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
			return nil, fmt.Errorf("--server-pids: %q is not a process id", v)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
