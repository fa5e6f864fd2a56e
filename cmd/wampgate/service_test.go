package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// requireSystemdEnv turns a missing systemd-analyze from a skip into a
// failure (.ci/run sets it).
const requireSystemdEnv = "WAMPGATE_REQUIRE_SYSTEMD"

// TestServiceUnitVerifies runs `systemd-analyze verify` on
// deploy/wampgate.service, with ExecStart pointed at an executable that
// exists here (verify requires one), and checks the directives the unit
// must keep.
func TestServiceUnitVerifies(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/wampgate.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nLimitNOFILE=", "\nRestart=on-failure\n", "\nNoNewPrivileges=yes\n", "\nProtectSystem=strict\n",
		"\nEnvironmentFile=/etc/wampgate/wampgate.env\n", "\nUser=wampgate\n", "\nExecStart=/usr/local/bin/wampgate run\n",
		"\nExecReload=/bin/kill -HUP $MAINPID\n",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv(requireSystemdEnv) == "1" {
			t.Fatalf("systemd-analyze not installed (%s=1): apt-get install -y systemd", requireSystemdEnv)
		}
		t.Skip("systemd-analyze not installed: apt-get install -y systemd")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wampgate.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/wampgate", exe)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestServiceEnvFileNamesRealFlags: every WAMPGATE_* variable the sample
// environment file sets (or shows commented out) is a `wampgate run` flag's.
func TestServiceEnvFileNamesRealFlags(t *testing.T) {
	var known []string
	for _, f := range runCommand().Flags {
		if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
			known = append(known, ev.GetEnvVars()...)
		}
	}
	file, err := os.Open("../../deploy/wampgate.env")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	seen := 0
	for sc := bufio.NewScanner(file); sc.Scan(); {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "#")
		name, _, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "WAMPGATE_") || strings.Contains(name, " ") {
			continue
		}
		seen++
		if !slices.Contains(known, name) {
			t.Errorf("deploy/wampgate.env sets %s, which no flag of wampgate run reads", name)
		}
	}
	if seen < 5 {
		t.Errorf("only %d variables in deploy/wampgate.env", seen)
	}
}
