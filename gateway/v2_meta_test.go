package gateway

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// The WAMP meta API over real sockets, exact frames: session events for
// v1 and v2 sessions, the session, subscription and registration
// procedures (v2 callers of each serializer, and a v1 caller), their
// events, kill, the reserved topics, and session events across a
// cluster. Each test has a node of its own: a listener hears every
// session of its node.

// sessionDetails is the meta API's details of session id speaking
// protocol (wamp.session.on_join, wamp.session.get).
func sessionDetails(id uint64, protocol string) dict {
	return dict{"authid": itoa(id), "authmethod": "anonymous", "authprovider": "static", "authrole": "anonymous",
		"session": id, "transport": dict{"protocol": protocol}}
}

// call sends CALL req of procedure with args (nil: none).
func (c *v2Client) call(req uint64, procedure string, args ...any) {
	c.t.Helper()
	m := list{48, req, dict{}, procedure}
	if args != nil {
		m = append(m, list(args))
	}
	c.send(m...)
}

// expectResult requires RESULT req with args (nil: none).
func (c *v2Client) expectResult(req uint64, args ...any) {
	c.t.Helper()
	if args == nil {
		c.expect(50, req, dict{})
		return
	}
	c.expect(50, req, dict{}, list(args))
}

// expectCallError requires ERROR answering CALL req with uri and the
// description text.
func (c *v2Client) expectCallError(req uint64, uri, text string) {
	c.t.Helper()
	c.expect(8, 48, req, dict{}, uri, list{text})
}

// sortedIDs is ids sorted, as a list.
func sortedIDs(ids ...uint64) list {
	slices.Sort(ids)
	out := list{}
	for _, id := range ids {
		out = append(out, id)
	}
	return out
}

func TestV2MetaSessionEvents(t *testing.T) {
	forEachFormat(t, func(t *testing.T, f value.Format) {
		n := startNode(t, testConfig("epoll"))
		l := joinV2(t, n.Addr(), f, "realm1")
		onJoin := l.subscribe(1, dict{}, "wamp.session.on_join")
		onLeave := l.subscribe(2, dict{}, "wamp.session.on_leave")
		pattern := l.subscribe(3, dict{"match": "prefix"}, "wamp.session.on_")
		v1l := dialWAMP(t, n.Addr())
		v1l.subscribe("wamp.session.on_join")
		joinArgs := func(id uint64, proto string) list { return list{sessionDetails(id, proto)} }
		v1Join := func(id uint64, proto string) string {
			return `[8,"wamp.session.on_join",` + string(encodeValue(t, value.JSON, sessionDetails(id, proto))) + `]`
		}
		// the v1 listener's own join
		id := v1ID(t, v1l)
		l.recvEvent(onJoin, dict{}, joinArgs(id, "wamp"), nil)
		l.recvEvent(pattern, dict{"topic": "wamp.session.on_join"}, joinArgs(id, "wamp"), nil)

		// A v2 session of another serializer joins, says GOODBYE, joins
		// again (a new session) and disconnects.
		other := v2Formats[(slices.Index(v2Formats, f)+1)%3]
		c := joinV2(t, n.Addr(), other, "realm1")
		proto := v2.Subprotocol(other)
		l.recvEvent(onJoin, dict{}, joinArgs(c.ID, proto), nil)
		l.recvEvent(pattern, dict{"topic": "wamp.session.on_join"}, joinArgs(c.ID, proto), nil)
		v1l.expectText(v1Join(c.ID, proto))
		first := c.ID
		c.send(6, dict{}, "wamp.close.close_realm")
		c.expect(6, dict{}, "wamp.close.goodbye_and_out")
		leaveArgs := func(id uint64) list { return list{id, itoa(id), "anonymous"} }
		l.recvEvent(onLeave, dict{}, leaveArgs(first), nil)
		l.recvEvent(pattern, dict{"topic": "wamp.session.on_leave"}, leaveArgs(first), nil)
		c.hello("realm1")
		l.recvEvent(onJoin, dict{}, joinArgs(c.ID, proto), nil)
		l.recvEvent(pattern, dict{"topic": "wamp.session.on_join"}, joinArgs(c.ID, proto), nil)
		v1l.expectText(v1Join(c.ID, proto))
		c.Close()
		l.recvEvent(onLeave, dict{}, leaveArgs(c.ID), nil)
		l.recvEvent(pattern, dict{"topic": "wamp.session.on_leave"}, leaveArgs(c.ID), nil)

		// A v1 session joins the v1 realm and leaves.
		w := dialWAMP(t, n.Addr())
		l.recvEvent(onJoin, dict{}, joinArgs(v1ID(t, w), "wamp"), nil)
		l.recvEvent(pattern, dict{"topic": "wamp.session.on_join"}, joinArgs(v1ID(t, w), "wamp"), nil)
		v1l.expectText(v1Join(v1ID(t, w), "wamp"))
		w.Close()
		l.recvEvent(onLeave, dict{}, leaveArgs(v1ID(t, w)), nil)
		l.recvEvent(pattern, dict{"topic": "wamp.session.on_leave"}, leaveArgs(v1ID(t, w)), nil)
		l.sync()
		v1l.sync()
	})
}

// TestV2MetaRealms: the events and procedures of one realm never show
// another's sessions.
func TestV2MetaRealms(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.Realms, cfg.V1Realm = []string{"com.a", "com.b"}, "com.b"
	n := startNode(t, cfg)
	l := joinV2(t, n.Addr(), value.JSON, "com.a")
	l.subscribe(1, dict{}, "wamp.session.on_join")
	joinV2(t, n.Addr(), value.CBOR, "com.b")
	dialWAMP(t, n.Addr()) // v1: com.b
	l.call(2, "wamp.session.count")
	l.expectResult(2, 1)
	l.call(3, "wamp.session.list")
	l.expectResult(3, list{l.ID})
}

func TestV2MetaSessionProcedures(t *testing.T) {
	forEachFormat(t, func(t *testing.T, f value.Format) {
		n := startNode(t, testConfig("epoll"))
		a := joinV2(t, n.Addr(), f, "realm1")
		b := joinV2(t, n.Addr(), value.MsgPack, "realm1")
		w := dialWAMP(t, n.Addr())
		all := sortedIDs(a.ID, b.ID, v1ID(t, w))
		a.call(1, "wamp.session.count")
		a.expectResult(1, 3)
		a.call(2, "wamp.session.count", list{"anonymous"})
		a.expectResult(2, 3)
		a.call(3, "wamp.session.count", list{"admin", "user"})
		a.expectResult(3, 0)
		a.call(4, "wamp.session.list")
		a.expectResult(4, all)
		a.call(5, "wamp.session.list", list{"admin"})
		a.expectResult(5, list{})
		a.call(6, "wamp.session.get", b.ID)
		a.expectResult(6, sessionDetails(b.ID, v2.SubprotocolMsgPack))
		a.call(7, "wamp.session.get", v1ID(t, w))
		a.expectResult(7, sessionDetails(v1ID(t, w), "wamp"))
		a.call(8, "wamp.session.get", 12345)
		a.expectCallError(8, "wamp.error.no_such_session", "no session 12345 in realm realm1 on this node")
		a.call(9, "wamp.session.get", "x")
		a.expectCallError(9, v2.ErrInvalidArgument, "argument 1 (session) must be an id, an integer in [1, 2^53]")
		a.call(10, "wamp.session.count", "anonymous")
		a.expectCallError(10, v2.ErrInvalidArgument, "argument 1 (filter_authroles) must be a list of strings")
		// Kill is off by default.
		a.call(11, "wamp.session.kill", b.ID)
		a.expectCallError(11, v2.ErrNoSuchProcedure, "no procedure wamp.session.kill is registered on this node")
		// A v1 caller reaches the meta procedures too.
		w.send(`[2,"c1","wamp.session.count"]`)
		w.expectText(`[3,"c1",3]`)
		w.send(fmt.Sprintf(`[2,"c2","wamp.session.get",%d]`, a.ID))
		w.expectText(`[3,"c2",` + string(encodeValue(t, value.JSON, sessionDetails(a.ID, v2.Subprotocol(f)))) + `]`)
		w.send(`[2,"c3","wamp.session.get",1]`)
		w.expectText(`[4,"c3","wamp.error.no_such_session","no session 1 in realm realm1 on this node"]`)
		a.sync()
		b.sync()
		w.sync()
	})
}

// subscriptionCreated is the created time of subscription id in realm1
// of n, as the meta API writes it.
func subscriptionCreated(t *testing.T, n *Node, id uint64) string {
	t.Helper()
	sub := n.Router().Realm("realm1").Subscription(wamp.ID(id))
	if sub == nil {
		t.Fatalf("no subscription %d", id)
	}
	return sub.Created().UTC().Format(wamp.ISOTimeLayout)
}

func TestV2MetaSubscriptions(t *testing.T) {
	forEachFormat(t, func(t *testing.T, f value.Format) {
		n := startNode(t, testConfig("epoll"))
		l := joinV2(t, n.Addr(), f, "realm1")
		events := map[string]uint64{}
		for i, e := range []string{"on_create", "on_subscribe", "on_unsubscribe", "on_delete"} {
			events[e] = l.subscribe(uint64(i+1), dict{}, "wamp.subscription."+e)
		}
		a := joinV2(t, n.Addr(), value.CBOR, "realm1")
		w := dialWAMP(t, n.Addr())

		exact := a.subscribe(1, dict{}, "com.example.t")
		created := subscriptionCreated(t, n, exact)
		l.recvEvent(events["on_create"], dict{}, list{a.ID, dict{"created": created, "id": exact, "match": "exact", "uri": "com.example.t"}}, nil)
		l.recvEvent(events["on_subscribe"], dict{}, list{a.ID, exact}, nil)
		w.subscribe("com.example.t") // v1 joins the same subscription
		l.recvEvent(events["on_subscribe"], dict{}, list{v1ID(t, w), exact}, nil)
		prefix := a.subscribe(2, dict{"match": "prefix"}, "com.example.")
		prefixCreated := subscriptionCreated(t, n, prefix)
		l.recvEvent(events["on_create"], dict{}, list{a.ID, dict{"created": prefixCreated, "id": prefix, "match": "prefix", "uri": "com.example."}}, nil)
		l.recvEvent(events["on_subscribe"], dict{}, list{a.ID, prefix}, nil)

		for _, tc := range []struct {
			proc string
			args list
			want list
		}{
			{"wamp.subscription.list", nil, list{dict{"exact": sortedIDs(events["on_create"], events["on_subscribe"], events["on_unsubscribe"], events["on_delete"], exact),
				"prefix": list{prefix}, "wildcard": list{}}}},
			{"wamp.subscription.lookup", list{"com.example.t"}, list{exact}},
			{"wamp.subscription.lookup", list{"com.example.", dict{"match": "prefix"}}, list{prefix}},
			{"wamp.subscription.lookup", list{"com.example.x"}, list{nil}},
			{"wamp.subscription.match", list{"com.example.t"}, list{list{exact, prefix}}},
			{"wamp.subscription.match", list{"org.example"}, list{nil}},
			{"wamp.subscription.get", list{exact}, list{dict{"created": created, "id": exact, "match": "exact", "uri": "com.example.t"}}},
			{"wamp.subscription.list_subscribers", list{exact}, list{sortedIDs(a.ID, v1ID(t, w))}},
			{"wamp.subscription.count_subscribers", list{exact}, list{2}},
			{"wamp.subscription.count_subscribers", list{prefix}, list{1}},
		} {
			l.call(9, tc.proc, tc.args...)
			l.expectResult(9, tc.want...)
		}
		l.call(10, "wamp.subscription.get", 999)
		l.expectCallError(10, v2.ErrNoSuchSubscription, "no subscription 999 in realm realm1 on this node")
		l.call(11, "wamp.subscription.lookup", "com.example.t", dict{"match": 1})
		l.expectCallError(11, v2.ErrInvalidArgument, `option "match" must be "exact", "prefix" or "wildcard"`)

		// UNSUBSCRIBE, then the last subscribers leave.
		a.send(34, 3, exact)
		a.expect(35, 3)
		l.recvEvent(events["on_unsubscribe"], dict{}, list{a.ID, exact}, nil)
		w.Close()
		l.recvEvent(events["on_unsubscribe"], dict{}, list{v1ID(t, w), exact}, nil)
		l.recvEvent(events["on_delete"], dict{}, list{v1ID(t, w), exact}, nil)
		a.send(6, dict{}, "wamp.close.close_realm")
		a.expect(6, dict{}, "wamp.close.goodbye_and_out")
		l.recvEvent(events["on_unsubscribe"], dict{}, list{a.ID, prefix}, nil)
		l.recvEvent(events["on_delete"], dict{}, list{a.ID, prefix}, nil)
		l.call(12, "wamp.subscription.get", exact)
		l.expectCallError(12, v2.ErrNoSuchSubscription, fmt.Sprintf("no subscription %d in realm realm1 on this node", exact))
		l.sync()
	})
}

// registrationCreated is the created time of registration id in realm1
// of n, as the meta API writes it.
func registrationCreated(t *testing.T, n *Node, id uint64) string {
	t.Helper()
	reg := n.Router().Realm("realm1").Registration(wamp.ID(id))
	if reg == nil {
		t.Fatalf("no registration %d", id)
	}
	return reg.Created().UTC().Format(wamp.ISOTimeLayout)
}

func TestV2MetaRegistrations(t *testing.T) {
	forEachFormat(t, func(t *testing.T, f value.Format) {
		n := startNode(t, testConfig("epoll"))
		l := joinV2(t, n.Addr(), f, "realm1")
		events := map[string]uint64{}
		for i, e := range []string{"on_create", "on_register", "on_unregister", "on_delete"} {
			events[e] = l.subscribe(uint64(i+1), dict{}, "wamp.registration."+e)
		}
		a, b := joinRPC(t, n.Addr(), value.JSON), joinRPC(t, n.Addr(), value.MsgPack)

		exact := a.register(1, dict{"invoke": "roundrobin"}, "com.example.p")
		created := registrationCreated(t, n, exact)
		details := dict{"created": created, "id": exact, "invoke": "roundrobin", "match": "exact", "uri": "com.example.p"}
		l.recvEvent(events["on_create"], dict{}, list{a.ID, details}, nil)
		l.recvEvent(events["on_register"], dict{}, list{a.ID, exact}, nil)
		if got := b.register(1, dict{"invoke": "roundrobin"}, "com.example.p"); got != exact {
			t.Fatalf("shared registration %d, want %d", got, exact)
		}
		l.recvEvent(events["on_register"], dict{}, list{b.ID, exact}, nil)
		wild := b.register(2, dict{"match": "wildcard"}, "com..p")
		wildDetails := dict{"created": registrationCreated(t, n, wild), "id": wild, "invoke": "single", "match": "wildcard", "uri": "com..p"}
		l.recvEvent(events["on_create"], dict{}, list{b.ID, wildDetails}, nil)
		l.recvEvent(events["on_register"], dict{}, list{b.ID, wild}, nil)
		// REGISTER under wamp. is refused, and announces nothing.
		a.send(64, 2, dict{}, "wamp.session.count")
		a.expect(8, 64, 2, dict{}, v2.ErrInvalidURI, list{"the prefix wamp. is reserved for the router's own procedures"})

		for _, tc := range []struct {
			proc string
			args list
			want list
		}{
			{"wamp.registration.list", nil, list{dict{"exact": list{exact}, "prefix": list{}, "wildcard": list{wild}}}},
			{"wamp.registration.lookup", list{"com.example.p"}, list{exact}},
			{"wamp.registration.lookup", list{"com..p", dict{"match": "wildcard"}}, list{wild}},
			{"wamp.registration.lookup", list{"com..p"}, list{nil}},
			{"wamp.registration.match", list{"com.example.p"}, list{exact}},
			{"wamp.registration.match", list{"com.other.p"}, list{wild}},
			{"wamp.registration.match", list{"com.other.q"}, list{nil}},
			{"wamp.registration.get", list{exact}, list{details}},
			{"wamp.registration.get", list{wild}, list{wildDetails}},
			{"wamp.registration.list_callees", list{exact}, list{sortedIDs(a.ID, b.ID)}},
			{"wamp.registration.count_callees", list{exact}, list{2}},
		} {
			l.call(9, tc.proc, tc.args...)
			l.expectResult(9, tc.want...)
		}
		l.call(10, "wamp.registration.count_callees", 999)
		l.expectCallError(10, v2.ErrNoSuchRegistration, "no registration 999 in realm realm1 on this node")

		a.send(66, 3, exact)
		a.expect(67, 3)
		l.recvEvent(events["on_unregister"], dict{}, list{a.ID, exact}, nil)
		b.Close()
		l.recvEvent(events["on_unregister"], dict{}, list{b.ID, exact}, nil)
		l.recvEvent(events["on_delete"], dict{}, list{b.ID, exact}, nil)
		l.recvEvent(events["on_unregister"], dict{}, list{b.ID, wild}, nil)
		l.recvEvent(events["on_delete"], dict{}, list{b.ID, wild}, nil)
		l.call(11, "wamp.registration.list")
		l.expectResult(11, dict{"exact": list{}, "prefix": list{}, "wildcard": list{}})
		l.sync()
		a.sync()
	})
}

func TestV2MetaKill(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.MetaKill = true
	n := startNode(t, cfg)
	admin := joinV2(t, n.Addr(), value.JSON, "realm1")
	onLeave := admin.subscribe(1, dict{}, "wamp.session.on_leave")
	victims := map[value.Format]*v2Client{}
	for _, f := range v2Formats {
		victims[f] = joinV2(t, n.Addr(), f, "realm1")
	}
	w := dialWAMP(t, n.Addr())

	admin.call(2, "wamp.session.kill", admin.ID)
	admin.expectCallError(2, "wamp.error.no_such_session", fmt.Sprintf("no session %d in realm realm1 on this node", admin.ID))
	admin.send(48, 3, dict{}, "wamp.session.kill", list{victims[value.JSON].ID}, dict{"reason": "no uri"})
	admin.expectCallError(3, v2.ErrInvalidURI, `keyword argument "reason" must be a URI`)

	// v2 victims: GOODBYE with the reason (and message), then close 1000.
	for i, f := range v2Formats {
		v := victims[f]
		req := uint64(10 + i)
		if i == 0 {
			admin.call(req, "wamp.session.kill", v.ID)
		} else {
			admin.send(48, req, dict{}, "wamp.session.kill", list{v.ID}, dict{"reason": "com.example.maintenance", "message": "back soon"})
		}
		admin.expectResult(req)
		if i == 0 {
			v.expect(6, dict{}, "wamp.close.killed")
		} else {
			v.expect(6, dict{"message": "back soon"}, "com.example.maintenance")
		}
		v.expectClose(1000)
		v.Close()
		admin.recvEvent(onLeave, dict{}, list{v.ID, itoa(v.ID), "anonymous"}, nil)
		admin.call(req+10, "wamp.session.get", v.ID)
		admin.expectCallError(req+10, "wamp.error.no_such_session", fmt.Sprintf("no session %d in realm realm1 on this node", v.ID))
	}
	// A v1 victim: its connection is closed (1000).
	admin.call(20, "wamp.session.kill", v1ID(t, w))
	admin.expectResult(20)
	w.expectClose(1000)
	w.Close()
	admin.recvEvent(onLeave, dict{}, list{v1ID(t, w), w.ID, "anonymous"}, nil)

	// By authrole: everyone but the caller; by authid: nobody left.
	others := []*v2Client{joinV2(t, n.Addr(), value.CBOR, "realm1"), joinV2(t, n.Addr(), value.JSON, "realm1")}
	admin.call(21, "wamp.session.kill_by_authrole", "anonymous")
	admin.expectResult(21, 2)
	for _, o := range others {
		o.expect(6, dict{}, "wamp.close.killed")
		o.expectClose(1000)
	}
	admin.call(22, "wamp.session.kill_by_authid", itoa(others[0].ID))
	admin.expectResult(22, list{})
	admin.call(23, "wamp.session.count")
	admin.expectResult(23, 1)
	for _, o := range others {
		o.Close()
	}
	got := map[uint64]bool{}
	for range others {
		m := admin.recv()
		if len(m) != 5 || m[0] != int64(36) {
			t.Fatalf("want on_leave, got %v", m)
		}
		id, _ := m[4].(list)[0].(int64)
		got[uint64(id)] = true
	}
	if !got[others[0].ID] || !got[others[1].ID] {
		t.Fatalf("on_leave for %v, want %d and %d", got, others[0].ID, others[1].ID)
	}
	admin.sync()
}

// TestV2MetaReservedTopics: clients may not publish under wamp.: a v2
// PUBLISH with acknowledge gets ERROR wamp.error.invalid_uri, without it
// is dropped; a v1 PUBLISH is dropped. Listeners hear nothing.
func TestV2MetaReservedTopics(t *testing.T) {
	n := startNode(t, testConfig("epoll"))
	forEachFormat(t, func(t *testing.T, f value.Format) {
		topic := "wamp.session.on_fake_" + f.String()
		l := joinV2(t, n.Addr(), f, "realm1")
		l.subscribe(1, dict{}, topic)
		p := joinV2(t, n.Addr(), f, "realm1")
		p.send(16, 1, dict{"acknowledge": true}, topic, list{"spoofed"})
		p.expect(8, 16, 1, dict{}, v2.ErrInvalidURI, list{"the prefix wamp. is reserved for the router's own topics"})
		p.send(16, 2, dict{}, topic, list{"spoofed"})
		w := dialWAMP(t, n.Addr())
		w.publish(topic, `"spoofed"`)
		w.sync()
		p.sync()
		l.sync()
	})
}

// TestV2ClusterSessionMeta: the session events cross the peer links (a
// listener on one node hears the sessions of the other join and leave);
// the session procedures answer for the cluster; the subscription events
// stay on their node.
func TestV2ClusterSessionMeta(t *testing.T) {
	nodes := startCluster(t, freeAddrs(t, 2))
	l := joinV2(t, nodes[0].Addr(), value.JSON, "realm1")
	onJoin := l.subscribe(1, dict{}, "wamp.session.on_join")
	onLeave := l.subscribe(2, dict{}, "wamp.session.on_leave")
	l.subscribe(3, dict{}, "wamp.subscription.on_subscribe")
	waitSubscriptions(t, nodes[:1], 3)

	c := joinV2(t, nodes[1].Addr(), value.MsgPack, "realm1")
	l.recvEvent(onJoin, dict{}, list{sessionDetails(c.ID, v2.SubprotocolMsgPack)}, nil)
	w := dialWAMP(t, nodes[1].Addr())
	l.recvEvent(onJoin, dict{}, list{sessionDetails(v1ID(t, w), "wamp")}, nil)
	c.subscribe(1, dict{}, "com.example.t") // announced on node 1 only

	l.call(4, "wamp.session.get", c.ID)
	l.expectResult(4, sessionDetails(c.ID, v2.SubprotocolMsgPack))
	l.call(5, "wamp.session.count")
	l.expectResult(5, 3)

	c.send(6, dict{}, "wamp.close.close_realm")
	c.expect(6, dict{}, "wamp.close.goodbye_and_out")
	l.recvEvent(onLeave, dict{}, list{c.ID, itoa(c.ID), "anonymous"}, nil)
	w.Close()
	// The on_subscribe of node 1 would have come before these, in the
	// link's order.
	l.recvEvent(onLeave, dict{}, list{v1ID(t, w), w.ID, "anonymous"}, nil)
	l.sync()
	for _, nd := range nodes {
		for _, lk := range nd.Stats().Cluster.Links {
			if lk.Dropped != 0 || lk.Lost != 0 || lk.Duplicates != 0 {
				t.Errorf("node %s link %+v", nd.Addr(), lk)
			}
		}
	}
}
