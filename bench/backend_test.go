//go:build linux

package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBackendRate(t *testing.T) {
	for _, c := range []struct {
		conns        int
		rate, budget float64
		want         float64
	}{
		{19000, 0, 0, DefaultBackendDeliveries / 19000.0},
		{100, 0, 0, 200},
		{1000, 0, 5000, 5},
		{1000, 10, 5000, 10}, // a rate wins over the budget
	} {
		got, err := backendRate(c.conns, c.rate, c.budget)
		if err != nil || got != c.want {
			t.Errorf("backendRate(%d, %v, %v) = %v, %v; want %v", c.conns, c.rate, c.budget, got, err, c.want)
		}
	}
	for _, bad := range [][3]float64{{0, 1, 0}, {10, -1, 0}, {10, 0, -5}} {
		if _, err := backendRate(int(bad[0]), bad[1], bad[2]); err == nil {
			t.Errorf("backendRate%v accepted", bad)
		}
	}
}

func TestNetBetween(t *testing.T) {
	start := json.RawMessage(`{"status":"ok","net":{"write_syscalls":100,"frames_out":150,"bytes_out":9000,"write_eagain":1}}`)
	end := json.RawMessage(`{"status":"ok","net":{"write_syscalls":300,"frames_out":1150,"bytes_out":99000,"write_eagain":3}}`)
	n := netBetween(start, end, 0.002)
	if n == nil || n.WriteCalls != 200 || n.FramesOut != 1000 || n.BytesOut != 90000 || n.WriteBlocked != 2 {
		t.Fatalf("%+v", n)
	}
	if n.FramesPerWrite != 5 || n.ServerCPUMicrosPerWrite != 10 {
		t.Fatalf("frames per write %v, µs per write %v", n.FramesPerWrite, n.ServerCPUMicrosPerWrite)
	}
	for _, c := range [][2]string{
		{`{"status":"ok"}`, string(end)}, // no net counters (another server)
		{string(start), `not json`},
		{string(end), string(start)}, // counters went backwards: restarted
	} {
		if n := netBetween(json.RawMessage(c[0]), json.RawMessage(c[1]), 1); n != nil {
			t.Errorf("netBetween(%s, %s) = %+v", c[0], c[1], n)
		}
	}
}

func TestBackendSmoke(t *testing.T) {
	common, _ := testCommon(t)
	res, err := RunBackend(testContext(t), BackendOptions{Common: common, Conns: 40, Deliveries: 4000, Duration: time.Second, Drain: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Fanout
	if res.Mode != "backend" || res.Rate != 100 || res.DeliveriesBudget != 4000 || f.Subscribers != 40 || f.RateTarget != 100 {
		t.Fatalf("mode %q rate %v budget %v subscribers %d", res.Mode, res.Rate, res.DeliveriesBudget, f.Subscribers)
	}
	if f.Published < 90 || f.Lost != 0 || f.Latency.Count != f.Received {
		t.Fatalf("published %d lost %d latency %+v", f.Published, f.Lost, f.Latency)
	}
	if f.ConnectSeconds <= 0 || f.HandshakesPerSec <= 0 || f.RSSConnectedKiB <= 0 || res.ServerCPUMicrosPerDelivery < 0 {
		t.Fatalf("connect %v s, %v/s, RSS %d KiB", f.ConnectSeconds, f.HandshakesPerSec, f.RSSConnectedKiB)
	}
	if f.Net != nil {
		t.Fatalf("the naive server has no write counters, got %+v", f.Net)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	if !strings.Contains(out.String(), "4.0 k deliveries/s ÷ 40 sessions") {
		t.Fatalf("text:\n%s", out.String())
	}
}
