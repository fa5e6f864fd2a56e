package gateway

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/hooks"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// holdFirst answers the first hook request only once release is closed.
func holdFirst(release chan struct{}) func(path, body string) string {
	first := true
	return func(_, _ string) string {
		if first {
			first = false
			<-release
		}
		return `{"result":{}}`
	}
}

func TestHookOrderBehindHookInFlight(t *testing.T) {
	release := make(chan struct{})
	hs := newHookServer(t, holdFirst(release))
	n := startNode(t, hookConfig(hs.URL, hooks.Config{Publish: []string{"hooked."}}))
	sub := dialWAMP(t, n.Addr())
	sub.subscribe("hooked.a")
	sub.subscribe("plain.b")
	pub := dialWAMP(t, n.Addr())
	pub.publish("hooked.a", `1`)
	hs.next() // the hook holds the first publication
	pub.publish("plain.b", `2`)
	pub.sync() // the node has read the second one
	if err := sub.ExpectNoFrame(waitQuiet); err != nil {
		t.Fatalf("a publication overtook the one its hook holds: %v", err)
	}
	close(release)
	sub.expectEvent("hooked.a", `1`)
	sub.expectEvent("plain.b", `2`)
}

func TestHookTooManyWaiting(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hs := newHookServer(t, holdFirst(release))
	n := startNode(t, hookConfig(hs.URL, hooks.Config{Publish: []string{"*"}}))
	pub := dialWAMP(t, n.Addr())
	other := dialWAMP(t, n.Addr())
	pub.publish("t", `0`)
	hs.next()
	for i := range wamp.MaxOpsWaiting + 1 {
		if err := pub.SendText(fmt.Sprintf(`[7,"t",%d]`, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	code, reason, err := pub.ExpectClose(waitLong)
	if err != nil || code != 1008 || reason != wamp.OpsWaitingReason {
		t.Fatalf("close %d %q %v, want 1008 %q", code, reason, err, wamp.OpsWaitingReason)
	}
	other.sync() // other sessions are not affected
}

func TestHookSubscribe(t *testing.T) {
	hs := newHookServer(t, func(_, body string) string {
		if strings.Contains(body, `"topic":"secret`) {
			return `{"error":{"uri":"app.error.forbidden","message":"members only"}}`
		}
		return `{"result":{}}`
	})
	n := startNode(t, hookConfig(hs.URL, hooks.Config{Subscribe: []string{"*"}}))
	c := joinV2(t, n.Addr(), value.JSON, "realm1")
	c.send(32, 1, dict{"match": "prefix"}, "open.")
	hs.expect("/subscribe", fmt.Sprintf(`{"session":%d,"protocol":"wamp.2.json","realm":"realm1","authid":"%d","authrole":"anonymous","node":"%s","remote":"%s","topic":"open.","match":"prefix"}`,
		c.ID, c.ID, n.Addr(), c.Conn().LocalAddr()))
	if m := c.recv(); m[0] != int64(33) || m[1] != int64(1) {
		t.Fatalf("want SUBSCRIBED, got %v", m)
	}
	c.send(32, 2, dict{}, "secret.x")
	hs.next()
	c.expect(8, 32, 2, dict{}, "app.error.forbidden", list{"members only"})

	v1 := dialWAMP(t, n.Addr())
	v1.subscribe("secret.x")
	hs.next()
	v1.sync()
	p := joinV2(t, n.Addr(), value.JSON, "realm1")
	p.publishAck(1, dict{}, "secret.x", list{1}, nil)
	v1.sync() // refused: nothing subscribed, no event
}

func TestHookFailures(t *testing.T) {
	closed := newHookServer(t, nil)
	refusedURL := closed.URL
	closed.Close()
	for _, policy := range []hooks.Policy{hooks.Deny, hooks.Allow} {
		for _, tc := range []struct {
			name, answer string
			reason       string
		}{
			{"status", "500 boom", "status"},
			{"junk", `{"result":[]}`, "junk"},
			{"timeout", "hold", "timeout"},
			{"refused", "", "refused"},
		} {
			t.Run(policy.String()+"/"+tc.name, func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				url := refusedURL
				if tc.name != "refused" {
					hs := newHookServer(t, func(_, _ string) string {
						if tc.answer == "hold" {
							<-release
							return `{"result":{}}`
						}
						return tc.answer
					})
					url = hs.URL
				}
				n := startNode(t, hookConfig(url, hooks.Config{Publish: []string{"*"}, Call: []string{"*"},
					Timeout: 100 * time.Millisecond, Failure: policy}))
				c := joinV2(t, n.Addr(), value.JSON, "realm1")
				c.send(publishMsg(1, dict{"acknowledge": true}, "t", list{1}, nil)...)
				m := c.recv()
				if policy == hooks.Deny {
					c.expectDecoded(m, 8, 16, 1, dict{}, hooks.ErrorHookFailed, list{"hook unavailable"})
				} else if m[0] != int64(17) {
					t.Fatalf("want PUBLISHED, got %v", m)
				}
				c.send(48, 2, dict{}, "proc")
				m = c.recv()
				if policy == hooks.Deny {
					c.expectDecoded(m, 8, 48, 2, dict{}, hooks.ErrorHookFailed, list{"hook unavailable"})
				} else {
					c.expectDecoded(m, 8, 48, 2, dict{}, "wamp.error.no_such_procedure", list{"no procedure proc is registered on this node"})
				}
				st := n.Stats().Hooks
				if st == nil || st.Kinds["publish"].Failures[tc.reason] != 1 || st.Kinds["call"].Failures[tc.reason] != 1 {
					t.Fatalf("hooks stats %+v, want one %s failure per kind", st, tc.reason)
				}
			})
		}
	}
}

func TestHookCall(t *testing.T) {
	release := make(chan struct{})
	hs := newHookServer(t, func(_, body string) string {
		switch {
		case strings.Contains(body, `"procedure":"app.add"`):
			return `{"result":{"args":[3],"kwargs":{"sum":3}}}`
		case strings.Contains(body, `"procedure":"app.slow"`):
			<-release
			return `{"result":{"args":["late"]}}`
		}
		return `{"error":{"uri":"app.error.bad","message":"bad call","args":[7],"kwargs":{"why":"x"}}}`
	})
	defer close(release)
	n := startNode(t, hookConfig(hs.URL, hooks.Config{Call: []string{"app."}}))
	c := joinV2(t, n.Addr(), value.JSON, "realm1")
	c.send(48, 1, dict{}, "app.add", list{1, 2}, dict{"x": true})
	hs.expect("/call", fmt.Sprintf(`{"session":%d,"protocol":"wamp.2.json","realm":"realm1","authid":"%d","authrole":"anonymous","node":"%s","remote":"%s","procedure":"app.add","args":[1,2],"kwargs":{"x":true}}`,
		c.ID, c.ID, n.Addr(), c.Conn().LocalAddr()))
	c.expect(50, 1, dict{}, list{3}, dict{"sum": 3})
	c.send(48, 2, dict{}, "app.other")
	hs.next()
	c.expect(8, 48, 2, dict{}, "app.error.bad", list{"bad call", 7}, dict{"why": "x"})
	c.send(48, 3, dict{}, "app.slow")
	hs.next()
	c.send(49, 3, dict{})
	c.expect(8, 48, 3, dict{}, "wamp.error.canceled", list{"the call was canceled"})
	c.send(48, 4, dict{"timeout": 50}, "app.slow")
	c.expect(8, 48, 4, dict{}, "wamp.error.timeout", list{"the call timed out"})

	v1 := dialWAMP(t, n.Addr())
	v1.send(`[2,"c1","app.add",1,2]`)
	hs.next()
	v1.expectText(`[3,"c1",3]`)
	v1.send(`[2,"c2","app.other"]`)
	hs.next()
	v1.expectText(`[4,"c2","app.error.bad","bad call",{"why":"x"}]`)
}

func TestHookSessionClosedInFlight(t *testing.T) {
	release := make(chan struct{})
	hs := newHookServer(t, func(_, body string) string {
		if strings.Contains(body, `"args":["hold"]`) {
			<-release
		}
		return `{"result":{}}`
	})
	n := startNode(t, hookConfig(hs.URL, hooks.Config{Publish: []string{"*"}}))
	warm := dialWAMP(t, n.Addr()) // one kept-alive connection to the app
	warm.publish("t", `"warm"`)
	hs.next()
	warm.sync()
	waitHooksIdle(t, n)
	before := runtime.NumGoroutine()
	pub := dialWAMP(t, n.Addr())
	pub.publish("t", `"hold"`)
	hs.next()
	for range 10 {
		pub.publish("t", `2`)
	}
	pub.Close()
	for deadline := time.Now().Add(waitLong); n.Router().Stats().Sessions > 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the closed session did not leave")
		}
	}
	close(release)
	waitHooksIdle(t, n)
	deadline := time.Now().Add(waitLong)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := n.Stats().Hooks.Kinds["publish"].Requests; got != 2 {
		t.Fatalf("%d publish hook requests, want 2 (the ones waiting behind are dropped)", got)
	}
}

// waitHooksIdle waits until n has no hook request in flight or queued.
func waitHooksIdle(t testing.TB, n *Node) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for st := n.Stats().Hooks; st.InFlight+st.Queued > 0; st = n.Stats().Hooks {
		if time.Now().After(deadline) {
			t.Fatalf("hooks %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
