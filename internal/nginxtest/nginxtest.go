// Package nginxtest runs a real nginx for tests, configured by
// internal/nginxconf exactly as `wampgate nginx-config` would, in its own
// prefix directory on a free loopback port.
//
// When nginx is not installed the tests that need it are skipped, unless
// WAMPGATE_REQUIRE_NGINX=1 is set (as .ci/run does): then they fail, so CI
// can never skip them silently.
package nginxtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/nginxconf"
)

// RequireEnv is the environment variable that turns a missing nginx from
// a skip into a failure.
const RequireEnv = "WAMPGATE_REQUIRE_NGINX"

// Connections is what the configurations started here are sized for:
// small enough that nginx's descriptor limit fits under any test machine's.
const Connections = 1024

// Timeouts of nginx's start and stop.
const (
	startTimeout = 10 * time.Second
	stopTimeout  = 10 * time.Second
)

// sbinDirs are where nginx lives when it is not on PATH (Debian installs
// it in /usr/sbin, which a non-root PATH often lacks).
var sbinDirs = []string{"/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"}

// Binary returns the path of the nginx executable. Without one it skips
// the test, or fails it when WAMPGATE_REQUIRE_NGINX=1.
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	for _, dir := range sbinDirs {
		p := filepath.Join(dir, "nginx")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("nginx not installed (%s=1): apt-get install -y nginx", RequireEnv)
	}
	t.Skip("nginx not installed: apt-get install -y nginx")
	return ""
}

// Check runs `nginx -t` on the configuration file conf (absolute, or
// relative to prefix) with prefix as nginx's prefix directory, and fails
// the test with nginx's output if nginx rejects it.
func Check(t testing.TB, prefix, conf string) {
	t.Helper()
	out, err := exec.Command(Binary(t), append(args(prefix, conf), "-t")...).CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t rejects %s: %v\n%s", conf, err, out)
	}
}

// args are the command-line arguments running conf from prefix, with the
// error log in the prefix from the start.
func args(prefix, conf string) []string {
	return []string{"-p", strings.TrimSuffix(prefix, "/") + "/", "-c", conf, "-e", "error.log"}
}

// Start renders the nginx configuration for pool into a temporary prefix
// directory, starts nginx on a free 127.0.0.1 port in front of the pool,
// waits until that port accepts connections, and returns its address.
// nginx is stopped, and waited for, when the test ends.
func Start(t testing.TB, pool ...string) string {
	t.Helper()
	return StartConfig(t, func(listen string) ([]byte, error) {
		var conf bytes.Buffer
		err := nginxconf.Render(&conf, nginxconf.Config{Listen: listen, Pool: pool, Connections: Connections})
		return conf.Bytes(), err
	})
}

// StartConfig starts nginx, as Start does, with the nginx.conf that render
// returns for the address nginx is to listen on (paths in it relative to
// the prefix directory).
func StartConfig(t testing.TB, render func(listen string) ([]byte, error)) string {
	t.Helper()
	bin := Binary(t)
	// A free port can be taken between choosing and binding it: try again.
	var err error
	for range 3 {
		var addr string
		if addr, err = start(t, bin, render); err == nil {
			return addr
		}
		if !errors.Is(err, errAddrInUse) {
			break
		}
	}
	t.Fatalf("nginx: %v", err)
	return ""
}

// errAddrInUse reports that nginx could not bind the port chosen for it.
var errAddrInUse = errors.New("address already in use")

// start makes one attempt of Start.
func start(t testing.TB, bin string, render func(string) ([]byte, error)) (string, error) {
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	conf, err := render(addr)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), conf, 0o644); err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}

	var out bytes.Buffer
	cmd := exec.Command(bin, append(args(dir, "nginx.conf"), "-g", "daemon off;")...)
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, so that stopping it can never orphan a worker.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()

	// failure describes why nginx is not serving, with its logs.
	failure := func(what string) error {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		logs := append(out.Bytes(), log...)
		err := fmt.Errorf("%s\n%s", what, logs)
		if bytes.Contains(logs, []byte("Address already in use")) {
			err = fmt.Errorf("%w: %w", errAddrInUse, err)
		}
		return err
	}
	for deadline := time.Now().Add(startTimeout); ; time.Sleep(10 * time.Millisecond) {
		select {
		case <-exited:
			return "", failure("nginx exited at start (" + cmd.ProcessState.String() + ")")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			stop(t, cmd.Process.Pid, exited)
			return "", failure("nginx did not accept on " + addr + " within " + startTimeout.String())
		}
	}
	t.Cleanup(func() { stop(t, cmd.Process.Pid, exited) })
	return addr, nil
}

// stop ends the nginx whose master is pid: SIGTERM (nginx's fast
// shutdown, which closes open WebSockets at once), then SIGKILL to its
// whole process group if it is still there after stopTimeout.
func stop(t testing.TB, pid int, exited <-chan struct{}) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		t.Errorf("nginx (pid %d) ignored SIGTERM for %v; killing its process group", pid, stopTimeout)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)), nil
}
