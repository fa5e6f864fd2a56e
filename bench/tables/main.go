// Command tables assembles one run of scripts/bench.sh into its report:
// it reads the run directory (meta.json, manifest.jsonl and the results
// the manifest names) and writes the report as JSON and as Markdown.
//
//	cd bench && go run ./tables -run results/tmp/run-X -json results/X.json -md results/X.md
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *jsonOut == "" || *mdOut == "" || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("-run, -json and -md are required")
	}
	r, err := suite.Assemble(*dir)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	if err := os.WriteFile(*jsonOut, append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	var md bytes.Buffer
	if err := suite.WriteMarkdown(&md, r); err != nil {
		return err
	}
	if err := os.WriteFile(*mdOut, md.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing Markdown: %w", err)
	}
	return nil
}
