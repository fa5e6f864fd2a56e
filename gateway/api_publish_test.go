package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// POST /api/publish over real sockets: exact EVENT frames to v1 and v2
// subscribers, exclude and eligible, the publish hooks, realms, retained
// events, and a three-node cluster.

func TestAPIPublishReachesV1AndV2Subscribers(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		const topic = "com.example.price"
		n := startNode(t, apiConfig("epoll", tg))
		v1 := dialWAMP(t, n.Addr())
		v1.subscribe(topic)
		type v2Sub struct {
			c   *v2Client
			sub uint64
		}
		var v2s []v2Sub
		for _, f := range v2Formats {
			c := joinV2(t, n.Addr(), f, "realm1")
			v2s = append(v2s, v2Sub{c, c.subscribe(1, dict{}, topic)})
		}
		api := newAPIClient(t, tg.addr(n))
		for _, tc := range []struct {
			body, v1Event string
			args          list
			kwargs        dict
		}{
			{`{"topic":"com.example.price","args":[{"item":7,"price":12.5},"EUR"],"kwargs":{"by":"backend"}}`,
				`{"item":7,"price":12.5}`, list{dict{"item": 7, "price": 12.5}, "EUR"}, dict{"by": "backend"}},
			{`{"topic":"com.example.price","kwargs":{"only":"kwargs"}}`, `{"only":"kwargs"}`, nil, dict{"only": "kwargs"}},
			{`{"topic":"com.example.price","args":[]}`, `null`, list{}, nil},
			{`{"topic":"com.example.price","args":null,"kwargs":[]}`, `null`, nil, nil},
			{"{\n  \"topic\": \"com.example.price\",\n  \"args\": [ \"caf\\u00e9\", [1, 2] ]\n}", `"caf\u00e9"`, list{"café", list{1, 2}}, nil},
		} {
			id := api.post("/api/publish", tc.body).publication(t)
			v1.expectEvent(topic, tc.v1Event)
			for _, s := range v2s {
				if s.c.f == value.JSON && len(tc.args) == 2 && tc.args[0] == "café" {
					// v2 JSON subscribers get the arguments as sent, compacted.
					if got, want := string(s.c.next()), fmt.Sprintf(`[36,%d,%d,{},["caf\u00e9",[1,2]]]`, s.sub, id); got != want {
						t.Fatalf("got %s\nwant %s", got, want)
					}
					continue
				}
				s.c.expectEvent(s.sub, id, dict{}, tc.args, tc.kwargs)
			}
		}
		v1.sync()
		for _, s := range v2s {
			s.c.sync()
		}
	})
}

func TestAPIPublishHonoursExcludeAndEligible(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		const topic = "com.example.bids"
		n := startNode(t, apiConfig("epoll", tg))
		a, b := dialWAMP(t, n.Addr()), dialWAMP(t, n.Addr())
		a.subscribe(topic)
		b.subscribe(topic)
		c := joinV2(t, n.Addr(), value.MsgPack, "realm1")
		sub := c.subscribe(1, dict{}, topic)
		api := newAPIClient(t, tg.addr(n))
		publish := func(event, filters string) uint64 {
			return api.post("/api/publish", fmt.Sprintf(`{"topic":%q,"args":[%q]%s}`, topic, event, filters)).publication(t)
		}
		// v1 ids as the WELCOME sends them (strings) or as numbers, v2 ids
		// as numbers.
		publish("e1", fmt.Sprintf(`,"exclude":[%q,%d]`, a.ID, c.ID))                              // b only
		publish("e2", fmt.Sprintf(`,"eligible":[%s]`, a.ID))                                      // a only
		id3 := publish("e3", fmt.Sprintf(`,"exclude":[%s],"eligible":[%s,%d]`, b.ID, b.ID, c.ID)) // c only
		id4 := publish("e4", `,"exclude":[],"eligible":[]`)                                       // everyone
		b.expectEvent(topic, `"e1"`)
		a.expectEvent(topic, `"e2"`)
		c.expectEvent(sub, id3, dict{}, list{"e3"}, nil)
		a.expectEvent(topic, `"e4"`)
		b.expectEvent(topic, `"e4"`)
		c.expectEvent(sub, id4, dict{}, list{"e4"}, nil)
		a.sync()
		b.sync()
		c.sync()
	})
}

// apiHooks records the sessions the publish hook sees and vetoes some
// topics.
type apiHooks struct {
	wamp.BaseHandler
	mu   sync.Mutex
	seen []string // authid/authrole/authmethod/protocol of each publisher
}

func (h *apiHooks) OnPublish(p wamp.Peer, pub *wamp.Publication) error {
	s := p.(*wamp.Session)
	h.mu.Lock()
	h.seen = append(h.seen, s.AuthID()+"/"+s.AuthRole()+"/"+s.AuthMethod()+"/"+s.Protocol())
	h.mu.Unlock()
	switch pub.Topic {
	case "com.example.closed":
		return &wamp.URIError{URI: "com.example.error.bidding_closed", Message: "bidding is closed"}
	case "com.example.denied":
		return errors.New("no")
	case "com.example.rewritten":
		pub.SetEvent([]byte(`"rewritten"`))
	}
	return nil
}

func TestAPIPublishGoesThroughThePublishHooks(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		cfg := apiConfig("epoll", tg)
		hooks := &apiHooks{}
		cfg.Handler = hooks
		n := startNode(t, cfg)
		v1 := dialWAMP(t, n.Addr())
		for _, topic := range []string{"com.example.closed", "com.example.denied", "com.example.rewritten"} {
			v1.subscribe(topic)
		}
		api := newAPIClient(t, tg.addr(n))
		api.post("/api/publish", `{"topic":"com.example.closed","args":["bid"]}`).expect(t, http.StatusForbidden,
			errorBody("com.example.error.bidding_closed", "bidding is closed"))
		api.post("/api/publish", `{"topic":"com.example.denied","args":["bid"]}`).expect(t, http.StatusForbidden,
			errorBody("wamp.error.not_authorized", `the publication was refused: wamp: publish to "com.example.denied" vetoed: no`))
		api.post("/api/publish", `{"topic":"com.example.rewritten","args":["bid"]}`).publication(t)
		v1.expectEvent("com.example.rewritten", `"rewritten"`)
		v1.sync()
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		for _, s := range hooks.seen {
			if s != "api/api/apikey/http-api" {
				t.Fatalf("the hook saw %q, want the API's session", s)
			}
		}
		if len(hooks.seen) != 3 {
			t.Fatalf("the hook ran %d times", len(hooks.seen))
		}
	})
}

func TestAPIPublishToRealmsAndRetained(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		cfg := apiConfig("epoll", tg)
		cfg.Realms = []string{"realm1", "com.example.admin"}
		n := startNode(t, cfg)
		inRealm1 := joinV2(t, n.Addr(), value.JSON, "realm1")
		sub1 := inRealm1.subscribe(1, dict{}, "com.example.t")
		inAdmin := joinV2(t, n.Addr(), value.CBOR, "com.example.admin")
		subA := inAdmin.subscribe(1, dict{}, "com.example.t")
		api := newAPIClient(t, tg.addr(n))
		id := api.post("/api/publish", `{"topic":"com.example.t","args":["admin"],"realm":"com.example.admin","retain":true}`).publication(t)
		inAdmin.expectEvent(subA, id, dict{}, list{"admin"}, nil)
		id1 := api.post("/api/publish", `{"topic":"com.example.t","args":["default"]}`).publication(t)
		inRealm1.expectEvent(sub1, id1, dict{}, list{"default"}, nil)
		inAdmin.sync()
		// The retained event goes to a new subscriber that asks for it.
		late := joinV2(t, n.Addr(), value.JSON, "com.example.admin")
		late.send(32, 1, dict{"get_retained": true}, "com.example.t")
		m := late.recv()
		if len(m) != 3 || m[0] != int64(33) {
			t.Fatalf("want SUBSCRIBED, got %v", m)
		}
		late.expectEvent(uint64(m[2].(int64)), id, dict{"retained": true}, list{"admin"}, nil)
	})
}

// A publication through the API reaches v1 and v2 subscribers on every
// node of a three-node cluster, once, with its filters applied there.
func TestAPIPublishAcrossTheCluster(t *testing.T) {
	const topic = "com.example.cluster.api"
	pool := freeAddrs(t, 3)
	nodes := make([]*Node, len(pool))
	for i := range pool {
		cfg := clusterConfig(pool, i, testSecret)
		if i == 0 {
			cfg.APIKeys = [][]byte{[]byte(testAPIKey)}
			cfg.APIListen = "127.0.0.1:0"
		}
		nodes[i] = startNode(t, cfg)
	}
	for _, n := range nodes {
		waitLinksUp(t, n, len(pool)-1)
	}
	var v1s []*wampClient
	type v2Sub struct {
		c   *v2Client
		sub uint64
	}
	var v2s []v2Sub
	for i, n := range nodes {
		w := dialWAMP(t, n.Addr())
		w.subscribe(topic)
		v1s = append(v1s, w)
		c := joinV2(t, n.Addr(), v2Formats[i], "realm1")
		v2s = append(v2s, v2Sub{c, c.subscribe(1, dict{}, topic)})
	}
	for _, tg := range apiTargets {
		api := newAPIClient(t, tg.addr(nodes[0]))
		id := api.post("/api/publish", `{"topic":"`+topic+`","args":["`+string(tg)+`"],"kwargs":{"n":1}}`).publication(t)
		for i := range nodes {
			v1s[i].expectEvent(topic, `"`+string(tg)+`"`)
			v2s[i].c.expectEvent(v2s[i].sub, id, dict{}, list{string(tg)}, dict{"n": 1})
		}
		// Excluded on node 1 (v1) and node 2 (v2), eligible elsewhere.
		id = api.post("/api/publish", fmt.Sprintf(`{"topic":%q,"args":["filtered"],"exclude":[%q,%d]}`,
			topic, v1s[1].ID, v2s[2].c.ID)).publication(t)
		for i := range nodes {
			if i != 1 {
				v1s[i].expectEvent(topic, `"filtered"`)
			}
			if i != 2 {
				v2s[i].c.expectEvent(v2s[i].sub, id, dict{}, list{"filtered"}, nil)
			}
		}
	}
	for i := range nodes {
		v1s[i].sync()
		v2s[i].c.sync()
	}
}
