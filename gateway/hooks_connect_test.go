package gateway

import (
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/hooks"
	"github.com/wampgate/wampgate/internal/wstest"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// connectScript answers connect hooks by the cookie or the ticket:
// alice is admitted as a trader, anyone else refused.
func connectScript(path, body string) string {
	switch {
	case path != "/connect":
		return `{"result":{}}`
	case strings.Contains(body, `"Cookie":"sid=alice"`), strings.Contains(body, `"ticket":"alice-ticket"`):
		return `{"result":{"authid":"alice","authrole":"trader","extra":{"room":7,"tags":["a"]}}}`
	}
	return `{"error":{"uri":"app.error.unknown_user","message":"who are you?"}}`
}

// want403 sends the upgrade request req and requires exactly the node's
// 403 with body (no 101 before it), then the node closing TCP.
func want403(t testing.TB, addr string, req *wstest.Request, body string) {
	t.Helper()
	c, err := wstest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Handshake(req.Bytes(), waitLong)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	got, err := c.ReadBody(resp, waitLong)
	if err != nil {
		t.Fatalf("403 body: %v", err)
	}
	want := "HTTP/1.1 403 Forbidden\r\nServer: wampgate/" + Version + "\r\nConnection: close\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if string(resp.Raw)+string(got) != want {
		t.Fatalf("response\n%q\nwant\n%q", string(resp.Raw)+string(got), want)
	}
	if _, err := c.ReadAll(waitLong); err != nil {
		t.Fatalf("the node did not close after its 403: %v", err)
	}
}

// connectV1 upgrades with req and reads the WELCOME.
func connectV1(t testing.TB, addr string, req *wstest.Request) *wampClient {
	t.Helper()
	c, err := wstest.Connect(addr, req)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	msg, err := c.ReadText(waitLong)
	m := welcomeRE.FindStringSubmatch(msg)
	if err != nil || m == nil {
		t.Fatalf("no WELCOME: %q %v", msg, err)
	}
	return &wampClient{Client: c, t: t, ID: m[1], Welcome: msg}
}

// closedURL is an http:// URL on a loopback port nothing listens on.
func closedURL(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestHookConnectV1(t *testing.T) {
	hs := newHookServer(t, connectScript)
	cfg := hookConfig(hs.URL, hooks.Config{Connect: true, Publish: []string{"price."}})
	cfg.Roles = testRoles(t)
	n := startNode(t, cfg)

	req := v1Request(n.Addr(), "/ws?room=7&room=8&lang=en").Set("Cookie", "sid=alice").
		Set("Origin", "http://app.example").Set("x-real-ip", "10.0.0.9").Set("Accept-Language", "fr")
	alice := connectV1(t, n.Addr(), req)
	if r, want := hs.next(), fmt.Sprintf(`{"session":%s,"protocol":"wamp","realm":"realm1","authid":null,"authrole":"anonymous","node":"%s","remote":"%s","headers":{"Cookie":"sid=alice","Origin":"http://app.example","X-Real-IP":"10.0.0.9"},"query":{"lang":"en","room":"7"},"authmethods":[]}`,
		alice.ID, n.Addr(), alice.Conn().LocalAddr()); r.path != "/connect" || r.body != want {
		t.Fatalf("hook request %s %s\nwant /connect %s", r.path, r.body, want)
	} else {
		t.Logf("POST %s %s", r.path, r.body) // the README's example
	}
	id, _ := strconv.ParseUint(alice.ID, 10, 64)
	if s := n.Router().V1Realm().Session(wamp.ID(id)); s == nil || s.AuthID() != "alice" || s.AuthRole() != "trader" || s.AuthProvider() != "hook" {
		t.Fatalf("session %s: %+v", alice.ID, s)
	}
	// The hook's role decides authorization (trader may publish under
	// price.) and later hook bodies carry the hook's identity.
	alice.subscribe("price.x")
	alice.publish("price.x", `1`)
	hs.expect("/publish", fmt.Sprintf(`{"session":%s,"protocol":"wamp","realm":"realm1","authid":"alice","authrole":"trader","node":"%s","remote":"%s","topic":"price.x","args":[1],"kwargs":{},"exclude":[],"eligible":null}`,
		alice.ID, n.Addr(), alice.Conn().LocalAddr()))
	alice.expectEvent("price.x", `1`)

	want403(t, n.Addr(), v1Request(n.Addr(), "/"), "who are you?")
	hs.next()
	if st := n.Stats(); st.Handshakes != 1 || st.HandshakesFailed != 1 || n.Router().Stats().Sessions != 1 {
		t.Fatalf("handshakes %d, failed %d, sessions %d", st.Handshakes, st.HandshakesFailed, n.Router().Stats().Sessions)
	}
}

func TestHookConnectV2(t *testing.T) {
	forEachFormat(t, func(t *testing.T, f value.Format) {
		hs := newHookServer(t, connectScript)
		n := startNode(t, hookConfig(hs.URL, hooks.Config{Connect: true, Publish: []string{"*"}}))

		// A ticket with no JWT key configured goes to the hook.
		c := dialV2(t, n.Addr(), f)
		c.helloWith(dict{"authmethods": list{"ticket"}, "authid": "bob"})
		c.expect(4, "ticket", dict{})
		c.send(5, "alice-ticket", dict{})
		r := hs.next()
		m := c.recv()
		if len(m) != 3 || m[0] != int64(2) {
			t.Fatalf("want WELCOME, got %v", m)
		}
		c.ID = uint64(m[1].(int64))
		if want := fmt.Sprintf(`{"session":%d,"protocol":"wamp.2.%s","realm":"realm1","authid":null,"authrole":"anonymous","node":"%s","remote":"%s","headers":{},"query":{},"authmethods":["ticket"],"ticket":"alice-ticket"}`,
			c.ID, f, n.Addr(), c.Conn().LocalAddr()); r.path != "/connect" || r.body != want {
			t.Fatalf("connect hook request %s %s\nwant %s", r.path, r.body, want)
		}
		d := welcomeV2(c.ID)
		d["authid"], d["authrole"], d["authmethod"], d["authprovider"] = "alice", "trader", "ticket", "hook"
		d["authextra"] = dict{"room": 7, "tags": list{"a"}}
		c.expectWelcomeIs(m, d)
		c.send(publishMsg(2, dict{}, "t", list{1}, nil)...)
		hs.expect("/publish", fmt.Sprintf(`{"session":%d,"protocol":"wamp.2.%s","realm":"realm1","authid":"alice","authrole":"trader","node":"%s","remote":"%s","topic":"t","args":[1],"kwargs":{},"exclude":[],"eligible":null}`,
			c.ID, f, n.Addr(), c.Conn().LocalAddr()))
		c.sync()

		// Refused: ABORT with the application's error.
		refused := dialV2(t, n.Addr(), f)
		refused.helloWith(dict{})
		if r := hs.next(); !strings.HasSuffix(r.body, `"headers":{},"query":{},"authmethods":[]}`) {
			t.Fatalf("connect body %s", r.body)
		}
		refused.expectAbort("app.error.unknown_user", "who are you?", 1000)
		if st := n.Router().Stats(); st.Sessions != 1 {
			t.Fatalf("%d sessions, want 1", st.Sessions)
		}
	})
}

func TestHookConnectFailure(t *testing.T) {
	for _, policy := range []hooks.Policy{hooks.Deny, hooks.Allow} {
		t.Run(policy.String(), func(t *testing.T) {
			n := startNode(t, hookConfig(closedURL(t), hooks.Config{Connect: true, Failure: policy}))
			v2c := dialV2(t, n.Addr(), value.MsgPack)
			if policy == hooks.Deny {
				want403(t, n.Addr(), v1Request(n.Addr(), "/"), "hook unavailable")
				v2c.helloWith(dict{})
				v2c.expectAbort(hooks.ErrorHookFailed, "hook unavailable", 1000)
			} else {
				v1c := connectV1(t, n.Addr(), v1Request(n.Addr(), "/"))
				id, _ := strconv.ParseUint(v1c.ID, 10, 64)
				if s := n.Router().V1Realm().Session(wamp.ID(id)); s == nil || s.AuthID() != v1c.ID || s.AuthRole() != "anonymous" {
					t.Fatalf("v1 session %+v", s)
				}
				v2c.helloWith(dict{})
				v2c.expectAnonymousWelcome()
			}
			if got := n.Stats().Hooks.Kinds["connect"].Failures["refused"]; got != 2 {
				t.Fatalf("%d connect hook failures (refused), want 2", got)
			}
		})
	}
}

// TestHookConnectParkedEnds: a v1 handshake parked on the connect hook
// ends by the handshake timeout, or by its client; the hook's later
// answer is dropped, and nothing is left behind.
func TestHookConnectParkedEnds(t *testing.T) {
	release := make(chan struct{})
	hs := newHookServer(t, func(_, body string) string {
		if strings.Contains(body, `"hold":"1"`) {
			<-release
		}
		return `{"result":{}}`
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	cfg := hookConfig(hs.URL, hooks.Config{Connect: true})
	cfg.HandshakeTimeout = 300 * time.Millisecond
	n := startNode(t, cfg)
	warm := connectV1(t, n.Addr(), v1Request(n.Addr(), "/")) // one kept-alive connection to the app
	hs.next()
	waitHooksIdle(t, n)
	before := runtime.NumGoroutine()

	// The handshake timeout: the node closes without an answer.
	timedOut, err := wstest.Dial(n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer timedOut.Close()
	if err := timedOut.WriteRequest(v1Request(n.Addr(), "/?hold=1")); err != nil {
		t.Fatal(err)
	}
	hs.next()
	if got, err := timedOut.ReadAll(waitLong); err != nil || len(got) != 0 {
		t.Fatalf("parked past the handshake timeout: read %q, %v; want a close without an answer", got, err)
	}
	if st := n.Stats(); st.HandshakeTimeouts != 1 {
		t.Fatalf("%d handshake timeouts, want 1", st.HandshakeTimeouts)
	}

	// The client leaves while parked.
	gone, err := wstest.Dial(n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.WriteRequest(v1Request(n.Addr(), "/?hold=1")); err != nil {
		t.Fatal(err)
	}
	hs.next()
	gone.Close()
	for deadline := time.Now().Add(waitLong); n.Stats().Net.Open > 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want 1", n.Stats().Net.Open)
		}
	}

	close(release)
	waitHooksIdle(t, n)
	hs.CloseClientConnections() // the held requests opened keep-alive connections of their own
	for deadline := time.Now().Add(waitLong); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
		}
	}
	if st := n.Stats(); st.Handshakes != 1 || n.Router().Stats().Sessions != 1 {
		t.Fatalf("handshakes %d, sessions %d; want 1 and 1 (the warm one)", st.Handshakes, n.Router().Stats().Sessions)
	}
	warm.sync()
}
