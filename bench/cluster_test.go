//go:build linux

package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDeliveryCount(t *testing.T) {
	for _, tc := range []struct {
		expected, received, repeats uint64
		want                        DeliveryCount
	}{
		{100, 100, 0, DeliveryCount{Expected: 100, Received: 100}},
		{100, 90, 0, DeliveryCount{Expected: 100, Received: 90, Lost: 10}},
		// 5 duplicates hide 5 losses from a plain count: both are shown.
		{100, 100, 5, DeliveryCount{Expected: 100, Received: 100, Repeats: 5, Lost: 5, Extra: 5}},
		{100, 103, 1, DeliveryCount{Expected: 100, Received: 103, Repeats: 1, Extra: 3}},
		{0, 2, 3, DeliveryCount{Received: 2, Repeats: 3, Extra: 3}},
	} {
		if got := newDeliveryCount(tc.expected, tc.received, tc.repeats); got != tc.want {
			t.Errorf("newDeliveryCount(%d, %d, %d) = %+v, want %+v", tc.expected, tc.received, tc.repeats, got, tc.want)
		}
	}
}

func TestShare(t *testing.T) {
	total := 0
	for k, want := range []int{4, 3, 3} {
		if got := share(10, 3, k); got != want {
			t.Fatalf("share(10, 3, %d) = %d, want %d", k, got, want)
		}
		total += want
	}
	if total != 10 {
		t.Fatal(total)
	}
}

func TestLinksBetween(t *testing.T) {
	body := func(sent, frames, received, dropped uint64) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"cluster": map[string]any{"node": "127.0.0.1:8095", "links": []map[string]any{
			{"peer": "127.0.0.1:8097", "state": "up", "sent": sent, "frames_sent": frames, "received": received, "dropped": dropped},
		}}})
		return b
	}
	links, ok := linksBetween(body(100, 10, 5, 1), body(1100, 60, 5, 3), 2)
	if !ok || len(links) != 1 {
		t.Fatalf("ok %v links %+v", ok, links)
	}
	l := links[0]
	if l.From != "127.0.0.1:8095" || l.Peer != "127.0.0.1:8097" || l.Sent != 1000 || l.FramesSent != 50 ||
		l.Received != 0 || l.Dropped != 2 || l.EventsPerSec != 500 || l.EventsPerFrame != 20 {
		t.Fatalf("%+v", l)
	}
	// A restarted node's counters start again from zero.
	if links, _ := linksBetween(body(1100, 60, 5, 3), body(7, 1, 0, 0), 1); links[0].Sent != 7 {
		t.Fatalf("restart: %+v", links[0])
	}
	if _, ok := linksBetween(body(1, 1, 1, 1), json.RawMessage(`{"status":"ok"}`), 1); ok {
		t.Fatal("links found without a cluster object")
	}
	if _, ok := linksBetween(nil, nil, 1); ok {
		t.Fatal("links found without a body")
	}
}

func TestClusterPlanRejects(t *testing.T) {
	for _, o := range []ClusterOptions{
		{URLs: []string{"ws://127.0.0.1:1/", "ws://127.0.0.1:2/"}, FanoutOptions: FanoutOptions{Subs: 1}},
		{URLs: []string{"ws://127.0.0.1:1/"}, ServerPIDs: []int{1, 2}, FanoutOptions: FanoutOptions{Subs: 5}},
		{URLs: []string{"ws://10.0.0.1:1/"}, FanoutOptions: FanoutOptions{Subs: 5}},
	} {
		o.Log = &syncBuffer{}
		o.PerWorker = 10
		if _, err := o.plan(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestClusterSmoke runs the mode against two URLs of one naive server:
// the second "node" gets every event straight from the same process, so
// nothing may be lost or repeated, and the process's CPU counts once.
func TestClusterSmoke(t *testing.T) {
	common, _ := testCommon(t)
	other := strings.Replace(common.URL, "127.0.0.1", "localhost", 1)
	res, err := RunCluster(testContext(t), ClusterOptions{
		FanoutOptions: FanoutOptions{Common: common, Subs: 50, Pubs: 2, Duration: 500 * time.Millisecond, Drain: time.Second},
		URLs:          []string{common.URL, other},
		ServerPIDs:    []int{os.Getpid(), os.Getpid()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribers != 50 || res.WarmedUp != 50 || res.Publishers != 2 || res.Workers != 3 || len(res.Nodes) != 2 {
		t.Fatalf("subscribers %d warmed %d publishers %d workers %d nodes %d", res.Subscribers, res.WarmedUp, res.Publishers, res.Workers, len(res.Nodes))
	}
	d := res.Deliveries
	if res.Published == 0 || d.Expected != res.Published*50 || d.Received != d.Expected || d.Lost != 0 || d.Extra != 0 {
		t.Fatalf("published %d deliveries %+v", res.Published, d)
	}
	for k, n := range res.Nodes {
		if n.Subscribers != 25 || n.Deliveries.Received != res.Published*25 || n.Publisher != (k == 0) {
			t.Fatalf("node %d: %+v", k, n)
		}
	}
	if res.Local.Count != res.Published*25 || res.Relayed.Count != res.Published*25 || res.Latency.Count != d.Received {
		t.Fatalf("latency: local %d relayed %d all %d", res.Local.Count, res.Relayed.Count, res.Latency.Count)
	}
	if res.ServerCPUSeconds != res.Nodes[0].CPUSeconds || len(res.Links) != 0 || res.LinksNote == "" {
		t.Fatalf("cpu %.2f (node %.2f), links %v %q", res.ServerCPUSeconds, res.Nodes[0].CPUSeconds, res.Links, res.LinksNote)
	}
	var out bytes.Buffer
	res.WriteText(&out)
	if !bytes.Contains(out.Bytes(), []byte("relayed")) || !bytes.Contains(out.Bytes(), []byte("unavailable")) {
		t.Fatalf("text:\n%s", out.String())
	}
}

// TestClusterUnreachableNode runs against two independent servers: the
// second never gets the first's events, which must show as lost there,
// without stalling the publisher.
func TestClusterUnreachableNode(t *testing.T) {
	common, _ := testCommon(t)
	other, _ := testCommon(t)
	res, err := RunCluster(testContext(t), ClusterOptions{
		FanoutOptions: FanoutOptions{Common: common, Subs: 20, Rate: 200, Duration: 300 * time.Millisecond, Drain: 300 * time.Millisecond},
		URLs:          []string{common.URL, other.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.WarmedUp != 10 || res.Published < 40 {
		t.Fatalf("warmed up %d, published %d", res.WarmedUp, res.Published)
	}
	local, remote := res.Nodes[0].Deliveries, res.Nodes[1].Deliveries
	if local.Lost != 0 || remote.Received != 0 || remote.Lost != res.Published*10 || res.Deliveries.Lost != remote.Lost {
		t.Fatalf("local %+v remote %+v all %+v", local, remote, res.Deliveries)
	}
}
