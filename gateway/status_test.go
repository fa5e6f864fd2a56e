package gateway

import (
	"encoding/json"
	"fmt"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// TestStatusJSONTopTopics: /status.json ranks a realm's topics by
// subscribers on this node, at most TopTopics of them.
func TestStatusJSONTopTopics(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	// Topic i has i+1 subscribers (sessions subscribe to topics 0..k).
	const topics = TopTopics + 5
	for k := range topics {
		c := dialWAMP(t, n.Addr())
		for i := k; i < topics; i++ {
			c.send(fmt.Sprintf(`[5,"http://example.com/t%02d"]`, i))
		}
		c.sync()
	}
	status, ctype, body := opsGet(t, "GET", "http://"+n.Addr()+PathStatusJSON)
	if status != 200 || ctype != "application/json" {
		t.Fatalf("GET /status.json: %d %q", status, ctype)
	}
	var st StatusReport
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("decoding /status.json: %v\n%s", err, body)
	}
	if st.Sessions != topics || st.Version != Version || st.Cluster != nil || len(st.Realms) != 1 {
		t.Fatalf("status %+v", st)
	}
	r := st.Realms[0]
	if r.Name != "realm1" || r.Sessions != topics || r.Subscriptions != topics || len(r.TopTopics) != TopTopics {
		t.Fatalf("realm %+v", r)
	}
	for i, tp := range r.TopTopics {
		want := TopicReport{URI: fmt.Sprintf("http://example.com/t%02d", topics-1-i), Match: "exact", Subscribers: topics - i}
		if tp != want {
			t.Errorf("top topic %d is %+v, want %+v", i, tp, want)
		}
	}
}

// TestStatusJSONPeerConnectionsApart: a node's connections are its
// clients' and the peer links other nodes opened to it, reported apart
// (the acceptor of a two-node cluster has one of each kind here), and
// /metrics has the peer links as wampgate_peer_connections_open.
func TestStatusJSONPeerConnectionsApart(t *testing.T) {
	pool := freeAddrs(t, 2)
	nodes := startCluster(t, pool)
	acceptor, dialer := nodes[1], nodes[0]
	if pool[1] < pool[0] {
		acceptor, dialer = dialer, acceptor
	}
	for _, tc := range []struct {
		n          *Node
		peerConns  int64
		clientConn int64 // the /status.json request itself
	}{{acceptor, 1, 1}, {dialer, 0, 1}} {
		_, _, body := opsGet(t, "GET", "http://"+tc.n.Addr()+PathStatusJSON)
		var st StatusReport
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("decoding /status.json: %v\n%s", err, body)
		}
		if st.PeerConnections != tc.peerConns || st.ClientConnections != tc.clientConn || st.Connections != tc.peerConns+tc.clientConn {
			t.Errorf("%s: connections %d = clients %d + peers %d, want %d + %d",
				st.Node, st.Connections, st.ClientConnections, st.PeerConnections, tc.clientConn, tc.peerConns)
		}
		if got := metricValue(t, scrape(t, tc.n.Addr()), "wampgate_peer_connections_open", dto.MetricType_GAUGE); got != float64(tc.peerConns) {
			t.Errorf("%s: wampgate_peer_connections_open = %v, want %d", st.Node, got, tc.peerConns)
		}
	}
}
