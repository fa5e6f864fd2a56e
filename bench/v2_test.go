//go:build linux

package bench

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/wampgate/wampgate/gateway"
)

// nodeCommon returns options that run workers as this test binary against
// a wampgate node started inside the test process, which speaks WAMP v1
// and v2.
func nodeCommon(t *testing.T) Common {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("node shutdown: %v", err)
		}
	})
	common, _ := testCommon(t)
	common.URL = "ws://" + n.Addr() + "/"
	common.ServerPID = os.Getpid()
	return common
}

// TestFanoutV2 publishes through a wampgate node in every serializer, and
// across serializers and versions: every event arrives exactly once, is
// parsed (no foreign message: SUBSCRIBED is expected) and timed.
func TestFanoutV2(t *testing.T) {
	for _, tc := range []struct{ subs, pubs string }{
		{"wamp.2.json", ""},
		{"wamp.2.msgpack", ""},
		{"wamp.2.cbor", ""},
		{"wamp.2.msgpack", "wamp.2.json"},
		{"wamp.2.json", "wamp"},
		{"wamp", "wamp.2.cbor"},
	} {
		t.Run(tc.subs+"<-"+tc.pubs, func(t *testing.T) {
			common := nodeCommon(t)
			common.Protocol, common.PubProtocol = tc.subs, tc.pubs
			res, err := RunFanout(testContext(t), FanoutOptions{Common: common, Subs: 40, Pubs: 2, Size: 128,
				Duration: 500 * time.Millisecond, Window: 8, Drain: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.pubs
			if want == "" {
				want = tc.subs
			}
			if res.Protocol != tc.subs || res.PubProtocol != want {
				t.Fatalf("protocols %q %q", res.Protocol, res.PubProtocol)
			}
			if res.Subscribers != 40 || res.Publishers != 2 || res.Failed != 0 {
				t.Fatalf("subscribers %d publishers %d failed %d %v", res.Subscribers, res.Publishers, res.Failed, res.Failures)
			}
			if res.Published == 0 || res.Lost != 0 || res.Extra != 0 || res.Received != res.Published*40 {
				t.Fatalf("published %d received %d lost %d extra %d", res.Published, res.Received, res.Lost, res.Extra)
			}
			if res.Latency.Count != res.Received || res.Foreign != 0 || res.Disconnected != 0 {
				t.Fatalf("latency samples %d foreign %d disconnected %d", res.Latency.Count, res.Foreign, res.Disconnected)
			}
			if res.Net == nil || res.Net.FramesOut < res.Received {
				t.Fatalf("node counters %+v", res.Net)
			}
		})
	}
}

// TestTrackedRepeatsV2: the sequence check works on v2 events too (every
// subscriber tracks the publishers; nothing repeats).
func TestTrackedRepeatsV2(t *testing.T) {
	common := nodeCommon(t)
	common.Protocol = "wamp.2.msgpack"
	res, err := RunCluster(testContext(t), ClusterOptions{FanoutOptions: FanoutOptions{Common: common, Subs: 20, Pubs: 2,
		Duration: 300 * time.Millisecond, Window: 4, Drain: time.Second}, URLs: []string{common.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Deliveries; d.Lost != 0 || d.Repeats != 0 || d.Received == 0 || d.Received != d.Expected {
		t.Fatalf("deliveries %+v", d)
	}
}

func TestIdleV2(t *testing.T) {
	common := nodeCommon(t)
	common.Protocol = "wamp.2.cbor"
	res, err := RunIdle(testContext(t), IdleOptions{Common: common, Conns: 45, Hold: 200 * time.Millisecond, Settle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Established != 45 || res.Failed != 0 || res.Verified != 45 || res.Protocol != "wamp.2.cbor" {
		t.Fatalf("established %d failed %d verified %d (%v)", res.Established, res.Failed, res.Verified, res.Failures)
	}
}

func TestHandshakesV2(t *testing.T) {
	common := nodeCommon(t)
	common.Protocol, common.Concurrency = "wamp.2.json", 4
	res, err := RunHandshakes(testContext(t), HandshakeOptions{Common: common, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Handshakes == 0 || res.Failed != 0 {
		t.Fatalf("handshakes %d failed %d %v", res.Handshakes, res.Failed, res.Failures)
	}
}

// TestRPC calls an echo procedure registered by two callees (shared,
// roundrobin) from three callers, four calls in flight each: every call
// is answered by a RESULT carrying its own stamp, and every invocation
// reached a callee.
func TestRPC(t *testing.T) {
	for _, proto := range []string{"wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor"} {
		t.Run(proto, func(t *testing.T) {
			common := nodeCommon(t)
			common.Protocol = proto
			res, err := RunRPC(testContext(t), RPCOptions{Common: common, Callees: 2, Callers: 3, Concurrency: 4,
				Size: 200, Duration: 400 * time.Millisecond, Warmup: 100 * time.Millisecond, Drain: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Callees != 2 || res.Callers != 3 || res.Failed != 0 || res.Invoke != "roundrobin" {
				t.Fatalf("callees %d callers %d failed %d %v", res.Callees, res.Callers, res.Failed, res.Failures)
			}
			if res.Calls == 0 || res.Errors != 0 || res.Unanswered != 0 || res.Invocations != res.Calls || res.Foreign != 0 {
				t.Fatalf("calls %d errors %d %v unanswered %d invocations %d foreign %d",
					res.Calls, res.Errors, res.ErrorURIs, res.Unanswered, res.Invocations, res.Foreign)
			}
			if res.Latency.Count != res.Calls || res.CallsPerSec <= 0 || res.ServerCPUMicrosPerCall <= 0 {
				t.Fatalf("latency %+v calls/s %v µs/call %v", res.Latency, res.CallsPerSec, res.ServerCPUMicrosPerCall)
			}
			var out bytes.Buffer
			res.WriteText(&out)
			if !bytes.Contains(out.Bytes(), []byte("invoke roundrobin")) {
				t.Fatalf("text:\n%s", out.String())
			}
		})
	}
}

func TestRPCNeedsV2(t *testing.T) {
	if _, err := RunRPC(testContext(t), RPCOptions{Common: Common{Protocol: "wamp"}}); err == nil {
		t.Fatal("rpc over WAMP v1 accepted")
	}
}
