package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/wampgate/wampgate/broadcast/natsbus"
	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/wamp"
)

// The cluster's bus: the built-in peer mesh (--pool) or a NATS server
// (--bus nats, package broadcast/natsbus).

// busFlags choose the bus and configure NATS.
func busFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "bus", Value: "mesh", EnvVars: env("BUS"),
			Usage: "how the nodes of a cluster reach each other: mesh (peer links between the --pool's nodes) or nats (through the NATS servers of --nats-url)"},
		&cli.StringSliceFlag{Name: "nats-url", EnvVars: env("NATS_URL"),
			Usage: "NATS server URLs for --bus nats, comma-separated (nats://127.0.0.1:4222; tls:// for TLS)"},
		&cli.StringFlag{Name: "nats-creds", EnvVars: env("NATS_CREDS"), Usage: "NATS credentials file (user JWT and NKey seed)"},
		&cli.StringFlag{Name: "nats-token", EnvVars: env("NATS_TOKEN"), Usage: "NATS authentication token (prefer WAMPGATE_NATS_TOKEN or the config file: ps shows command lines)"},
		&cli.StringFlag{Name: "nats-tls-ca", EnvVars: env("NATS_TLS_CA"), Usage: "PEM file of the CA that signed the NATS servers' certificates"},
		&cli.StringFlag{Name: "nats-tls-cert", EnvVars: env("NATS_TLS_CERT"), Usage: "PEM client certificate for the NATS servers (with --nats-tls-key)"},
		&cli.StringFlag{Name: "nats-tls-key", EnvVars: env("NATS_TLS_KEY"), Usage: "PEM key of --nats-tls-cert"},
		&cli.StringFlag{Name: "nats-subject-prefix", Value: natsbus.DefaultSubjectPrefix, EnvVars: env("NATS_SUBJECT_PREFIX"),
			Usage: "first tokens of every NATS subject the nodes use: nodes with the same prefix on the same NATS account are one cluster"},
		&cli.IntFlag{Name: "node-slot", EnvVars: env("NODE_SLOT"),
			Usage: "this node's session id slot, 1 to 1023, different on every node of a --bus nats cluster (0: derived from --node; a node refuses to join one with its slot)"},
	}
}

// fileBus are the bus keys of a --config file.
type fileBus struct {
	Bus                           string
	NATSURL                       []string
	NATSCreds, NATSToken          string
	NATSTLSCA, NATSTLSCert        string
	NATSTLSKey, NATSSubjectPrefix string
	NodeSlot                      int
}

// fields maps the bus keys to where they are decoded.
func (b *fileBus) fields(m map[string]any) {
	m["bus"], m["nats_url"], m["nats_creds"], m["nats_token"] = &b.Bus, &b.NATSURL, &b.NATSCreds, &b.NATSToken
	m["nats_tls_ca"], m["nats_tls_cert"], m["nats_tls_key"] = &b.NATSTLSCA, &b.NATSTLSCert, &b.NATSTLSKey
	m["nats_subject_prefix"], m["node_slot"] = &b.NATSSubjectPrefix, &b.NodeSlot
}

// natsBusFrom returns the NATS bus's configuration when --bus (or the
// file's bus) is nats, nil for the mesh. Each flag (or its environment
// variable) wins over the file's key. The node's name is --node, else
// the listen address (with the host name for an unspecified host).
func natsBusFrom(c *cli.Context, file fileConfig, cfg *gateway.Config, log *slog.Logger) (*natsbus.Config, error) {
	fb := file.Bus
	switch bus := pick(c, "bus", fb.Bus); bus {
	case "", "mesh":
		return nil, nil
	case "nats":
	default:
		return nil, fmt.Errorf("--bus %q: want mesh or nats", bus)
	}
	if len(cfg.Cluster.Pool) > 0 {
		return nil, errors.New("--bus nats: the nodes find each other through NATS: give no --pool")
	}
	urls := fb.NATSURL
	if c.IsSet("nats-url") {
		urls = c.StringSlice("nats-url")
	}
	var list []string
	for _, u := range urls {
		for p := range strings.SplitSeq(u, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
	}
	if len(list) == 0 {
		return nil, errors.New("--bus nats needs --nats-url (or nats_url in --config)")
	}
	nc := &natsbus.Config{
		Node:          pick(c, "node", file.Node),
		URLs:          list,
		Creds:         pick(c, "nats-creds", fb.NATSCreds),
		Token:         pick(c, "nats-token", fb.NATSToken),
		TLSCA:         pick(c, "nats-tls-ca", fb.NATSTLSCA),
		TLSCert:       pick(c, "nats-tls-cert", fb.NATSTLSCert),
		TLSKey:        pick(c, "nats-tls-key", fb.NATSTLSKey),
		SubjectPrefix: pick(c, "nats-subject-prefix", fb.NATSSubjectPrefix),
		Slot:          pickInt(c, "node-slot", fb.NodeSlot),
		Logger:        log,
	}
	if nc.SubjectPrefix == "" {
		nc.SubjectPrefix = c.String("nats-subject-prefix")
	}
	if nc.Node == "" {
		nc.Node = listenName(cfg.Addr)
	}
	if nc.Slot == 0 {
		nc.Slot = slotOf(nc.Node)
	}
	if nc.Slot < 1 || nc.Slot > wamp.MaxNodeSlot {
		return nil, fmt.Errorf("--node-slot %d: want 1 to %d", nc.Slot, wamp.MaxNodeSlot)
	}
	if err := nc.Validate(); err != nil {
		return nil, err
	}
	cfg.NodeSlot = nc.Slot
	if fb.NATSToken != "" {
		warnIfShared(c.String("config"), "the --config file holds the NATS token and", log)
	}
	return nc, nil
}

// listenName is a node's default name: its listen address, with the host
// name in place of an unspecified host (0.0.0.0, ::).
func listenName(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if h, err := os.Hostname(); err == nil {
			return net.JoinHostPort(h, port)
		}
	}
	return addr
}

// slotOf derives a session id slot from a node's name (1 to 1023). Two
// names may share one: the nodes then refuse to join each other, and
// say so.
func slotOf(node string) int {
	h := fnv.New32a()
	h.Write([]byte(node))
	return int(h.Sum32()%wamp.MaxNodeSlot) + 1
}
