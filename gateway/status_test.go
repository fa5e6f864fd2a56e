package gateway

import (
	"encoding/json"
	"fmt"
	"testing"
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
