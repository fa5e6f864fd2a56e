package gateway

import (
	"testing"
	"time"

	"github.com/wampgate/wampgate/broadcast"
)

// waitInterest waits until every node relays a publication to topic in
// realm to every other node that has a local subscriber for it: the
// barrier a v1 subscriber (which gets no SUBSCRIBED) needs before a
// publication on another node is sure to reach it.
func waitInterest(t testing.TB, nodes []*Node, realm, topic string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for _, to := range nodes {
		if len(to.Router().Realm(realm).MatchSubscriptions(topic, nil)) == 0 {
			continue
		}
		for _, from := range nodes {
			if from == to {
				continue
			}
			mesh := from.bus.(*broadcast.Mesh)
			for !mesh.PeerWants(to.cfg.Cluster.Node, realm, topic) {
				if time.Now().After(deadline) {
					t.Fatalf("node %s does not relay %s to %s", from.Addr(), topic, to.Addr())
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
	}
}
