package gateway

import (
	"fmt"
	"testing"

	"github.com/wampgate/wampgate/broadcast"
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
