//go:build linux

package main

import (
	"io"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/bench"
)

// publishingFlags are the flags of the modes that publish to subscribers
// (fanout, cluster), with their defaults for subscribers and topic.
func publishingFlags(subs int, topic string) []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "subs", Value: subs, Usage: "subscriber sessions (in all, spread evenly over the nodes in cluster mode)"},
		&cli.IntFlag{Name: "pubs", Value: 1, Usage: "publisher sessions (on the first node in cluster mode)"},
		&cli.IntFlag{Name: "size", Value: 128, Usage: "bytes of event JSON (a string carrying send time and sequence number)"},
		&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "publishing time"},
		&cli.Float64Flag{Name: "rate", Usage: "publications per second over all publishers; 0 = as fast as the window allows"},
		&cli.IntFlag{Name: "window", Usage: "publications in flight at most (default 64 at full speed: each subscriber then has at most 64 events queued; 1000 at a fixed rate)"},
		&cli.IntFlag{Name: "batch", Value: 8, Usage: "publications per write at full speed"},
		&cli.StringFlag{Name: "topic", Value: topic, Usage: "topic"},
		&cli.DurationFlag{Name: "drain", Value: 3 * time.Second, Usage: "after publishing, stop waiting once nothing arrived for this long"},
	}
}

// fanoutOptions reads the common and publishing flags.
func fanoutOptions(c *cli.Context, stderr io.Writer) bench.FanoutOptions {
	return bench.FanoutOptions{
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
	}
}
