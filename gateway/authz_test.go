package gateway

// Authorization over real sockets, exact frames: roles deciding every v2
// and v1 operation, and the authid/authrole publication filters on one
// node and across a cluster. Sessions are anonymous until authentication
// lands, so sessions with other roles are made through the core API
// (Realm.NewSession with a wamp.Auth) on recording connections.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/authz"
	"github.com/wampgate/wampgate/wamp"
	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// testRoles are the roles of the authorization tests: anonymous may do
// anything under open. but nothing on open.locked, and call
// wamp.session.count; trader may publish and subscribe under price.
func testRoles(t testing.TB) *authz.Roles {
	t.Helper()
	all := []wamp.Action{wamp.ActionSubscribe, wamp.ActionPublish, wamp.ActionCall, wamp.ActionRegister}
	roles, err := authz.New(map[string][]authz.Rule{
		"anonymous": {
			{URI: "open.", Match: wamp.MatchPrefix, Allow: all},
			{URI: "open.locked", Allow: nil},
			{URI: "wamp.session.count", Allow: []wamp.Action{wamp.ActionCall}},
			{URI: "http://example.com/", Match: wamp.MatchPrefix, Allow: []wamp.Action{wamp.ActionSubscribe, wamp.ActionPublish}},
		},
		"trader": {{URI: "price.", Match: wamp.MatchPrefix, Allow: []wamp.Action{wamp.ActionSubscribe, wamp.ActionPublish}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return roles
}

// notAuthorizedV2 is the ERROR answering request req of type reqType.
func notAuthorizedV2(reqType int, req uint64, text string) []any {
	return list{8, reqType, req, dict{}, "wamp.error.not_authorized", list{text}}
}

func TestRolesDecideV2Operations(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.Roles = testRoles(t)
	n := startNode(t, cfg)
	t.Run("formats", func(t *testing.T) { forEachFormat(t, func(t *testing.T, f value.Format) { v2Operations(t, n, f) }) })
	st := n.Stats().WAMP.Unauthorized
	if want := (unauthorizedStats{Subscribe: 12, Publish: 6, Call: 6, Register: 6}); st != want {
		t.Fatalf("/healthz wamp.unauthorized %+v, want %+v", st, want)
	}
}

// v2Operations runs every operation of TestRolesDecideV2Operations in
// serializer f, on topics and procedures of its own.
func v2Operations(t *testing.T, n *Node, f value.Format) {
	c, other := joinRPC(t, n.Addr(), f), joinRPC(t, n.Addr(), f)
	open := "open." + f.String()

	// SUBSCRIBE: exact, and patterns only when every topic they
	// reach is allowed.
	c.send(32, 1, dict{}, "closed.t")
	c.expect(notAuthorizedV2(32, 1, `role "anonymous" is not authorized to subscribe "closed.t"`)...)
	c.send(32, 2, dict{"match": "prefix"}, "open.")
	c.expect(notAuthorizedV2(32, 2, `role "anonymous" is not authorized to subscribe prefix "open."`)...)
	c.send(32, 3, dict{"match": "wildcard"}, "open.")
	c.expect(notAuthorizedV2(32, 3, `role "anonymous" is not authorized to subscribe wildcard "open."`)...)
	c.send(32, 4, dict{}, "open.locked")
	c.expect(notAuthorizedV2(32, 4, `role "anonymous" is not authorized to subscribe "open.locked"`)...)
	sub := c.subscribe(5, dict{}, open+".t")
	psub := c.subscribe(6, dict{"match": "prefix"}, open+".x.")

	// PUBLISH: refused with acknowledge → ERROR; without → dropped.
	other.send(16, 1, dict{"acknowledge": true}, "closed.t", list{"no"})
	other.expect(notAuthorizedV2(16, 1, `role "anonymous" is not authorized to publish "closed.t"`)...)
	other.send(16, 2, dict{}, "open.locked", list{"no"})
	other.sync()
	pub := other.publishAck(3, dict{}, open+".t", list{"yes"}, nil)
	c.expectEvent(sub, pub, dict{}, list{"yes"}, nil)
	pub = other.publishAck(4, dict{}, open+".x.y", list{"yes"}, nil)
	c.expectEvent(psub, pub, dict{"topic": open + ".x.y"}, list{"yes"}, nil)

	// REGISTER and CALL, the meta procedures included.
	c.send(64, 7, dict{}, "closed.p")
	c.expect(notAuthorizedV2(64, 7, `role "anonymous" is not authorized to register "closed.p"`)...)
	c.send(64, 8, dict{"match": "prefix"}, "open.")
	c.expect(notAuthorizedV2(64, 8, `role "anonymous" is not authorized to register prefix "open."`)...)
	reg := c.register(9, dict{}, open+".p")
	other.send(48, 5, dict{}, "closed.p", list{1})
	other.expect(notAuthorizedV2(48, 5, `role "anonymous" is not authorized to call "closed.p"`)...)
	other.send(48, 6, dict{}, "wamp.session.list")
	other.expect(notAuthorizedV2(48, 6, `role "anonymous" is not authorized to call "wamp.session.list"`)...)
	other.send(48, 7, dict{}, open+".p", list{1})
	c.expect(68, 1, reg, dict{}, list{1})
	c.send(70, 1, dict{}, list{2})
	other.expect(50, 7, dict{}, list{2})
	other.send(48, 8, dict{}, "wamp.session.count")
	if m := other.recv(); len(m) != 4 || m[0] != int64(50) || m[1] != int64(8) {
		t.Fatalf("wamp.session.count: %v", m)
	}
	c.sync()
	other.sync()
}

func TestRolesDecideV1Operations(t *testing.T) {
	cfg := testConfig("epoll")
	cfg.Roles = testRoles(t)
	n := startNode(t, cfg)
	w, allowed := dialWAMP(t, n.Addr()), dialWAMP(t, n.Addr())
	allowed.subscribe("http://example.com/t")

	// A refused SUBSCRIBE subscribes nothing (v1 has no error for it); a
	// CURIE is resolved before the check.
	w.send(`[1,"calc","http://example.com/calc#"]`)
	w.subscribe("closed.t")
	w.subscribe("calc:add")
	allowed.publish("closed.t", `"not for w"`)
	allowed.publish("http://example.com/calc#add", `"for w"`)
	w.expectEvent("http://example.com/calc#add", `"for w"`)
	allowed.sync()
	w.sync()
	// A refused PUBLISH is dropped.
	w.publish("closed.t", `"dropped"`)
	w.publish("http://example.com/t", `"delivered"`)
	allowed.expectEvent("http://example.com/t", `"delivered"`)
	allowed.sync()
	// A refused CALL gets CALLERROR wamp.error.not_authorized (a CURIE
	// resolved first); an allowed one reaches the handler.
	w.send(`[2,"c1","calc:add",1,2]`)
	w.expectText(`[4,"c1","wamp.error.not_authorized","role \"anonymous\" is not authorized to call \"http:\/\/example.com\/calc#add\""]`)
	w.send(`[2,"c2","wamp.session.count"]`)
	w.expectText(`[3,"c2",2]`)
	w.send(`[2,"c3","open.nobody"]`)
	w.expectText(`[4,"c3","wamp.error.no_such_procedure","no procedure open.nobody is registered on this node"]`)
	w.sync()
	st := n.Stats()
	if want := (unauthorizedStats{Subscribe: 1, Publish: 2, Call: 1}); st.WAMP.Unauthorized != want {
		t.Fatalf("/healthz wamp.unauthorized %+v, want %+v", st.WAMP.Unauthorized, want)
	}
	if st.WAMP.Subscriptions != 2 {
		t.Fatalf("%d subscriptions, want 2", st.WAMP.Subscriptions)
	}
}

// coreMember is a session made through the core API with an authid and
// authrole, subscribed to a topic, on a recording connection.
type coreMember struct {
	name string
	s    *wamp.Session
	c    *wamptest.Conn
}

var coreProto = v2.NewProtocol(value.JSON, testLogger())

// joinCore joins a JSON v2 core session with authid and authrole to
// realm1 of n and subscribes it to topic.
func joinCore(t *testing.T, n *Node, name, authid, authrole, topic string) *coreMember {
	t.Helper()
	c := wamptest.NewConn("core:1")
	s := n.Router().Realm("realm1").NewSession(c, &coreProto.Protocol, &wamp.Auth{ID: authid, Role: authrole, Method: "ticket", Provider: "test"})
	s.Join()
	t.Cleanup(s.Leave)
	if _, _, err := s.Subscribe(topic, wamp.MatchExact); err != nil {
		t.Fatal(err)
	}
	return &coreMember{name: name, s: s, c: c}
}

// eventsUntil collects the first argument of the EVENTs the member gets
// until one is barrier (excluded).
func (m *coreMember) eventsUntil(t *testing.T, barrier string) []string {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(waitLong); ; time.Sleep(2 * time.Millisecond) {
		for _, msg := range m.c.Take() {
			v, err := value.Decode(value.JSON, []byte(msg))
			ev, _ := v.(list)
			if err != nil || len(ev) != 5 || ev[0] != int64(36) {
				t.Fatalf("%s: not an EVENT: %s", m.name, msg)
			}
			arg := ev[4].(list)[0].(string)
			if arg == barrier {
				return got
			}
			got = append(got, arg)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q after %q", m.name, barrier, got)
		}
	}
}

// socketEventsUntil is eventsUntil for a v2 socket subscriber.
func socketEventsUntil(c *v2Client, sub uint64, barrier string) []string {
	var got []string
	for {
		arg := c.nextEventArg(sub, dict{})
		if arg == barrier {
			return got
		}
		got = append(got, arg)
	}
}

func TestAuthFiltersOnANode(t *testing.T) {
	const topic = "com.example.filters"
	n := startNode(t, testConfig("epoll"))
	members := []*coreMember{
		joinCore(t, n, "alice", "alice", "trader", topic),
		joinCore(t, n, "bob", "bob", "trader", topic),
		joinCore(t, n, "carol", "carol", "viewer", topic),
	}
	for _, f := range v2Formats { // one after the other: the core members are shared
		pub, sock := joinV2(t, n.Addr(), f, "realm1"), joinV2(t, n.Addr(), f, "realm1")
		sub := sock.subscribe(1, dict{}, topic)
		v1 := dialWAMP(t, n.Addr())
		v1.subscribe(topic)
		sockID := itoa(sock.ID)
		for i, tc := range []struct {
			opts dict
			want []string // of alice, bob, carol, sock, v1
		}{
			{dict{"eligible_authrole": list{"trader"}}, []string{"alice", "bob"}},
			{dict{"exclude_authrole": list{"trader"}}, []string{"carol", "sock", "v1"}},
			{dict{"eligible_authid": list{"carol", sockID}}, []string{"carol", "sock"}},
			{dict{"exclude_authid": list{"alice", sockID}, "exclude_authrole": list{"anonymous"}}, []string{"bob", "carol"}},
			{dict{"eligible_authrole": list{"trader", "anonymous"}, "exclude_authid": list{"bob"}}, []string{"alice", "sock", "v1"}},
			{dict{"eligible_authid": list{}}, []string{"alice", "bob", "carol", "sock", "v1"}}, // an empty list filters nothing
		} {
			ev := f.String() + " " + strings.Repeat("x", i+1)
			pub.publishAck(uint64(10+i), tc.opts, topic, list{ev}, nil)
			barrier := ev + " barrier"
			pub.publishAck(uint64(100+i), dict{}, topic, list{barrier}, nil)
			var got []string
			for _, m := range members {
				if evs := m.eventsUntil(t, barrier); slices.Contains(evs, ev) {
					got = append(got, m.name)
				}
			}
			if evs := socketEventsUntil(sock, sub, barrier); slices.Contains(evs, ev) {
				got = append(got, "sock")
			}
			for arg := v1.nextEventArg(); arg != barrier; arg = v1.nextEventArg() {
				if arg == ev {
					got = append(got, "v1")
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%v: delivered to %q, want %q", tc.opts, got, tc.want)
			}
		}
		// A filter that is not a list of strings.
		pub.send(16, 50, dict{"acknowledge": true, "eligible_authrole": "trader"}, topic, list{"bad"})
		pub.expect(8, 16, 50, dict{}, "wamp.error.invalid_argument", list{`option "eligible_authrole" must be a list of strings`})
		pub.send(16, 51, dict{"acknowledge": true, "exclude_authid": list{"a", 1}}, topic, list{"bad"})
		pub.expect(8, 16, 51, dict{}, "wamp.error.invalid_argument", list{`option "exclude_authid" must be a list of strings`})
		// disclose_me: the publisher's id, authid and authrole.
		p := pub.publishAck(52, dict{"disclose_me": true}, topic, list{"disclosed"}, nil)
		sock.expectEvent(sub, p, dict{"publisher": pub.ID, "publisher_authid": itoa(pub.ID), "publisher_authrole": "anonymous"}, list{"disclosed"}, nil)
		v1.expectEvent(topic, `"disclosed"`)
	}
}

// authOf returns p.Auth, making it when nil.
func authOf(p *wamp.Publication) *wamp.PublicationAuth {
	if p.Auth == nil {
		p.Auth = &wamp.PublicationAuth{}
	}
	return p.Auth
}

// TestAuthFiltersAcrossACluster: the relay carries the filters and the
// publisher's identity, so sessions on every node of a 3-node cluster are
// filtered alike and see the same disclosed publisher.
func TestAuthFiltersAcrossACluster(t *testing.T) {
	const topic = "com.example.cluster.filters"
	nodes := startCluster(t, freeAddrs(t, 3))
	var members []*coreMember
	var socks []*v2Client
	var subs []uint64
	for i, n := range nodes {
		node := string(rune('0' + i))
		members = append(members,
			joinCore(t, n, "trader"+node, "alice"+node, "trader", topic),
			joinCore(t, n, "viewer"+node, "bob"+node, "viewer", topic))
		c := joinV2(t, n.Addr(), value.MsgPack, "realm1")
		socks, subs = append(socks, c), append(subs, c.subscribe(1, dict{}, topic))
	}
	// The publisher: a trader with an authid, on node 0, through the
	// core API.
	pubConn := wamptest.NewConn("core:2")
	publisher := nodes[0].Router().Realm("realm1").NewSession(pubConn, &coreProto.Protocol, &wamp.Auth{ID: "pat", Role: "trader"})
	publisher.Join()
	t.Cleanup(publisher.Leave)
	publish := func(arg string, set func(p *wamp.Publication)) *wamp.Publication {
		p := &wamp.Publication{Topic: topic, Args: wamp.Payload{Raw: []byte(`["` + arg + `"]`), Format: value.JSON}}
		set(p)
		if err := publisher.Publish(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i, tc := range []struct {
		set  func(p *wamp.Publication)
		want []string
	}{
		{func(p *wamp.Publication) { authOf(p).EligibleAuthRole = []string{"trader"} }, []string{"trader0", "trader1", "trader2"}},
		{func(p *wamp.Publication) { authOf(p).ExcludeAuthRole = []string{"trader", "anonymous"} }, []string{"viewer0", "viewer1", "viewer2"}},
		{func(p *wamp.Publication) { authOf(p).EligibleAuthID = []string{"alice2", "bob1", itoa(socks[0].ID)} },
			[]string{"viewer1", "trader2", "sock0"}},
		{func(p *wamp.Publication) {
			authOf(p).ExcludeAuthID = []string{"alice1"}
			authOf(p).EligibleAuthRole = []string{"trader"}
		},
			[]string{"trader0", "trader2"}},
	} {
		ev := "filtered " + strings.Repeat("x", i+1)
		publish(ev, tc.set)
		barrier := ev + " barrier"
		publish(barrier, func(*wamp.Publication) {})
		var got []string
		for _, m := range members {
			if slices.Contains(m.eventsUntil(t, barrier), ev) {
				got = append(got, m.name)
			}
		}
		for j, c := range socks {
			if slices.Contains(socketEventsUntil(c, subs[j], barrier), ev) {
				got = append(got, "sock"+string(rune('0'+j)))
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			t.Errorf("publication %d: delivered to %q, want %q", i, got, want)
		}
	}
	p := publish("disclosed", func(p *wamp.Publication) { p.DiscloseMe = true })
	for j, c := range socks {
		c.expectEvent(subs[j], uint64(p.ID), dict{"publisher": uint64(publisher.ID()), "publisher_authid": "pat", "publisher_authrole": "trader"},
			list{"disclosed"}, nil)
	}
}
