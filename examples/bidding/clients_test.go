package bidding_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

// readTimeout bounds every wait for a frame.
const readTimeout = 5 * time.Second

// client is one WebSocket client of the node, logged in with a cookie. Its
// methods take the (sub)test they fail.
type client struct {
	name string
	ws   *wstest.Client
	id   string // the session id, as v1's WELCOME sends it
}

// upgrade returns the handshake of a browser with the PHPSESSID cookie.
func upgrade(node, protocol, sid string) *wstest.Request {
	req := wstest.UpgradeRequest(node, protocol)
	if sid != "" {
		req.Set("Cookie", "lang=en; PHPSESSID="+sid)
	}
	return req
}

// dialV1 connects a raw WAMP v1 client, as the original's browsers were,
// and reads its WELCOME.
func dialV1(t *testing.T, node, name, sid string) *client {
	t.Helper()
	ws, err := wstest.Connect(node, upgrade(node, "wamp", sid))
	if ws != nil {
		t.Cleanup(func() { ws.Close() })
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := &client{name: name, ws: ws}
	var welcome []any
	msg := c.read(t)
	if json.Unmarshal([]byte(msg), &welcome) != nil || len(welcome) != 4 || welcome[0] != 0.0 {
		t.Fatalf("%s: want a v1 WELCOME, got %s", name, msg)
	}
	c.id, _ = welcome[1].(string)
	return c
}

// welcomeV2 matches a v2 WELCOME and captures its session id and details.
var welcomeV2 = regexp.MustCompile(`^\[2,([0-9]+),(\{.*\})\]$`)

// dialV2 connects a raw WAMP v2 JSON client, says HELLO to realm1 and
// checks that WELCOME names the user the app's connect hook settled
// (wantAuthID "": an anonymous session, its authid its own id).
func dialV2(t *testing.T, node, name, sid, wantAuthID, wantAuthRole string) *client {
	t.Helper()
	ws, err := wstest.Connect(node, upgrade(node, "wamp.2.json", sid))
	if ws != nil {
		t.Cleanup(func() { ws.Close() })
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := &client{name: name, ws: ws}
	c.send(t, `[1,"realm1",{"roles":{"subscriber":{},"publisher":{},"caller":{}}}]`)
	m := c.expectMatch(t, welcomeV2)
	c.id = m[1]
	if wantAuthID == "" {
		wantAuthID = c.id
	}
	var details struct{ AuthID, AuthRole string }
	if err := json.Unmarshal([]byte(m[2]), &details); err != nil ||
		details.AuthID != wantAuthID || details.AuthRole != wantAuthRole {
		t.Fatalf("%s: WELCOME details %s, want authid %q and authrole %q", name, m[2], wantAuthID, wantAuthRole)
	}
	return c
}

// send writes one text frame.
func (c *client) send(t *testing.T, msg string) {
	t.Helper()
	if err := c.ws.SendText(msg); err != nil {
		t.Fatalf("%s: send %s: %v", c.name, msg, err)
	}
}

// read returns the next text frame.
func (c *client) read(t *testing.T) string {
	t.Helper()
	msg, err := c.ws.ReadText(readTimeout)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return msg
}

// expect reads the next frame and requires it to be want, byte for byte.
func (c *client) expect(t *testing.T, want string) {
	t.Helper()
	if got := c.read(t); got != want {
		t.Fatalf("%s:\n got %s\nwant %s", c.name, got, want)
	}
}

// expectMatch reads the next frame, requires it to match re entirely and
// returns the submatches.
func (c *client) expectMatch(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	got := c.read(t)
	m := re.FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("%s:\n got %s\nwant %s", c.name, got, re)
	}
	return m
}

// quiet proves the client got nothing: everything the node had queued for
// it before a ping arrives before the pong (wstest.Client.Sync).
func (c *client) quiet(t *testing.T) {
	t.Helper()
	frames, err := c.ws.Sync(readTimeout)
	if err != nil || len(frames) != 0 {
		t.Fatalf("%s: want nothing, got %v (%v)", c.name, frames, err)
	}
}
