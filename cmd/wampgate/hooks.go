package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/wampgate/wampgate/hooks"
)

// hookFlags are the HTTP hooks' flags (README "HTTP hooks").
func hookFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "hook-url", EnvVars: env("HOOK_URL"),
			Usage: "base http:// URL of the application's hooks (/connect, /subscribe, /publish, /call are appended)"},
		&cli.BoolFlag{Name: "hook-connect", EnvVars: env("HOOK_CONNECT"),
			Usage: "send every new session to URL/connect"},
		&cli.StringFlag{Name: "hook-subscribe", EnvVars: env("HOOK_SUBSCRIBE"),
			Usage: "comma-separated URI prefixes whose subscriptions go to URL/subscribe (* = all)"},
		&cli.StringFlag{Name: "hook-publish", EnvVars: env("HOOK_PUBLISH"),
			Usage: "comma-separated URI prefixes whose publications go to URL/publish (* = all)"},
		&cli.StringFlag{Name: "hook-call", EnvVars: env("HOOK_CALL"),
			Usage: "comma-separated URI prefixes whose calls go to URL/call (* = all)"},
		&cli.DurationFlag{Name: "hook-timeout", Value: hooks.DefaultTimeout, EnvVars: env("HOOK_TIMEOUT"),
			Usage: "time a hook has to answer"},
		&cli.IntFlag{Name: "hook-concurrency", Value: hooks.DefaultConcurrency, EnvVars: env("HOOK_CONCURRENCY"),
			Usage: "hook requests in flight at most (the excess waits in a FIFO of 64 times this)"},
		&cli.StringFlag{Name: "hook-failure", Value: "deny", EnvVars: env("HOOK_FAILURE"),
			Usage: "what a failed hook (timeout, refused, non-200, junk) does: deny or allow"},
	}
}

// prefixList is a YAML prefix list: a sequence, or a comma-separated
// string.
type prefixList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *prefixList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*p = hooks.SplitList(n.Value)
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return fmt.Errorf("want a list of URI prefixes or a comma-separated string: %w", err)
	}
	*p = list
	return nil
}

// fileHooks are the hook keys of a --config file.
type fileHooks struct {
	URL                      string
	Connect                  *bool
	Subscribe, Publish, Call prefixList
	Timeout                  time.Duration
	Concurrency              int
	Failure                  string
}

// fields maps the hook keys to where they are decoded.
func (h *fileHooks) fields(m map[string]any) {
	m["hook_url"], m["hook_connect"] = &h.URL, &h.Connect
	m["hook_subscribe"], m["hook_publish"], m["hook_call"] = &h.Subscribe, &h.Publish, &h.Call
	m["hook_timeout"], m["hook_concurrency"], m["hook_failure"] = &h.Timeout, &h.Concurrency, &h.Failure
}

// hooksFrom is the hooks' configuration: each flag (or its environment
// variable) when set, else the --config key, else the default.
func hooksFrom(c *cli.Context, file fileHooks) (hooks.Config, error) {
	hc := hooks.Config{
		URL:         pick(c, "hook-url", file.URL),
		Connect:     c.Bool("hook-connect"),
		Subscribe:   file.Subscribe,
		Publish:     file.Publish,
		Call:        file.Call,
		Timeout:     c.Duration("hook-timeout"),
		Concurrency: pickInt(c, "hook-concurrency", file.Concurrency),
	}
	if !c.IsSet("hook-connect") && file.Connect != nil {
		hc.Connect = *file.Connect
	}
	for name, dst := range map[string]*[]string{"hook-subscribe": &hc.Subscribe, "hook-publish": &hc.Publish, "hook-call": &hc.Call} {
		if c.IsSet(name) {
			*dst = hooks.SplitList(c.String(name))
		}
	}
	if !c.IsSet("hook-timeout") && file.Timeout != 0 {
		hc.Timeout = file.Timeout
	}
	failure := c.String("hook-failure")
	if !c.IsSet("hook-failure") && file.Failure != "" {
		failure = file.Failure
	}
	var err error
	if hc.Failure, err = hooks.ParsePolicy(failure); err != nil {
		return hc, fmt.Errorf("--hook-failure: %w", err)
	}
	if err := hc.Check(); err != nil {
		return hc, fmt.Errorf("hooks: %w (set --hook-url)", err)
	}
	return hc, nil
}
