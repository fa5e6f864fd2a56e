package main

import (
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/broadcast/natsbus"
	"github.com/wampgate/wampgate/gateway"
)

// natsFrom parses `wampgate run args...` and returns the NATS bus's
// configuration of a node listening on listen (nil: the mesh).
func natsFrom(t *testing.T, listen string, args ...string) (*natsbus.Config, gateway.Config, error) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := parseRun(t, args...)
	file, err := loadConfigFile(c.String("config"), log)
	if err != nil {
		return nil, gateway.Config{}, err
	}
	cfg := gateway.Config{Addr: listen}
	if cfg.Cluster, err = clusterConfig(c, file, listen, log); err != nil {
		return nil, cfg, err
	}
	nc, err := natsBusFrom(c, file, &cfg, log)
	return nc, cfg, err
}

func TestBusFlagsHaveEnvironmentVariables(t *testing.T) {
	for _, f := range busFlags() {
		name := f.Names()[0]
		want := "WAMPGATE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if env := f.(interface{ GetEnvVars() []string }).GetEnvVars(); len(env) != 1 || env[0] != want {
			t.Errorf("--%s: env %v, want %s", name, env, want)
		}
	}
}

// TestBusNATSFromFlagsEnvAndFile: --bus nats takes its settings from the
// flags, their environment variables and the --config file (flags
// first); the node's name defaults to the listen address and its slot to
// one derived from the name; the mesh stays the default.
func TestBusNATSFromFlagsEnvAndFile(t *testing.T) {
	if nc, _, err := natsFrom(t, "127.0.0.1:8095"); nc != nil || err != nil {
		t.Fatalf("default: %+v %v, want the mesh", nc, err)
	}
	nc, cfg, err := natsFrom(t, "127.0.0.1:8095", "--bus", "nats", "--nats-url", "nats://127.0.0.1:4222,nats://127.0.0.2:4222", "--nats-url", "nats://127.0.0.3:4222")
	if err != nil {
		t.Fatal(err)
	}
	if nc.Node != "127.0.0.1:8095" || len(nc.URLs) != 3 || nc.SubjectPrefix != "wampgate" || nc.Slot != slotOf("127.0.0.1:8095") || cfg.NodeSlot != nc.Slot {
		t.Fatalf("flags: %+v (node slot %d)", nc, cfg.NodeSlot)
	}
	file := writeFile(t, "c.yaml", "bus: nats\nnats_url: [nats://127.0.0.1:4222]\nnats_creds: /etc/n.creds\nnats_subject_prefix: x\nnode_slot: 9\nnode: a:1\n", 0o600)
	nc, _, err = natsFrom(t, "127.0.0.1:8095", "--config", file, "--node-slot", "10")
	if err != nil || nc.Creds != "/etc/n.creds" || nc.SubjectPrefix != "x" || nc.Slot != 10 || nc.Node != "a:1" {
		t.Fatalf("file: %+v %v", nc, err)
	}
	t.Setenv("WAMPGATE_BUS", "nats")
	t.Setenv("WAMPGATE_NATS_URL", "nats://127.0.0.1:4222")
	t.Setenv("WAMPGATE_NATS_TOKEN", "tok")
	t.Setenv("WAMPGATE_NODE_SLOT", "7")
	nc, cfg, err = natsFrom(t, "127.0.0.1:8095", "--nats-subject-prefix", "app.one")
	if err != nil || nc.Token != "tok" || nc.Slot != 7 || cfg.NodeSlot != 7 || nc.SubjectPrefix != "app.one" {
		t.Fatalf("env: %+v %v", nc, err)
	}
}

func TestBusNATSErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bus", "redis"}, "want mesh or nats"},
		{[]string{"--bus", "nats"}, "needs --nats-url"},
		{[]string{"--bus", "nats", "--nats-url", "nats://127.0.0.1:4222", "--pool", "127.0.0.1:1,127.0.0.1:2", "--node", "127.0.0.1:1", "--cluster-secret", "s"}, "give no --pool"},
		{[]string{"--bus", "nats", "--nats-url", "nats://127.0.0.1:4222", "--node-slot", "1024"}, "want 1 to 1023"},
		{[]string{"--bus", "nats", "--nats-url", "nats://127.0.0.1:4222", "--nats-subject-prefix", "a.>"}, "subject prefix"},
		{[]string{"--bus", "nats", "--nats-url", "nats://127.0.0.1:4222", "--nats-token", "t", "--nats-creds", "c"}, "give one"},
	} {
		_, _, err := natsFrom(t, "127.0.0.1:8095", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

// TestNATSServerIsNotLinked: the nats-server module is a test-only
// dependency (the package tests embed it); the wampgate binary links the
// client alone. No test of this package imports the server, so this
// test binary's modules are the command's.
func TestNATSServerIsNotLinked(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build information")
	}
	client := false
	for _, m := range bi.Deps {
		if m.Path == "github.com/nats-io/nats-server/v2" {
			t.Fatalf("the binary links %s %s", m.Path, m.Version)
		}
		client = client || m.Path == "github.com/nats-io/nats.go"
	}
	if !client {
		t.Fatal("the binary does not link nats.go: the build information is not the command's")
	}
}
