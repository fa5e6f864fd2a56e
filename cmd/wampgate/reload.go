package main

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/gateway"
)

// This file holds what SIGHUP does: re-read the --config file (and the
// files the flags name) and apply to the running node whatever can
// change while sessions run, all of it or nothing.

// reloadable is one part of the configuration a SIGHUP reloads. prepare
// reads and checks it, from file (the --config file just read) or from
// the files the flags of c name, and returns apply, which installs it on
// the running node without dropping sessions. A reload applies its parts
// only when every prepare succeeded.
type reloadable struct {
	name    string
	prepare func(c *cli.Context, file fileConfig) (apply func(), err error)
}

// reloadables are the parts a SIGHUP reloads, one line each: the roles,
// the authentication (users table, JWT key and cookie, the anonymous
// policy; checked against realms, the node's, which need a restart) and
// the HTTP API's keys (when the node serves the API). To reload more, add
// a line that reads it and calls the node's setter.
func reloadables(node *gateway.Node, realms []string, log *slog.Logger) []reloadable {
	parts := []reloadable{
		{"roles", func(_ *cli.Context, f fileConfig) (func(), error) { return func() { node.SetRoles(f.Roles) }, nil }},
		{"authentication", func(c *cli.Context, f fileConfig) (func(), error) {
			a, err := authenticatorFrom(c, f, realms, log)
			if err != nil {
				return nil, err
			}
			return func() { node.SetAuth(a) }, nil
		}},
	}
	if node.APIEnabled() {
		parts = append(parts, reloadable{"api_keys", func(c *cli.Context, _ fileConfig) (func(), error) {
			keys, err := gateway.LoadAPIKeys(c.String("api-key-file"))
			if err != nil {
				return nil, fmt.Errorf("--api-key-file: %w", err)
			}
			return func() {
				if err := node.SetAPIKeys(keys); err != nil { // checked by LoadAPIKeys: cannot fail here
					log.Error("SIGHUP: API keys", "err", err)
				}
			}, nil
		}})
	}
	return parts
}

// reloader re-reads the configuration on SIGHUP.
type reloader struct {
	c     *cli.Context
	path  string     // the --config file, "" when none
	last  fileConfig // the configuration in force
	parts []reloadable
	log   *slog.Logger
}

// reload reads the configuration again and applies its reloadable parts.
// A file that does not load, or a part that does not prepare, is refused
// with one log line and nothing changes; keys that need a restart and
// changed are named in a warning, and keep their running values.
func (r *reloader) reload() error {
	file, err := loadConfigFile(r.path, r.log)
	if err == nil {
		var applies []func()
		for _, p := range r.parts {
			apply, perr := p.prepare(r.c, file)
			if perr != nil {
				err = errors.Join(err, perr)
				continue
			}
			applies = append(applies, apply)
		}
		if err == nil {
			for _, apply := range applies {
				apply()
			}
		}
	}
	if err != nil {
		r.log.Error("SIGHUP: configuration refused, the running one stays", "err", err)
		return err
	}
	names := make([]string, len(r.parts))
	for i, p := range r.parts {
		names[i] = p.name
	}
	attrs := []any{"config", r.path, "reloaded", strings.Join(names, ",")}
	if file.Roles != nil {
		attrs = append(attrs, "roles", strings.Join(file.Roles.Names(), ","))
	} else {
		attrs = append(attrs, "roles", "none: everything allowed")
	}
	r.log.Info("SIGHUP: configuration reloaded", attrs...)
	if changed := restartOnly(r.last, file); len(changed) > 0 {
		r.log.Warn("SIGHUP: these --config keys changed but apply only at the next start", "keys", strings.Join(changed, ","))
	}
	r.last = file
	return nil
}

// restartOnly names the keys that differ between a and b and that a
// running node cannot change.
func restartOnly(a, b fileConfig) []string {
	var changed []string
	for _, k := range []struct {
		name string
		same bool
	}{
		{"pool", slices.Equal(a.Pool, b.Pool)},
		{"node", a.Node == b.Node},
		{"cluster_secret", a.ClusterSecret == b.ClusterSecret},
		{"peer_queue", a.PeerQueue == b.PeerQueue},
		{"peer_queue_bytes", a.PeerQueueBytes == b.PeerQueueBytes},
		{"realms", slices.Equal(a.Realms, b.Realms)},
		{"v1_realm", a.V1Realm == b.V1Realm},
		{"hook_*", reflect.DeepEqual(a.Hooks, b.Hooks)},
	} {
		if !k.same {
			changed = append(changed, k.name)
		}
	}
	return changed
}
