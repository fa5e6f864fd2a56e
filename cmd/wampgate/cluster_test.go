package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/broadcast"
)

// clusterFrom parses `wampgate run args...` and returns the cluster
// configuration of a node listening on listen, with the warnings logged.
func clusterFrom(t *testing.T, listen string, args ...string) (broadcast.Config, string, error) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	c := parseRun(t, args...)
	file, err := loadConfigFile(c.String("config"), log)
	if err != nil {
		return broadcast.Config{}, logs.String(), err
	}
	cfg, err := clusterConfig(c, file, listen, log)
	if err == nil && cfg.Logger != log {
		t.Errorf("the cluster logger is not the node's")
	}
	return cfg, logs.String(), err
}

// writeFile writes content to name in a temporary directory with mode
// perm and returns its path.
func writeFile(t *testing.T, name, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return path
}

// sameCluster compares the fields the CLI sets.
func sameCluster(t *testing.T, got broadcast.Config, node string, pool []string, secret string, queue, queueBytes int) {
	t.Helper()
	if got.Node != node || !slices.Equal(got.Pool, pool) || got.Secret != secret || got.QueueLimit != queue || got.QueueBytes != queueBytes {
		t.Fatalf("cluster config: node %q pool %q secret %q queue %d/%d B\nwant node %q pool %q secret %q queue %d/%d B",
			got.Node, got.Pool, got.Secret, got.QueueLimit, got.QueueBytes, node, pool, secret, queue, queueBytes)
	}
}

func TestClusterFlagsHaveEnvironmentVariables(t *testing.T) {
	for _, f := range append(clusterFlags(), nginxCommand().Flags...) {
		name := f.Names()[0]
		want := "WAMPGATE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if slices.Contains([]string{"listen", "connections", "prefix"}, name) {
			want = "WAMPGATE_NGINX_" + strings.ToUpper(name)
		}
		env := f.(interface{ GetEnvVars() []string }).GetEnvVars()
		if len(env) != 1 || env[0] != want {
			t.Errorf("--%s: env %v, want %s", name, env, want)
		}
	}
}

func TestNoPoolIsASingleNode(t *testing.T) {
	cfg, logs, err := clusterFrom(t, "127.0.0.1:8095")
	if err != nil {
		t.Fatal(err)
	}
	sameCluster(t, cfg, "127.0.0.1:8095", nil, "", broadcast.DefaultQueueLimit, broadcast.DefaultQueueBytes)
	if cfg.Clustered() || logs != "" {
		t.Fatalf("clustered %v, logs %q", cfg.Clustered(), logs)
	}
}

// A pool naming only this node needs no secret.
func TestPoolOfOneIsASingleNode(t *testing.T) {
	cfg, _, err := clusterFrom(t, "127.0.0.1:8095", "--pool", "127.0.0.1:8095")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Clustered() {
		t.Fatalf("a pool of one is clustered: %+v", cfg)
	}
}

func TestPoolFromFlags(t *testing.T) {
	cfg, _, err := clusterFrom(t, "127.0.0.1:8095",
		"--pool", "127.0.0.1:8095, 127.0.0.1:8097,,127.0.0.1:8099", "--node", "127.0.0.1:8097",
		"--cluster-secret", "s3cret", "--peer-queue", "100", "--peer-queue-bytes", "4096")
	if err != nil {
		t.Fatal(err)
	}
	sameCluster(t, cfg, "127.0.0.1:8097", []string{"127.0.0.1:8095", "127.0.0.1:8097", "127.0.0.1:8099"}, "s3cret", 100, 4096)
	if got := cfg.Peers(); !slices.Equal(got, []string{"127.0.0.1:8095", "127.0.0.1:8099"}) {
		t.Fatalf("peers %q", got)
	}
}

func TestPoolFromEnvironment(t *testing.T) {
	t.Setenv("WAMPGATE_POOL", "127.0.0.1:8095,127.0.0.1:8097")
	t.Setenv("WAMPGATE_CLUSTER_SECRET", "from-env")
	t.Setenv("WAMPGATE_PEER_QUEUE", "7")
	t.Setenv("WAMPGATE_PEER_QUEUE_BYTES", "70")
	// --node defaults to the listen address.
	cfg, _, err := clusterFrom(t, "127.0.0.1:8097")
	if err != nil {
		t.Fatal(err)
	}
	sameCluster(t, cfg, "127.0.0.1:8097", []string{"127.0.0.1:8095", "127.0.0.1:8097"}, "from-env", 7, 70)
}

// A node listening on every interface finds itself in the pool by its
// port and this machine's addresses.
func TestNodeFoundByPortWhenListeningEverywhere(t *testing.T) {
	pool := "192.0.2.1:8095,127.0.0.1:8095,127.0.0.1:8097"
	cfg, _, err := clusterFrom(t, "0.0.0.0:8095", "--pool", pool, "--cluster-secret", "s")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Node != "127.0.0.1:8095" {
		t.Fatalf("node %q, want 127.0.0.1:8095", cfg.Node)
	}
}

func TestPoolFromConfigFile(t *testing.T) {
	path := writeFile(t, "wampgate.yaml", `# like ratchet_bundle.yaml's wampserver_pool
pool:
  - 127.0.0.1:8095
  - 127.0.0.1:8097
  - 127.0.0.1:8099
node: 127.0.0.1:8099
cluster_secret: from-file
peer_queue: 5000
peer_queue_bytes: 1048576
`, 0o600)
	cfg, logs, err := clusterFrom(t, "127.0.0.1:8095", "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	sameCluster(t, cfg, "127.0.0.1:8099", []string{"127.0.0.1:8095", "127.0.0.1:8097", "127.0.0.1:8099"}, "from-file", 5000, 1<<20)
	if logs != "" {
		t.Errorf("a 0600 config file drew warnings: %s", logs)
	}

	// Flags and environment variables win over the file.
	t.Setenv("WAMPGATE_CLUSTER_SECRET", "from-env")
	cfg, _, err = clusterFrom(t, "127.0.0.1:8095", "--config", path,
		"--pool", "127.0.0.1:8095,127.0.0.1:8097", "--node", "127.0.0.1:8097", "--peer-queue", "9", "--peer-queue-bytes", "90")
	if err != nil {
		t.Fatal(err)
	}
	sameCluster(t, cfg, "127.0.0.1:8097", []string{"127.0.0.1:8095", "127.0.0.1:8097"}, "from-env", 9, 90)
}

func TestConfigFileWithSecretReadableByOthersDrawsAWarning(t *testing.T) {
	path := writeFile(t, "wampgate.yaml", "pool: [127.0.0.1:8095, 127.0.0.1:8097]\ncluster_secret: s\n", 0o644)
	_, logs, err := clusterFrom(t, "127.0.0.1:8095", "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "path="+path) || !strings.Contains(logs, "mode=-rw-r--r--") {
		t.Fatalf("logs: %q", logs)
	}
}

func TestSecretFromFile(t *testing.T) {
	secret := writeFile(t, "secret", "s3cret\n", 0o600)
	cfg, logs, err := clusterFrom(t, "127.0.0.1:8095",
		"--pool", "127.0.0.1:8095,127.0.0.1:8097", "--cluster-secret-file", secret)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Secret != "s3cret" || logs != "" {
		t.Fatalf("secret %q, logs %q", cfg.Secret, logs)
	}

	shared := writeFile(t, "secret", "s3cret\r\n", 0o640)
	cfg, logs, err = clusterFrom(t, "127.0.0.1:8095",
		"--pool", "127.0.0.1:8095,127.0.0.1:8097", "--cluster-secret-file", shared)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`level=WARN msg="the cluster secret file can be read by other users; chmod 600 it" path=%s mode=-rw-r-----`, shared)
	if cfg.Secret != "s3cret" || !strings.Contains(logs, want) {
		t.Fatalf("secret %q, logs %q", cfg.Secret, logs)
	}
}

func TestClusterConfigErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pair := "127.0.0.1:8095,127.0.0.1:8097"
	unknown := file("unknown.yaml", "pool:\n  - 127.0.0.1:8095\nwampserver_pool: []\n")
	twice := file("twice.yaml", "node: 127.0.0.1:8095\nnode: 127.0.0.1:8097\n")
	scalar := file("scalar.yaml", "pool: 127.0.0.1:8095\n")
	list := file("list.yaml", "- 127.0.0.1:8095\n")
	empty := file("empty", "\n")
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"node not in pool", []string{"--pool", pair, "--node", "127.0.0.1:8099", "--cluster-secret", "s"},
			"this node, 127.0.0.1:8099, is not in the pool 127.0.0.1:8095,127.0.0.1:8097: give --node as the pool lists this node"},
		{"listen address not in pool", []string{"--pool", "127.0.0.1:8097,127.0.0.1:8099", "--cluster-secret", "s"},
			"this node, 127.0.0.1:8095, is not in the pool 127.0.0.1:8097,127.0.0.1:8099: give --node as the pool lists this node"},
		{"no secret", []string{"--pool", pair},
			"the pool has other nodes, so a cluster secret is required: --cluster-secret-file, --cluster-secret, WAMPGATE_CLUSTER_SECRET or cluster_secret in --config"},
		{"two secrets", []string{"--pool", pair, "--cluster-secret", "s", "--cluster-secret-file", empty},
			"both --cluster-secret and --cluster-secret-file are set (on the command line or as WAMPGATE_CLUSTER_SECRET and WAMPGATE_CLUSTER_SECRET_FILE): give one"},
		{"empty secret file", []string{"--pool", pair, "--cluster-secret-file", empty},
			"--cluster-secret-file " + empty + " is empty"},
		{"missing secret file", []string{"--pool", pair, "--cluster-secret-file", missing},
			"--cluster-secret-file: open " + missing + ": no such file or directory"},
		{"address without port", []string{"--pool", "127.0.0.1:8095,127.0.0.1", "--cluster-secret", "s"},
			`--pool: address "127.0.0.1": want host:port`},
		{"port name", []string{"--pool", "127.0.0.1:8095,127.0.0.1:http", "--cluster-secret", "s"},
			`--pool: address "127.0.0.1:http": port must be a number from 1 to 65535`},
		{"no host", []string{"--pool", "127.0.0.1:8095,:8097", "--cluster-secret", "s"},
			`--pool: address ":8097": the host is missing`},
		{"bad node", []string{"--pool", pair, "--node", "8095", "--cluster-secret", "s"},
			`--node: address "8095": want host:port`},
		{"negative peer queue", []string{"--peer-queue", "-1"},
			"peer queue limits must not be negative (publications -1, bytes 67108864)"},
		{"negative peer queue bytes", []string{"--pool", pair, "--cluster-secret", "s", "--peer-queue-bytes", "-5"},
			"peer queue limits must not be negative (publications 65536, bytes -5)"},
		{"unknown key", []string{"--config", unknown},
			"--config " + unknown + ` line 3: unknown key "wampserver_pool" (known keys: ` + strings.Join(configKeys, ", ") + ")"},
		{"key twice", []string{"--config", twice},
			"--config " + twice + ` line 2: key "node" given twice`},
		{"pool not a list", []string{"--config", scalar},
			"--config " + scalar + " line 1: pool: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `127.0.0...` into []string"},
		{"not a mapping", []string{"--config", list},
			"--config " + list + ": want a mapping with the keys " + strings.Join(configKeys, ", ")},
		{"missing config", []string{"--config", missing},
			"--config: open " + missing + ": no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := clusterFrom(t, "127.0.0.1:8095", tc.args...)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v\nwant %s", err, tc.want)
			}
		})
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitHealthz polls a node's /healthz until ok accepts its cluster status
// (nil on a single node) and returns that status.
func waitHealthz(t *testing.T, port int, ok func(*broadcast.Status) bool) *broadcast.Status {
	t.Helper()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			last = err
			continue
		}
		var health struct {
			Cluster *broadcast.Status `json:"cluster"`
		}
		err = json.NewDecoder(resp.Body).Decode(&health)
		_ = resp.Body.Close()
		if err != nil {
			last = fmt.Errorf("healthz body: %w", err)
			continue
		}
		if ok(health.Cluster) {
			return health.Cluster
		}
		last = fmt.Errorf("cluster status %+v", health.Cluster)
	}
	t.Fatalf("node on port %d: not there within 10s: %v", port, last)
	return nil
}

// Two nodes started through the CLI with a pool and a secret file link up.
func TestRunJoinsTheCluster(t *testing.T) {
	ports := []int{freePort(t), freePort(t)}
	pool := fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d", ports[0], ports[1])
	secret := writeFile(t, "secret", "s3cret\n", 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, len(ports))
	defer func() {
		cancel()
		for range ports {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run returned %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("a node did not shut down")
			}
		}
	}()
	// One at a time: urfave/cli's shared help flag makes parsing in two
	// apps at once a data race. A node that serves /healthz has parsed.
	for _, port := range ports {
		app := newApp()
		app.ErrWriter = &bytes.Buffer{}
		go func() {
			done <- app.RunContext(ctx, []string{"wampgate", "run", "--port", strconv.Itoa(port),
				"--pool", pool, "--cluster-secret-file", secret, "--shutdown-timeout", "2s"})
		}()
		waitHealthz(t, port, func(*broadcast.Status) bool { return true })
	}
	for _, port := range ports {
		st := waitHealthz(t, port, func(s *broadcast.Status) bool { return s != nil && s.LinksUp == 1 })
		if want := "127.0.0.1:" + strconv.Itoa(port); st.Node != want || st.Peers != 1 {
			t.Fatalf("node on port %d: cluster status %+v", port, st)
		}
	}
}
