// Command tables assembles one run of scripts/bench.sh into its report:
// it reads the run directory (meta.json, manifest.jsonl and the results
// the manifest names) and writes the report as JSON and as Markdown. With
// -v2 it assembles a run of scripts/bench-v2.sh instead (WAMP v2 against
// v1 and nexus).
//
//	cd bench && go run ./tables -run results/tmp/run-X -json results/X.json -md results/X.md
//	cd bench && go run ./tables -v2 -run results/tmp/v2-run-X -json results/X-v2.json -md results/X-v2.md
//
// bench/plot draws the JSON.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wampgate/wampgate/bench/suite"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tables:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("tables", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("run", "", "run directory written by scripts/bench.sh (meta.json, manifest.jsonl)")
	jsonOut := fs.String("json", "", "where to write the report as JSON")
	mdOut := fs.String("md", "", "where to write the report as Markdown")
	v2 := fs.Bool("v2", false, "the run directory is one of scripts/bench-v2.sh")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *jsonOut == "" || *mdOut == "" || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("-run, -json and -md are required")
	}
	var report any
	var md bytes.Buffer
	if *v2 {
		r, err := suite.AssembleV2(*dir)
		if err != nil {
			return err
		}
		report = r
		if err := suite.WriteV2Markdown(&md, r); err != nil {
			return err
		}
	} else {
		r, err := suite.Assemble(*dir)
		if err != nil {
			return err
		}
		report = r
		if err := suite.WriteMarkdown(&md, r); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	if err := os.WriteFile(*jsonOut, append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := os.WriteFile(*mdOut, md.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing Markdown: %w", err)
	}
	return nil
}
