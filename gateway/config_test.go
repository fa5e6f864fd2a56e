package gateway

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/wamp"
)

func TestNodeSlotIsTheIndexInTheSortedPool(t *testing.T) {
	pool := []string{"127.0.0.3:1", "127.0.0.1:1", "127.0.0.2:1", "127.0.0.1:1"}
	for node, want := range map[string]int{"127.0.0.1:1": 0, "127.0.0.2:1": 1, "127.0.0.3:1": 2} {
		cfg := Config{Cluster: broadcast.Config{Node: node, Pool: pool, Secret: "s"}}
		got, err := cfg.withDefaults()
		if err != nil || got.NodeSlot != want {
			t.Errorf("node %s: slot %d, %v; want %d", node, got.NodeSlot, err, want)
		}
	}
	if got, err := (Config{NodeSlot: 9}).withDefaults(); err != nil || got.NodeSlot != 9 {
		t.Errorf("explicit slot: %d, %v", got.NodeSlot, err)
	}
	if got, err := (Config{}).withDefaults(); err != nil || got.NodeSlot != 0 {
		t.Errorf("single node: slot %d, %v", got.NodeSlot, err)
	}
	big := make([]string, 1025)
	for i := range big {
		big[i] = fmt.Sprintf("127.0.%d.%d:1", i/250, i%250+1)
	}
	if _, err := (Config{Cluster: broadcast.Config{Node: big[0], Pool: big, Secret: "s"}}).withDefaults(); err == nil {
		t.Errorf("a pool of 1025 nodes was accepted")
	}
	for _, bad := range []Config{{NodeSlot: 1024}, {Realms: []string{"a b"}}, {V1Realm: "other"}} {
		bad.Addr = "127.0.0.1:0"
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}

// TestV1SessionsJoinTheV1Realm: over real sockets, v1 clients land in
// --v1-realm, and publications stay in their realm.
func TestV1SessionsJoinTheV1Realm(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.Realms, cfg.V1Realm = []string{"com.a", "com.b"}, "com.b"
	n := startNode(t, cfg)
	c := dialWAMP(t, n.Addr())
	c.subscribe("t")
	if p, ok := n.Router().Session(mustID(t, c.ID)); !ok || p.Realm() != "com.b" {
		t.Fatalf("session %s: %v, %v", c.ID, p, ok)
	}
	for _, realm := range []string{"com.a", "com.b", ""} {
		pub := &wamp.Publication{Realm: realm, Topic: "t"}
		pub.SetEvent([]byte(`"to ` + realm + `"`))
		n.Router().Publish(pub)
	}
	c.expectEvent("t", `"to com.b"`)
	c.expectEvent("t", `"to "`)
	c.sync()
	if st := n.Router().Realm("com.a").Stats(); st.Sessions != 0 || st.Subscriptions != 0 {
		t.Errorf("com.a: %+v", st)
	}
}

func mustID(t *testing.T, s string) wamp.ID {
	t.Helper()
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("session id %q: %v", s, err)
	}
	return wamp.ID(id)
}
