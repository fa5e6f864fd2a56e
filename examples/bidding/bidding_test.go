// Package bidding_test runs the PHP bidding example (php -S router.php)
// behind a real wampgate node with its HTTP hooks and API, and drives it
// with raw WAMP v1 clients (the original's browsers) and a WAMP v2 client.
package bidding_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/internal/wstest"
)

// The users of data/sessions.json, by PHPSESSID.
const (
	aliceSID = "alice-7f3c9a1e"
	bobSID   = "bob-2b81d04f"
	carolSID = "carol-c59e6a02"
)

// notLoggedIn is the connect hook's refusal message.
const notLoggedIn = "log in first: no valid PHPSESSID cookie"

func TestBiddingExample(t *testing.T) {
	php := phpBinary(t)
	data := copyData(t)
	keyFile := filepath.Join(t.TempDir(), "api-keys")
	if err := os.WriteFile(keyFile, []byte("# the bidding backend\n"+apiKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hookURL := startPHP(t, php, data)
	node, nodeProc := startNode(t, buildNode(t), hookURL, keyFile)

	t.Run("unknown cookie", func(t *testing.T) {
		for _, sid := range []string{"", "mallory-00000000"} {
			// v1: the connect hook runs before the upgrade is answered.
			ws, err := wstest.Dial(node)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			resp, err := ws.Handshake(upgrade(node, "wamp", sid).Bytes(), readTimeout)
			if err != nil || resp.StatusCode != 403 {
				t.Fatalf("v1 cookie %q: %v %v, want 403", sid, resp, err)
			}
			if body, err := ws.ReadBody(resp, readTimeout); err != nil || !strings.Contains(string(body), notLoggedIn) {
				t.Fatalf("v1 cookie %q: body %q %v", sid, body, err)
			}
			// v2: HELLO is answered with ABORT and the app's URI.
			v2, err := wstest.Connect(node, upgrade(node, "wamp.2.json", sid))
			if err != nil {
				t.Fatalf("v2 cookie %q: %v", sid, err)
			}
			defer v2.Close()
			c := &client{name: "v2 " + sid, ws: v2}
			c.send(t, `[1,"realm1",{"roles":{"subscriber":{}}}]`)
			c.expect(t, `[3,{"message":"`+notLoggedIn+`"},"app.error.not_logged_in"]`)
		}
	})

	alice := dialV1(t, node, "alice (v1)", aliceSID)
	bob := dialV1(t, node, "bob (v1)", bobSID)
	carol := dialV2(t, node, "carol (v2)", carolSID, "carol", "bidder")
	everyone := []*client{alice, bob, carol}
	// The latest valid bid on lot 1, which the backend's publication
	// repeats.
	price, bidder := 120, "alice"

	// Subscriptions: v1 has no answer to SUBSCRIBE, so the meta API tells
	// when the subscribe hook has let them through; v2 gets SUBSCRIBED.
	subs := map[string]string{}
	for i, topic := range []string{"price/channel", "counter/channel", "broadcast/channel"} {
		alice.send(t, `[5,"`+topic+`"]`)
		bob.send(t, `[5,"`+topic+`"]`)
		carol.send(t, fmt.Sprintf(`[32,%d,{},"%s"]`, i+1, topic))
		subs[topic] = carol.expectMatch(t, regexp.MustCompile(fmt.Sprintf(`^\[33,%d,([0-9]+)\]$`, i+1)))[1]
		waitSubscribers(t, nodeProc, node, topic, 3)
	}
	// event is what carol (v2) gets for a v1 event E on topic.
	event := func(topic, e string) *regexp.Regexp {
		return regexp.MustCompile(`^\[36,` + subs[topic] + `,[0-9]+,\{\},\[` + regexp.QuoteMeta(e) + `\]\]$`)
	}

	t.Run("unknown topic refused", func(t *testing.T) {
		carol.send(t, `[32,10,{},"secret/channel"]`)
		carol.expect(t, `[8,32,10,{},"app.error.no_such_topic",["this auction has no topic secret/channel"]]`)
	})

	t.Run("low bid", func(t *testing.T) {
		// Lot 1 is at 100: the bidder alone gets false, as Ratchet's
		// $connection->event($topic, false).
		alice.send(t, `[7,"price/channel",{"lot":1,"price":90}]`)
		alice.expect(t, `[8,"price\/channel",false]`)
		bob.quiet(t)
		carol.quiet(t)
		alice.quiet(t)
	})

	t.Run("valid bid", func(t *testing.T) {
		alice.send(t, `[7,"price/channel",{"lot":1,"price":120}]`)
		want := `{"lot":1,"price":120,"bidder":"` + bidder + `"}`
		alice.expect(t, `[8,"price\/channel",`+want+`]`)
		bob.expect(t, `[8,"price\/channel",`+want+`]`)
		carol.expectMatch(t, event("price/channel", want))
	})

	t.Run("v2 low bid", func(t *testing.T) {
		carol.send(t, `[16,20,{},"price/channel",[{"lot":1,"price":110}]]`)
		carol.expectMatch(t, event("price/channel", "false"))
		alice.quiet(t)
		bob.quiet(t)
	})

	t.Run("counter, auction running", func(t *testing.T) {
		// Lot 1 of the spring auction is still on bidding: the counter
		// goes back to its publisher alone.
		bob.send(t, `[7,"counter/channel",{"auction":"spring","remaining":30}]`)
		bob.expect(t, `[8,"counter\/channel",{"auction":"spring","remaining":30}]`)
		alice.quiet(t)
		carol.quiet(t)
	})

	t.Run("call", func(t *testing.T) {
		alice.send(t, `[2,"c1","price.current",1]`)
		alice.expect(t, `[3,"c1",120]`) // before the Autobahn|Python bidder's 130
		alice.send(t, `[2,"c2","price.history",1]`)
		alice.expect(t, `[4,"c2","app.error.not_supported","RPC not supported on this demo"]`)
		carol.send(t, `[48,30,{},"price.current",[1]]`)
		carol.expect(t, `[50,30,{},[120]]`)
	})

	t.Run("Autobahn|Python bidder", func(t *testing.T) {
		// carol again, from a real client library: a valid bid, then a
		// low one, both acknowledged; client/bidder.py prints what it saw.
		python := autobahnPython(t)
		var stderr strings.Builder
		cmd := exec.Command(python, "client/bidder.py", "ws://"+node+"/", carolSID, "1", "130", "125")
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		who, role := "carol", "bidder"
		want := `{"welcome": {"authid": "` + who + `", "authrole": "` + role + `"}}
{"published": true}
{"event": [{"bidder": "` + who + `", "lot": 1, "price": 130}]}
{"published": true}
{"event": [false]}
`
		if err != nil || string(out) != want {
			t.Fatalf("bidder.py: %v\n got %s\nwant %s\nstderr: %s", err, out, want, stderr.String())
		}
		price, bidder = 130, who
		bid := `{"lot":1,"price":130,"bidder":"` + who + `"}`
		alice.expect(t, `[8,"price\/channel",`+bid+`]`)
		bob.expect(t, `[8,"price\/channel",`+bid+`]`)
		carol.expectMatch(t, event("price/channel", bid))
	})

	t.Run("backend closes the lot", func(t *testing.T) {
		cmd := exec.Command(php, "backend/close-lot.php", "1", "sold")
		cmd.Env = append(os.Environ(), "BIDDING_DATA="+data, "BIDDING_API_URL=http://"+node,
			"BIDDING_API_KEY_FILE="+keyFile)
		out, err := cmd.CombinedOutput()
		if err != nil || !regexp.MustCompile(`^lot 1 sold, publication [0-9]+\n$`).Match(out) {
			t.Fatalf("close-lot.php: %v\n%s", err, out)
		}
		want := fmt.Sprintf(`{"lot":1,"status":"sold","price":%d,"bidder":"%s"}`, price, bidder)
		alice.expect(t, `[8,"price\/channel",`+want+`]`)
		bob.expect(t, `[8,"price\/channel",`+want+`]`)
		carol.expectMatch(t, event("price/channel", want))
	})

	t.Run("counter, auction finished", func(t *testing.T) {
		// Every lot of spring is sold now: the counter gets a finishUrl
		// and goes to everyone.
		bob.send(t, `[7,"counter/channel",{"auction":"spring","remaining":0}]`)
		want := `{"auction":"spring","remaining":0,"finishUrl":"/auctions/spring/finish"}`
		alice.expect(t, `[8,"counter\/channel",`+want+`]`)
		bob.expect(t, `[8,"counter\/channel",`+want+`]`)
		carol.expectMatch(t, event("counter/channel", want))
	})

	t.Run("broadcast", func(t *testing.T) {
		// Not hooked: delivered as is, to every local subscriber — the
		// publisher too: the node keeps Ratchet's behaviour for this
		// legacy topic (exclude, and v2's default exclusion, ignored).
		carol.send(t, `[16,40,{},"broadcast/channel",["hello"]]`)
		alice.expect(t, `[8,"broadcast\/channel","hello"]`)
		bob.expect(t, `[8,"broadcast\/channel","hello"]`)
		carol.expectMatch(t, event("broadcast/channel", `"hello"`))
	})

	for _, c := range everyone {
		c.quiet(t)
	}
	if b, err := os.ReadFile(filepath.Join(data, "auction.json")); err != nil ||
		!strings.Contains(string(b), `"status": "sold"`) {
		t.Fatalf("the database copy: %s %v", b, err)
	}
}
