//go:build linux

package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/wampgate/wampgate/bench/naive"
)

// The test binary doubles as the worker executable: started with
// WAMPBENCH_TEST_WORKER=1 it runs WorkerMain instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("WAMPBENCH_TEST_WORKER") == "1" {
		if err := WorkerMain(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer collects log output from concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testCommon returns options that run workers as this test binary against
// a fresh naive baseline server (bench/naive) inside the test process.
func testCommon(t *testing.T) (Common, *naive.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := naive.New()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	log := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(log.String())
		}
	})
	return Common{
		URL:            "ws://" + ln.Addr().String() + "/",
		ServerPID:      os.Getpid(), // the server runs inside the test process
		PerWorker:      30,          // force several workers even at small N
		ConnectTimeout: 10 * time.Second,
		WorkerCommand:  []string{os.Args[0], "-test.run=^$"},
		WorkerEnv:      []string{"WAMPBENCH_TEST_WORKER=1"},
		Log:            log,
	}, srv
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestIdleSmoke(t *testing.T) {
	common, _ := testCommon(t)
	res, err := RunIdle(testContext(t), IdleOptions{Common: common, Conns: 50, Hold: 300 * time.Millisecond, Settle: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Established != 50 || res.Failed != 0 || res.Workers != 2 {
		t.Fatalf("established %d failed %d (%v) workers %d", res.Established, res.Failed, res.Failures, res.Workers)
	}
	if res.Verified != 50 {
		t.Fatalf("verified %d", res.Verified)
	}
	if res.Server.RSSAfterKiB <= 0 || res.HandshakeLatency.Count != 51 || res.HandshakesPerSec <= 0 {
		t.Fatalf("result %+v", res)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	if !bytes.Contains(out.Bytes(), []byte("RSS per session")) {
		t.Fatalf("text:\n%s", out.String())
	}
}

func TestFanoutSmoke(t *testing.T) {
	common, _ := testCommon(t)
	res, err := RunFanout(testContext(t), FanoutOptions{Common: common, Subs: 50, Pubs: 2, Size: 128, Duration: time.Second, Drain: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribers != 50 || res.Publishers != 2 || res.Workers != 3 {
		t.Fatalf("subscribers %d publishers %d workers %d", res.Subscribers, res.Publishers, res.Workers)
	}
	if res.Published == 0 || res.Lost != 0 || res.Extra != 0 || res.Received != res.Published*50 {
		t.Fatalf("published %d expected %d received %d lost %d extra %d", res.Published, res.Expected, res.Received, res.Lost, res.Extra)
	}
	if res.Latency.Count != res.Received || res.Latency.P99Ms <= 0 || res.Foreign != 0 {
		t.Fatalf("latency %+v foreign %d", res.Latency, res.Foreign)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	t.Logf("\n%s", out.String())
}

func TestFanoutFixedRate(t *testing.T) {
	common, _ := testCommon(t)
	res, err := RunFanout(testContext(t), FanoutOptions{Common: common, Subs: 20, Rate: 100, Duration: time.Second, Drain: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Published < 90 || res.Published > 101 || res.Lost != 0 {
		t.Fatalf("published %d lost %d", res.Published, res.Lost)
	}
}

func TestHandshakesSmoke(t *testing.T) {
	common, _ := testCommon(t)
	common.Concurrency = 4
	res, err := RunHandshakes(testContext(t), HandshakeOptions{Common: common, Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Handshakes == 0 || res.Failed != 0 {
		t.Fatalf("handshakes %d failed %d %v", res.Handshakes, res.Failed, res.Failures)
	}
}

func TestFailuresAreCounted(t *testing.T) {
	common, srv := testCommon(t)
	_ = srv.Close() // nothing listens any more
	common.ServerPID = 0
	res, err := RunIdle(testContext(t), IdleOptions{Common: common, Conns: 5, Hold: 10 * time.Millisecond})
	if err == nil {
		t.Fatal("no error without a server")
	}
	// Five subscribers and the verification publisher.
	if res == nil || res.Failed != 6 || res.Failures["connect: ECONNREFUSED"] != 6 {
		t.Fatalf("result %+v", res)
	}
}
