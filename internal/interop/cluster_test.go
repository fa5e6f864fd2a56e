package interop

// A cluster of three real wampgate processes with Autobahn|Python and
// Autobahn|JS sessions on different nodes: calls across nodes, the same
// REGISTER refused on another node, a callee leaving, a callee's node
// SIGKILLed and restarted, and the subscribe race
// (python/cluster.py holds the scenarios).

import (
	"fmt"
	"testing"
	"time"
)

// calleeGoneBound is how soon after a callee's session ended a call from
// another node must get wamp.error.no_such_procedure (the 2 s).
const calleeGoneBound = 2 * time.Second

// polled is a cluster scenario's poll_call report.
type polled struct {
	Before  []any          `json:"before"`
	Final   map[string]any `json:"final"`
	Seconds float64        `json:"seconds"`
}

// noSuchProcedure checks that a poll ended with no_such_procedure within
// bound.
func (p polled) noSuchProcedure(t *testing.T, what string, bound time.Duration) {
	t.Helper()
	sameJSON(t, what+": the last outcome", p.Final, obj{"error": "wamp.error.no_such_procedure"})
	took := time.Duration(p.Seconds * float64(time.Second))
	if took > bound {
		t.Errorf("%s: no_such_procedure after %v, want within %v (before: %v)", what, took, bound, p.Before)
	}
	t.Logf("%s: no_such_procedure after %v (outcomes before: %v)", what, took.Round(time.Millisecond), p.Before)
}

func TestClusterOfProcesses(t *testing.T) {
	python.require(t)
	js.require(t)
	pool := freeAddrs(t, 3)
	nodes := startPool(t, pool)
	waitLinks(t, 2, 15*time.Second, nodes...)
	a, b, c := nodes[0], nodes[1], nodes[2]
	base := prefix(t)

	t.Run("rpc", func(t *testing.T) {
		var res struct {
			Echo        any    `json:"echo"`
			Countdown   any    `json:"countdown"`
			Cancel      any    `json:"cancel"`
			AfterCancel any    `json:"after_cancel"`
			Duplicate   any    `json:"duplicate"`
			AfterLeave  polled `json:"after_leave"`
		}
		python.run(t, a.url(), realm, "msgpack", "cluster-rpc", obj{"urls": urls(a, b, c), "prefix": base}).result(&res)
		sameJSON(t, "echo from node c to the callee on node a", res.Echo, obj{"args": arr{1, "two", obj{"three": 3}}, "kwargs": obj{"k": "v"}})
		sameJSON(t, "progressive results across nodes", res.Countdown, obj{"progress": arr{3, 2, 1}, "result": obj{"value": "liftoff"}})
		sameJSON(t, "a cancel across nodes (the callee interrupted)", res.Cancel, obj{"progress": "started", "callee": "interrupted"})
		sameJSON(t, "a call after the cancel", res.AfterCancel, obj{"value": "still"})
		sameJSON(t, "the same REGISTER on node b", res.Duplicate, obj{"error": "wamp.error.procedure_already_exists"})
		res.AfterLeave.noSuchProcedure(t, "calls from node b once the callee's session ended", calleeGoneBound)
	})

	t.Run("subscribe_race", func(t *testing.T) {
		const rounds = 50
		var res struct {
			Received int   `json:"received"`
			Lost     []int `json:"lost"`
		}
		python.run(t, a.url(), realm, "json", "cluster-subscribe-race",
			obj{"urls": urls(a, b), "prefix": base, "rounds": rounds}).result(&res)
		if res.Received != rounds || len(res.Lost) != 0 {
			t.Errorf("received %d of %d events; lost rounds %v", res.Received, rounds, res.Lost)
		}
	})

	t.Run("callee_node_killed", func(t *testing.T) {
		s := python.run(t, a.url(), realm, "cbor", "cluster-kill", obj{"urls": urls(a, b, c), "prefix": base})
		s.ready(nil) // the call from node c is running on node a's callee
		a.kill(t)
		var res struct {
			Echo     any    `json:"echo"`
			Progress any    `json:"progress"`
			Pending  any    `json:"pending"`
			AfterC   polled `json:"after_c"`
			AfterB   polled `json:"after_b"`
		}
		s.result(&res)
		sameJSON(t, "a call before the kill", res.Echo, obj{"value": "before"})
		sameJSON(t, "the pending call's progress", res.Progress, "started")
		sameJSON(t, "the call pending on the killed node", res.Pending, obj{"error": "wamp.error.canceled",
			"args": arr{fmt.Sprintf("the callee's node %s is unreachable", a.addr)}, "kwargs": obj{}})
		res.AfterC.noSuchProcedure(t, "new calls from node c", calleeGoneBound)
		res.AfterB.noSuchProcedure(t, "new calls from node b", calleeGoneBound)
	})

	t.Run("restarted_node", func(t *testing.T) {
		restarted := startWampgate(t, pool[0], pool)
		waitLinks(t, 2, 15*time.Second, restarted, b, c)
		fresh, old := base+".fresh", base+".kill.echo"
		ce := startCallee(t, restarted.url(), endpoint{python, "json"},
			obj{fresh: obj{"result": obj{"args": arr{"fresh"}, "kwargs": obj{"node": "a"}}}}, 2)
		ce.ready(t)
		specs := []obj{{"procedure": fresh, "args": arr{1}}, {"procedure": old}}
		callers := []*caller{
			startCaller(t, b.url(), endpoint{js, "msgpack"}, specs),
			startCaller(t, c.url(), endpoint{js, "cbor"}, specs),
		}
		for i, cr := range callers {
			_, got := cr.outcomes(t)
			sameJSON(t, fmt.Sprintf("caller %d's outcomes", i), got, arr{
				obj{"progress": arr{}, "result": obj{"args": arr{"fresh"}, "kwargs": obj{"node": "a"}}},
				obj{"progress": arr{}, "error": obj{"error": "wamp.error.no_such_procedure",
					"args": arr{"no procedure " + old + " is registered on this node"}, "kwargs": obj{}}},
			})
		}
		inv := obj{"procedure": fresh, "args": arr{1}, "kwargs": obj{}, "caller": nil, "outcome": "result"}
		sameJSON(t, "the restarted node's callee", ce.invocations(t), arr{inv, inv})
	})
}
