// Command plot draws the charts of a scripts/bench.sh report (the JSON
// bench/tables writes) as PNG files:
//
//	cd bench && go run ./plot -in results/X.json -out results/
//
// writes X-latency.png (publish→event p99 against sessions, per poller),
// X-rss.png (server RSS against sessions, per poller) and
// X-efficiency.png (deliveries per server CPU-second per fan-out
// configuration, with the single-syscall floor). A chart without data in
// the report (a section that did not run) is not drawn.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wampgate/wampgate/bench/suite"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "report JSON written by bench/tables")
	out := fs.String("out", ".", "directory for the PNG files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("-in is required")
	}
	r, err := suite.Load(*in)
	if err != nil {
		return err
	}
	stem := filepath.Join(*out, strings.TrimSuffix(filepath.Base(*in), filepath.Ext(*in)))
	written, err := drawAll(r, stem)
	for _, f := range written {
		fmt.Fprintln(stdout, f)
	}
	if err != nil {
		return err
	}
	if len(written) == 0 {
		fmt.Fprintln(stderr, "plot: nothing to draw (no backend or fan-out results)")
	}
	return nil
}
