// Command wampgate runs a wampgate node: a WAMP v1 gateway on an epoll
// reactor that replaces PHP Ratchet WampServer nodes.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/internal/buildinfo"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "wampgate:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "wampgate",
		Usage:   "WAMP gateway on an epoll reactor, a drop-in for Ratchet WampServer nodes",
		Version: gateway.Version,
		Commands: []*cli.Command{
			runCommand(),
			nginxCommand(),
			{
				Name:   "version",
				Usage:  "print the version, the module version and VCS revision it was built from, and the Go version",
				Action: printVersion,
			},
		},
	}
}

// printVersion is `wampgate version`: "wampgate 0.1.0 (module v0.1.0,
// revision 0123456789ab, go1.26.8)", from the build information the Go
// toolchain recorded.
func printVersion(c *cli.Context) error {
	bi := buildinfo.Read()
	parts := []string{"module " + bi.Module}
	if r := bi.ShortRevision(); r != "" {
		parts = append(parts, "revision "+r)
	}
	if bi.Time != "" {
		parts = append(parts, "committed "+bi.Time)
	}
	parts = append(parts, bi.Go)
	_, err := fmt.Fprintf(c.App.Writer, "wampgate %s (%s)\n", gateway.Version, strings.Join(parts, ", "))
	return err
}
