//go:build linux

package bench

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// linkTraffic is what every link of a cluster sent: records and batch
// bytes.
type linkTraffic struct{ records, bytes uint64 }

func (a linkTraffic) minus(b linkTraffic) linkTraffic {
	return linkTraffic{a.records - b.records, a.bytes - b.bytes}
}

// clusterTraffic sums the links' counters of every node.
func clusterTraffic(nodes []*gateway.Node) linkTraffic {
	var t linkTraffic
	for _, n := range nodes {
		for _, l := range n.Stats().Cluster.Links {
			t.records += l.Sent
			t.bytes += l.BytesSent
		}
	}
	return t
}

// startSparseCluster starts three in-process nodes linked over loopback
// sockets, relaying everything or by interest.
func startSparseCluster(t *testing.T, relayAll bool) []*gateway.Node {
	t.Helper()
	pool := make([]string, 3)
	for i := range pool {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pool[i] = ln.Addr().String()
		ln.Close()
	}
	nodes := make([]*gateway.Node, len(pool))
	for i := range pool {
		cfg := gateway.DefaultConfig()
		cfg.Addr = pool[i]
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		cfg.Cluster = broadcast.Config{Node: pool[i], Pool: pool, Secret: "sparse", RelayAll: relayAll,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
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
			_ = n.Shutdown(ctx)
		})
		nodes[i] = n
	}
	pollUntil(t, "links up", func() bool {
		for _, n := range nodes {
			if n.Stats().Cluster.LinksUp != len(pool)-1 {
				return false
			}
		}
		return true
	})
	return nodes
}

// pollUntil polls cond for up to 10 s.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// linksIdle reports whether every link of every node has nothing queued
// or unacknowledged.
func linksIdle(nodes []*gateway.Node) bool {
	for _, n := range nodes {
		for _, l := range n.Stats().Cluster.Links {
			if l.Queued != 0 || l.Unacked != 0 {
				return false
			}
		}
	}
	return true
}

// sparseRun subscribes topics topics, each on one node of three (topic
// i on node i%3, one subscriber), then has every node publish once to
// every topic, and returns the link traffic of the subscriptions and of
// the publications.
func sparseRun(t *testing.T, topics int, relayAll bool) (setup, publish linkTraffic) {
	nodes := startSparseCluster(t, relayAll)
	before := clusterTraffic(nodes)
	for i := range topics {
		s := nodes[i%3].Router().V1Realm().NewSession(wamptest.NewConn("sub"), v1.Protocol, nil)
		s.Join()
		t.Cleanup(s.Leave)
		if _, _, err := s.Subscribe("sparse/"+strconv.Itoa(i), wamp.MatchExact); err != nil {
			t.Fatal(err)
		}
	}
	pollUntil(t, "the interest to settle", func() bool { return linksIdle(nodes) })
	subscribed := clusterTraffic(nodes)
	for _, n := range nodes {
		for i := range topics {
			pub := &wamp.Publication{Topic: "sparse/" + strconv.Itoa(i)}
			pub.SetEvent([]byte(`"` + strconv.Itoa(i) + `"`))
			n.Router().Publish(pub)
		}
	}
	pollUntil(t, "every event delivered", func() bool {
		var d uint64
		for _, n := range nodes {
			d += n.Router().Stats().Deliveries
		}
		return d == uint64(3*topics) && linksIdle(nodes)
	})
	done := clusterTraffic(nodes)
	return subscribed.minus(before), done.minus(subscribed)
}

// TestSparseTopicsLinkTraffic measures the link traffic interest-based
// relay saves with sparse topics: 1,000 topics, each subscribed on one
// node of three, every node publishing once to every topic (3,000
// publications, 3,000 deliveries), relaying everything and by interest
// in the same run. Relaying everything sends every publication over
// both links of its node (6,000 records); by interest only the 2,000 whose
// subscriber is on another node cross, one link each, for a setup of
// one interest record per topic and peer and its acknowledgement (4,000).
// (Relaying everything, the setup also carries every subscriber's
// wamp.session.on_join to both peers.)
func TestSparseTopicsLinkTraffic(t *testing.T) {
	const topics = 1000
	allSetup, all := sparseRun(t, topics, true)
	intSetup, interest := sparseRun(t, topics, false)
	t.Logf("relay all:         subscriptions %d records %d bytes; publications %d records %d bytes",
		allSetup.records, allSetup.bytes, all.records, all.bytes)
	t.Logf("interest-based:    subscriptions %d records %d bytes; publications %d records %d bytes",
		intSetup.records, intSetup.bytes, interest.records, interest.bytes)
	t.Logf("publication traffic saved: %.0f%% of records, %.0f%% of bytes",
		100*(1-float64(interest.records)/float64(all.records)), 100*(1-float64(interest.bytes)/float64(all.bytes)))
	if want := uint64(6 * topics); all.records != want {
		t.Errorf("relay all sent %d publication records, want %d", all.records, want)
	}
	if want := uint64(2 * topics); interest.records != want {
		t.Errorf("interest-based relay sent %d publication records, want %d", interest.records, want)
	}
	if want := uint64(4 * topics); intSetup.records != want {
		t.Errorf("interest-based relay sent %d interest records for %d topics, want %d", intSetup.records, topics, want)
	}
}
