// Command wampgate runs a wampgate node: a WAMP v1 gateway on an epoll
// reactor that replaces PHP Ratchet WampServer nodes.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/gateway"
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
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					_, err := fmt.Fprintf(c.App.Writer, "wampgate %s\n", gateway.Version)
					return err
				},
			},
		},
	}
}
