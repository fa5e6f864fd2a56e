//go:build linux

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/wampgate/wampgate/bench/internal/wire"
	"github.com/wampgate/wampgate/bench/procstat"
)

// Common holds the options every mode shares. Zero values take the
// defaults noted.
type Common struct {
	URL       string // ws://127.0.0.1:8095/ (loopback only)
	ServerPID int    // server process for RSS and CPU; 0: the process listening on the URL's port
	Label     string // free text copied into the result (e.g. the poller)

	// Protocol is the WebSocket subprotocol the sessions speak: "wamp"
	// (WAMP v1, the default), "wamp.2.json", "wamp.2.msgpack" or
	// "wamp.2.cbor". PubProtocol is the publishers' (default: Protocol).
	// v2 sessions join Realm (default "realm1").
	Protocol    string
	PubProtocol string
	Realm       string

	PerWorker        int           // connections per worker process; default 9000
	Concurrency      int           // handshakes in flight per worker; default 256
	HandshakeTimeout time.Duration // per connection; default 10 s
	ConnectTimeout   time.Duration // whole connect phase; default 60 s
	SourceBase       string        // first source address; default 127.0.0.2

	// WorkerCommand starts a worker: argv, default this executable with
	// the argument "worker". WorkerEnv is added to its environment.
	WorkerCommand []string
	WorkerEnv     []string
	// Log receives progress lines and worker diagnostics; default stderr.
	Log io.Writer
}

func (c *Common) defaults() error {
	if c.PerWorker <= 0 {
		c.PerWorker = 9000
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 256
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 60 * time.Second
	}
	if c.SourceBase == "" {
		c.SourceBase = "127.0.0.2"
	}
	if c.Log == nil {
		c.Log = os.Stderr
	}
	proto, err := wire.ParseProtocol(c.Protocol)
	if err != nil {
		return err
	}
	c.Protocol = proto.String()
	if c.PubProtocol == "" {
		c.PubProtocol = c.Protocol
	}
	if _, err := wire.ParseProtocol(c.PubProtocol); err != nil {
		return fmt.Errorf("publishers: %w", err)
	}
	if c.Realm == "" {
		c.Realm = "realm1"
	}
	if len(c.WorkerCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding own executable for workers: %w", err)
		}
		c.WorkerCommand = []string{exe, "worker"}
	}
	return nil
}

func (c *Common) logf(format string, args ...any) {
	fmt.Fprintf(c.Log, format+"\n", args...)
}

// setupFor builds worker i's setup request.
func (c *Common) setupFor(t target, i int, srcIPs []string, topic string, subs, pubs int, lifetime time.Duration) request {
	return request{Op: opSetup, Setup: &workerSetup{
		Index:            i,
		Host:             t.Host,
		Path:             t.Path,
		IP:               t.IP,
		Port:             t.Port,
		SrcIPs:           srcIPs,
		Topic:            topic,
		Subscribers:      subs,
		Publishers:       pubs,
		Concurrency:      c.Concurrency,
		HandshakeTimeout: c.HandshakeTimeout,
		ConnectTimeout:   c.ConnectTimeout,
		Lifetime:         lifetime,
		Protocol:         c.Protocol,
		PubProtocol:      c.PubProtocol,
		Realm:            c.Realm,
	}}
}

// server observes the process under test; without a PID it observes
// nothing and every reading is zero.
type server struct {
	pid int
	log func(string, ...any)
}

// findServer resolves the server's PID: the one given, or the process
// listening on the target port.
func findServer(c *Common, t target) server {
	s := server{pid: c.ServerPID, log: c.logf}
	if s.pid == 0 {
		pid, err := procstat.FindListener(t.Port)
		if err != nil || pid == 0 {
			c.logf("server process not found (port %d); server RSS and CPU will not be reported (use --server-pid)", t.Port)
			return s
		}
		c.logf("server process: pid %d (listening on port %d)", pid, t.Port)
		s.pid = pid
	}
	if c.ServerPID != 0 {
		if pid, err := procstat.FindListener(t.Port); err == nil && pid != 0 && pid != c.ServerPID {
			c.logf("warning: port %d is held by pid %d, not by the given server pid %d", t.Port, pid, c.ServerPID)
		}
	}
	if _, err := procstat.Read(s.pid); err != nil {
		c.logf("server pid %d unreadable (%v); server figures will not be reported", s.pid, err)
		s.pid = 0
	}
	return s
}

// sample reads the server's RSS and CPU time (zero without a PID).
func (s server) sample() procstat.Sample {
	if s.pid == 0 {
		return procstat.Sample{}
	}
	v, err := procstat.Read(s.pid)
	if err != nil {
		s.log("reading server pid %d: %v", s.pid, err)
	}
	return v
}

func cpuBetween(a, b procstat.Sample) float64 {
	return procstat.TicksToSeconds(b.CPUTicks - a.CPUTicks)
}

// setCPU records the server CPU time between two samples, in total and
// split into user mode and kernel time.
func (f *ServerFigures) setCPU(a, b procstat.Sample) {
	f.CPUSeconds = cpuBetween(a, b)
	f.UserCPUSeconds = procstat.TicksToSeconds(b.UserTicks - a.UserTicks)
	f.SystemCPUSeconds = procstat.TicksToSeconds(b.SystemTicks - a.SystemTicks)
}

// healthz fetches GET /healthz from the server, best effort: the raw JSON
// body, or nil.
func healthz(t target) json.RawMessage {
	client := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{
			DialContext:       (&net.Dialer{Timeout: time.Second}).DialContext,
			DisableKeepAlives: true,
		},
	}
	ip := net.IP(t.IP[:]).String()
	resp, err := client.Get("http://" + net.JoinHostPort(ip, strconv.Itoa(t.Port)) + "/healthz")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK || !json.Valid(body) {
		return nil
	}
	return json.RawMessage(body)
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitFor polls cond every `every` until it holds, ctx ends, or timeout.
func waitFor(ctx context.Context, timeout, every time.Duration, cond func() bool) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		if err := sleepCtx(ctx, every); err != nil {
			return false, err
		}
	}
}

// mergeCounts adds b's counts to a.
func mergeCounts(a, b map[string]int) map[string]int {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[string]int{}
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

var errNoSessions = errors.New("no session could be established")
