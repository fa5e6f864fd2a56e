package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

// requireNATSEnv turns a missing nats-server from a skip into a failure
// (.ci/run sets it).
const requireNATSEnv = "WAMPGATE_REQUIRE_NATS"

// natsServerBinary returns the nats-server executable, or skips the test
// (fails it when WAMPGATE_REQUIRE_NATS=1).
func natsServerBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv(requireNATSEnv) == "1" {
		t.Fatalf("nats-server not found and %s=1 (apt-get install nats-server)", requireNATSEnv)
	}
	t.Skip("nats-server not installed (apt-get install nats-server)")
	return ""
}

// natsProcess is a nats-server process started by a test.
type natsProcess struct {
	bin  string
	port int
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// startNATSProcess runs nats-server on 127.0.0.1:port until stop (or the
// end of the test), and waits until it accepts connections.
func startNATSProcess(t *testing.T, bin string, port int) *natsProcess {
	t.Helper()
	p := &natsProcess{bin: bin, port: port, logs: &lockedBuffer{}}
	p.cmd = exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port))
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server on %s never accepted: %v; logs:\n%s", addr, err, p.logs.String())
		}
	}
}

// stop ends the server (SIGTERM, then SIGKILL) by its PID and reaps it.
func (p *natsProcess) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// v1WelcomeRE captures a v1 WELCOME's session id.
var v1WelcomeRE = regexp.MustCompile(`^\[0,"([^"]+)",1,`)

// v1Client connects a WAMP v1 client and returns it with its session id.
func v1Client(t *testing.T, addr string) (*wstest.Client, string) {
	t.Helper()
	c, err := wstest.Connect(addr, nil)
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	w, err := c.ReadText(5 * time.Second)
	m := v1WelcomeRE.FindStringSubmatch(w)
	if err != nil || m == nil {
		t.Fatalf("WELCOME from %s: %q %v", addr, w, err)
	}
	return c, m[1]
}

// v2SubscribedRE matches a v2 JSON SUBSCRIBED to request 1.
var v2SubscribedRE = regexp.MustCompile(`^\[33,1,[0-9]+\]$`)

// v2Barrier subscribes a v2 session on addr to topic: its SUBSCRIBED
// comes once the node's NATS subscription of topic is confirmed by the
// server, which a v1 subscriber of topic on the node (no SUBSCRIBED)
// shares.
func v2Barrier(t *testing.T, addr, topic string) {
	t.Helper()
	c := helloJSON(t, addr, "realm1")
	send(t, c, `[32,1,{},"`+topic+`"]`)
	if got, err := c.ReadText(10 * time.Second); err != nil || !v2SubscribedRE.MatchString(got) {
		t.Fatalf("SUBSCRIBE on %s: %q %v", addr, got, err)
	}
}

// TestNATSClusterOfProcesses: three `wampgate run --bus nats` processes
// on a real nats-server process: v1 publishers on every node reach every
// subscriber exactly once and in order; exclude and eligible name
// sessions on other nodes; when nats-server is stopped and started
// again, each node serves its own sessions meanwhile, reconnects by
// itself and relays again.
func TestNATSClusterOfProcesses(t *testing.T) {
	bin := natsServerBinary(t)
	natsPort := freePort(t)
	ns := startNATSProcess(t, bin, natsPort)
	url := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	nodes := make([]*nodeProcess, 3)
	for i := range nodes {
		addr := freeAddr(t)
		nodes[i] = startNodeProcess(t, addr, nil, "--bus", "nats", "--nats-url", url, "--node", addr,
			"--node-slot", strconv.Itoa(i+1), "--shutdown-timeout", "2s")
	}
	waitLinks(t, 2, 15*time.Second, nodes...)

	const topic, burst = "t", 100
	subs := make([]*wstest.Client, len(nodes))
	ids := make([]string, len(nodes))
	pubs := make([]*wstest.Client, len(nodes))
	for i, n := range nodes {
		subs[i], ids[i] = v1Client(t, n.addr)
		send(t, subs[i], `[5,"t"]`)
		if _, err := subs[i].Sync(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		v2Barrier(t, n.addr, topic)
		pubs[i], _ = v1Client(t, n.addr)
	}
	for j := range burst {
		for i, p := range pubs {
			send(t, p, fmt.Sprintf(`[7,"t","%c:%d"]`, 'a'+i, j))
		}
	}
	for i, s := range subs {
		next := map[byte]int{}
		for range burst * len(pubs) {
			got, err := s.ReadText(10 * time.Second)
			var p byte
			var n int
			if err == nil {
				_, err = fmt.Sscanf(got, `[8,"t","%c:%d"]`, &p, &n)
			}
			if err != nil || next[p] != n {
				t.Fatalf("subscriber on node %d: got %q (%v), want %c:%d", i, got, err, p, next[p])
			}
			next[p]++
		}
	}

	// exclude node 1's subscriber, then only node 2's is eligible.
	send(t, pubs[0], `[7,"t","x",["`+ids[1]+`"],[]]`)
	send(t, pubs[0], `[7,"t","e",[],["`+ids[2]+`"]]`)
	expectEvent(t, subs[0], topic, `"x"`)
	expectEvent(t, subs[2], topic, `"x"`)
	expectEvent(t, subs[2], topic, `"e"`)
	for _, s := range subs {
		if frames, err := s.Sync(5 * time.Second); err != nil || len(frames) > 0 {
			t.Fatalf("after exclude/eligible: %v %v", frames, err)
		}
	}

	// nats-server goes away: the nodes see their peers go, and go on
	// serving their own sessions.
	ns.stop()
	waitLinks(t, 0, 15*time.Second, nodes...)
	send(t, pubs[1], `[7,"t","local"]`)
	expectEvent(t, subs[1], topic, `"local"`)

	// It comes back on the same port: the nodes reconnect by themselves.
	start := time.Now()
	startNATSProcess(t, bin, natsPort)
	waitLinks(t, 2, 15*time.Second, nodes...)
	t.Logf("nats-server restart to every pair session up again: %v", time.Since(start))
	send(t, pubs[0], `[7,"t","back"]`)
	for i, s := range subs {
		got, err := s.ReadText(10 * time.Second)
		if got == `[8,"t","local"]` && i != 1 { // sent from node 1's reconnect buffer
			got, err = s.ReadText(10 * time.Second)
		}
		if want := `[8,"t","back"]`; err != nil || got != want {
			t.Fatalf("subscriber on node %d after the restart: got %q (%v), want %q", i, got, err, want)
		}
	}
}
