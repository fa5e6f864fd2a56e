package gateway

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// waitProcedure waits until a call to proc on every node reaches a
// registration (the announcements crossed the links).
func waitProcedure(t testing.TB, nodes []*Node, proc string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for _, n := range nodes {
		for n.Router().Realm("realm1").MatchRegistration(proc) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: no registration for %s", n.Addr(), proc)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// waitNoProcedure waits until no node routes proc any more.
func waitNoProcedure(t testing.TB, nodes []*Node, proc string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, n := range nodes {
		for n.Router().Realm("realm1").MatchRegistration(proc) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: %s still registered after %v", n.Addr(), proc, within)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// expectError reads an ERROR answering request req of type typ and
// requires its URI.
func (c *v2Client) expectErrorURI(typ, req uint64, uri string) {
	c.t.Helper()
	m := c.recv()
	if len(m) < 5 || m[0] != int64(8) || m[1] != int64(typ) || m[2] != int64(req) || m[4] != uri {
		c.t.Fatalf("want ERROR %d %d %s, got %v", typ, req, uri, m)
	}
}

// TestClusterRPC: a procedure registered on one node is called from the
// others, by v2 callers (disclose_me, a pattern, progressive results)
// and a v1 caller; a second registration of it on another node is
// refused; a shared registration spans callees on two nodes.
func TestClusterRPC(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 3))
	callee := joinRPC(t, nodes[0].Addr(), value.JSON)
	reg := callee.register(1, dict{}, "com.example.add")
	pat := callee.register(2, dict{"match": "prefix"}, "com.example.long.")
	waitProcedure(t, nodes, "com.example.add")
	waitProcedure(t, nodes, "com.example.long.x")

	caller := joinRPC(t, nodes[2].Addr(), value.MsgPack)
	caller.send(48, 1, dict{"disclose_me": true}, "com.example.add", list{2, 3}, dict{"k": "v"})
	callee.expect(68, 1, reg, dict{"caller": caller.ID, "caller_authid": itoa(caller.ID), "caller_authrole": "anonymous"},
		list{2, 3}, dict{"k": "v"})
	callee.send(70, 1, dict{}, list{5})
	caller.expect(50, 1, dict{}, list{5})

	caller.send(48, 2, dict{"receive_progress": true}, "com.example.long.sum", list{1})
	callee.expect(68, 2, pat, dict{"procedure": "com.example.long.sum", "receive_progress": true}, list{1})
	callee.send(70, 2, dict{"progress": true}, list{"a"})
	callee.send(70, 2, dict{"progress": true}, list{"b"})
	callee.send(70, 2, dict{}, list{"done"})
	caller.expect(50, 2, dict{"progress": true}, list{"a"})
	caller.expect(50, 2, dict{"progress": true}, list{"b"})
	caller.expect(50, 2, dict{}, list{"done"})

	caller.send(48, 3, dict{}, "com.example.add")
	callee.expect(68, 3, reg, dict{})
	callee.send(8, 68, 3, dict{}, "com.example.error.nope", list{"no"})
	caller.expect(8, 48, 3, dict{}, "com.example.error.nope", list{"no"})

	w := dialWAMP(t, nodes[1].Addr())
	w.send(`[2,"c1","com.example.add",1,2]`)
	callee.expect(68, 4, reg, dict{}, list{1, 2})
	callee.send(70, 4, dict{}, list{3})
	w.expectText(`[3,"c1",3]`)

	dup := joinRPC(t, nodes[1].Addr(), value.JSON)
	dup.send(64, 1, dict{}, "com.example.add")
	dup.expectErrorURI(64, 1, v2.ErrProcedureAlreadyExists)

	// A shared registration: callees on node 0 and node 1, calls from
	// node 2 go to both in turn.
	dup.register(2, dict{"invoke": "roundrobin"}, "com.example.rr")
	waitProcedure(t, nodes, "com.example.rr")
	callee.register(3, dict{"invoke": "roundrobin"}, "com.example.rr")
	deadline := time.Now().Add(waitLong)
	for nodes[2].Router().Realm("realm1").MatchRegistration("com.example.rr").Callees() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("node 2 does not see both callees of com.example.rr")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Node 2 learned of dup's callee first: roundrobin starts there.
	dupReg := nodes[1].Router().Realm("realm1").MatchRegistration("com.example.rr").ID()
	calleeReg := nodes[0].Router().Realm("realm1").MatchRegistration("com.example.rr").ID()
	for i := range 4 {
		req := uint64(10 + i)
		caller.send(48, req, dict{}, "com.example.rr", list{i})
		c, id := dup, dupReg
		if i%2 == 1 {
			c, id = callee, calleeReg
		}
		m := c.recv()
		if len(m) != 5 || m[0] != int64(68) || m[2] != int64(id) {
			t.Fatalf("call %d: want INVOCATION of registration %d, got %v", i, id, m)
		}
		c.send(70, m[1], dict{}, list{i})
		caller.expect(50, req, dict{}, list{i})
	}
}

// TestClusterRPCCancelTimeout: CANCEL in each mode and the caller's
// timeout work across nodes as on one: the timeout runs on the caller's
// node, the callee on the other gets INTERRUPT.
func TestClusterRPCCancelTimeout(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 2))
	callee := joinRPC(t, nodes[0].Addr(), value.MsgPack)
	reg := callee.register(1, dict{}, "com.example.slow")
	waitProcedure(t, nodes, "com.example.slow")
	caller := joinRPC(t, nodes[1].Addr(), value.JSON)
	canceled := list{"the call was canceled"}

	caller.send(48, 1, dict{}, "com.example.slow")
	callee.expect(68, 1, reg, dict{})
	caller.send(49, 1, dict{"mode": "skip"})
	caller.expect(8, 48, 1, dict{}, v2.ErrCanceled, canceled)
	callee.send(70, 1, dict{})

	caller.send(48, 2, dict{}, "com.example.slow")
	callee.expect(68, 2, reg, dict{})
	caller.send(49, 2, dict{"mode": "kill"})
	callee.expect(69, 2, dict{"mode": "kill", "reason": v2.ErrCanceled})
	callee.send(8, 68, 2, dict{}, v2.ErrCanceled, list{"stopped at 40%"})
	caller.expect(8, 48, 2, dict{}, v2.ErrCanceled, list{"stopped at 40%"})

	caller.send(48, 3, dict{}, "com.example.slow")
	callee.expect(68, 3, reg, dict{})
	caller.send(49, 3, dict{"mode": "killnowait"})
	caller.expect(8, 48, 3, dict{}, v2.ErrCanceled, canceled)
	callee.expect(69, 3, dict{"mode": "killnowait", "reason": v2.ErrCanceled})
	callee.send(8, 68, 3, dict{}, v2.ErrCanceled)

	caller.send(48, 4, dict{"timeout": 50}, "com.example.slow", list{1})
	callee.expect(68, 4, reg, dict{}, list{1})
	caller.expect(8, 48, 4, dict{}, v2.ErrTimeout, list{"the call timed out"})
	callee.expect(69, 4, dict{"mode": "killnowait", "reason": v2.ErrTimeout})
	callee.send(70, 4, dict{}, list{"too late"})
	caller.sync()
	callee.sync()
	for _, n := range nodes {
		deadline := time.Now().Add(waitLong)
		for n.Stats().WAMP.CallsInFlight != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: %d calls in flight", n.Addr(), n.Stats().WAMP.CallsInFlight)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestClusterRPCCalleeLeaves: when the callee's session ends, its pending
// callers on other nodes get wamp.error.canceled and, within 2 s, new
// calls wamp.error.no_such_procedure everywhere.
func TestClusterRPCCalleeLeaves(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 3))
	callee := joinRPC(t, nodes[0].Addr(), value.JSON)
	reg := callee.register(1, dict{}, "com.example.gone")
	waitProcedure(t, nodes, "com.example.gone")
	caller := joinRPC(t, nodes[2].Addr(), value.JSON)
	caller.send(48, 1, dict{}, "com.example.gone")
	callee.expect(68, 1, reg, dict{})
	callee.Close()
	caller.expect(8, 48, 1, dict{}, v2.ErrCanceled, list{"the callee left"})
	waitNoProcedure(t, nodes, "com.example.gone", 2*time.Second)
	caller.send(48, 2, dict{}, "com.example.gone")
	caller.expectErrorURI(48, 2, v2.ErrNoSuchProcedure)
}

// TestClusterRPCNodeLeaves: when the callee's node goes away, the calls
// waiting on it end with wamp.error.canceled, its procedures are gone
// from the other nodes, and a callee that registers anew on another node
// is callable from everywhere.
func TestClusterRPCNodeLeaves(t *testing.T) {
	pool := freeAddrs(t, 3)
	nodes := startCluster(t, pool)
	callee := joinRPC(t, nodes[0].Addr(), value.JSON)
	reg := callee.register(1, dict{}, "com.example.node")
	waitProcedure(t, nodes, "com.example.node")
	caller := joinRPC(t, nodes[1].Addr(), value.JSON)
	caller.send(48, 1, dict{}, "com.example.node")
	callee.expect(68, 1, reg, dict{})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := nodes[0].Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	m := caller.recv()
	if len(m) < 5 || m[0] != int64(8) || m[2] != int64(1) || m[4] != v2.ErrCanceled {
		t.Fatalf("want ERROR wamp.error.canceled, got %v", m)
	}
	waitNoProcedure(t, nodes[1:], "com.example.node", 2*time.Second)
	caller.send(48, 2, dict{}, "com.example.node")
	caller.expectErrorURI(48, 2, v2.ErrNoSuchProcedure)

	again := joinRPC(t, nodes[2].Addr(), value.CBOR)
	reg = again.register(1, dict{}, "com.example.node")
	waitProcedure(t, nodes[1:], "com.example.node")
	caller.send(48, 3, dict{}, "com.example.node")
	again.expect(68, 1, reg, dict{})
	again.send(70, 1, dict{}, list{"back"})
	caller.expect(50, 3, dict{}, list{"back"})
}

// TestClusterRegisterRace: two sessions on two nodes register the same
// procedure at the same moment, many times: exactly one gets REGISTERED,
// the other procedure_already_exists, and every node routes calls to the
// winner.
func TestClusterRegisterRace(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 3))
	a := joinRPC(t, nodes[0].Addr(), value.JSON)
	b := joinRPC(t, nodes[1].Addr(), value.JSON)
	caller := joinRPC(t, nodes[2].Addr(), value.JSON)
	wins, invocations := map[*v2Client]int{}, map[*v2Client]int{}
	for i := range 50 {
		proc := fmt.Sprintf("com.example.race.%d", i)
		req := uint64(i + 1)
		a.send(64, req, dict{}, proc)
		b.send(64, req, dict{}, proc)
		ma, mb := a.recv(), b.recv()
		okA, okB := ma[0] == int64(65), mb[0] == int64(65)
		if okA == okB {
			t.Fatalf("%s: node 0 answered %v, node 1 %v: want exactly one REGISTERED", proc, ma, mb)
		}
		loser := mb
		winner, regID := a, ma
		if okB {
			winner, regID, loser = b, mb, ma
		}
		if loser[0] != int64(8) || loser[4] != v2.ErrProcedureAlreadyExists {
			t.Fatalf("%s: the loser got %v", proc, loser)
		}
		wins[winner]++
		waitProcedure(t, nodes, proc)
		caller.send(48, req, dict{}, proc)
		invocations[winner]++
		winner.expect(68, invocations[winner], regID[2], dict{})
		winner.send(70, invocations[winner], dict{}, list{})
		caller.expect(50, req, dict{}, list{})
	}
	t.Logf("node 0 won %d races, node 1 %d", wins[a], wins[b])
}
