package gateway

import (
	"context"
	"fmt"
	"testing"

	"github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// TestClusterSessionMetaProcedures: wamp.session.count, list and get
// answer for every node of the cluster (v2 and v1 sessions, role
// filters, a v1 caller), argument errors are answered by the caller's
// node, and a node that went away is left out.
func TestClusterSessionMetaProcedures(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 3))
	a := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	b := joinV2(t, nodes[1].Addr(), value.MsgPack, "realm1")
	w := dialWAMP(t, nodes[1].Addr())
	c := joinV2(t, nodes[2].Addr(), value.CBOR, "realm1")

	a.call(1, "wamp.session.count")
	a.expectResult(1, 4)
	a.call(2, "wamp.session.count", list{"anonymous"})
	a.expectResult(2, 4)
	a.call(3, "wamp.session.count", list{"admin"})
	a.expectResult(3, 0)
	a.call(4, "wamp.session.list")
	a.expectResult(4, sortedIDs(a.ID, b.ID, v1ID(t, w), c.ID))
	a.call(5, "wamp.session.get", c.ID)
	a.expectResult(5, sessionDetails(c.ID, v2.SubprotocolCBOR))
	a.call(6, "wamp.session.get", v1ID(t, w))
	a.expectResult(6, sessionDetails(v1ID(t, w), "wamp"))
	a.call(7, "wamp.session.get", 12345)
	a.expectCallError(7, "wamp.error.no_such_session", "no session 12345 in realm realm1 on any node of the cluster")
	a.call(8, "wamp.session.count", "anonymous")
	a.expectCallError(8, v2.ErrInvalidArgument, "argument 1 (filter_authroles) must be a list of strings")
	w.send(`[2,"c1","wamp.session.count"]`)
	w.expectText(`[3,"c1",4]`)
	w.send(`[2,"c2","wamp.session.get",` + itoa(a.ID) + `]`)
	w.expectText(fmt.Sprintf(`[3,"c2",{"authid":"%d","authmethod":"anonymous","authprovider":"static","authrole":"anonymous","session":%d,"transport":{"protocol":"wamp.2.json"}}]`, a.ID, a.ID))

	// Node 2 goes: its sessions are no longer counted.
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := nodes[2].Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	waitLinksUp(t, nodes[0], 1)
	a.call(9, "wamp.session.count")
	a.expectResult(9, 3)
	a.call(10, "wamp.session.get", c.ID)
	a.expectCallError(10, "wamp.error.no_such_session", fmt.Sprintf("no session %d in realm realm1 on any node of the cluster", c.ID))
}

// TestClusterRegistrationMetaEvents: a listener on one node hears the
// registrations of callees on another node (with its own node's
// registration id), their unregistration, and their end when that node
// goes away.
func TestClusterRegistrationMetaEvents(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 2))
	l := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	events := map[string]uint64{}
	for i, e := range []string{"on_create", "on_register", "on_unregister", "on_delete"} {
		events[e] = l.subscribe(uint64(i+1), dict{}, "wamp.registration."+e)
	}
	callee := joinRPC(t, nodes[1].Addr(), value.MsgPack)
	callee.register(1, dict{}, "com.example.meta.one")
	callee.register(2, dict{"match": "prefix"}, "com.example.meta.")
	waitProcedure(t, nodes[:1], "com.example.meta.x")
	realm := nodes[0].Router().Realm("realm1")
	one, pre := uint64(realm.MatchRegistration("com.example.meta.one").ID()), uint64(realm.MatchRegistration("com.example.meta.x").ID())
	l.recvEvent(events["on_create"], dict{}, list{callee.ID, dict{"created": registrationCreated(t, nodes[0], one),
		"id": one, "invoke": "single", "match": "exact", "uri": "com.example.meta.one"}}, nil)
	l.recvEvent(events["on_register"], dict{}, list{callee.ID, one}, nil)
	l.recvEvent(events["on_create"], dict{}, list{callee.ID, dict{"created": registrationCreated(t, nodes[0], pre),
		"id": pre, "invoke": "single", "match": "prefix", "uri": "com.example.meta."}}, nil)
	l.recvEvent(events["on_register"], dict{}, list{callee.ID, pre}, nil)

	reg := uint64(nodes[1].Router().Realm("realm1").MatchRegistration("com.example.meta.one").ID())
	callee.send(66, 3, reg)
	callee.expect(67, 3)
	l.recvEvent(events["on_unregister"], dict{}, list{callee.ID, one}, nil)
	l.recvEvent(events["on_delete"], dict{}, list{callee.ID, one}, nil)

	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := nodes[1].Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	l.recvEvent(events["on_unregister"], dict{}, list{callee.ID, pre}, nil)
	l.recvEvent(events["on_delete"], dict{}, list{callee.ID, pre}, nil)
}
