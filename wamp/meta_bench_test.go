package wamp_test

import (
	"testing"

	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
)

// BenchmarkJoinLeave is one v1 session joining the realm and leaving it
// again, among 1,000 others: the cost of the session meta events when
// nobody listens (none is built), when a local session listens to
// on_join and on_leave (both built and delivered), and on a clustered
// node (both built and relayed, as a listener may be on another node).
func BenchmarkJoinLeave(b *testing.B) {
	for _, tc := range []struct {
		name             string
		listen, clusterd bool
	}{
		{"nobodyListens", false, false},
		{"localListener", true, false},
		{"cluster", false, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := wamp.RouterConfig{}
			if tc.clusterd {
				cfg.Relay = func(*wamp.Publication) {}
			}
			r := newRouter(b, cfg)
			join(b, r, v1.Protocol, 1000, func(int) []string { return nil })
			if tc.listen {
				join(b, r, v1.Protocol, 1, one("wamp.session.on_join"))
				join(b, r, v1.Protocol, 1, one("wamp.session.on_leave"))
			}
			c := &queueConn{}
			b.ReportAllocs()
			for b.Loop() {
				s := r.V1Realm().NewSession(c, v1.Protocol, nil)
				s.Join()
				s.Leave()
			}
		})
	}
}
