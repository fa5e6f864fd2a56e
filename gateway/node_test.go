package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wampgate/wampgate/internal/wstest"
	"github.com/wampgate/wampgate/netpoll"
)

// runTestNode runs a node on an ephemeral port for one test.
func runTestNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	return n
}

// dialV1 opens a v1 session and returns the connection and its WELCOME.
func dialV1(t *testing.T, n *Node) (net.Conn, string) {
	t.Helper()
	d := ws.Dialer{Protocols: []string{"wamp"}, Timeout: 5 * time.Second}
	nc, br, hs, err := d.Dial(context.Background(), "ws://"+n.Addr()+"/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	if hs.Protocol != "wamp" {
		t.Fatalf("negotiated %q", hs.Protocol)
	}
	if br == nil {
		t.Fatal("WELCOME did not arrive with the 101 response")
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	welcome, err := wsutil.ReadServerText(struct {
		io.Reader
		io.Writer
	}{br, nc})
	if err != nil {
		t.Fatal(err)
	}
	if br.Buffered() > 0 {
		t.Fatalf("%d unexpected bytes after WELCOME", br.Buffered())
	}
	return nc, string(welcome)
}

func TestSubscribePublishEveryPoller(t *testing.T) {
	for _, poller := range netpoll.Backends {
		t.Run(poller, func(t *testing.T) {
			n := runTestNode(t, Config{Poller: poller})
			sub, welcome := dialV1(t, n)
			if !strings.HasPrefix(welcome, `[0,"`) || !strings.HasSuffix(welcome, `",1,"wampgate\/`+Version+`"]`) {
				t.Fatalf("WELCOME %s", welcome)
			}
			pub, _ := dialV1(t, n)
			if err := wsutil.WriteClientText(sub, []byte(`[5,"price/channel"]`)); err != nil {
				t.Fatal(err)
			}
			// SUBSCRIBE has no reply in WAMP v1; the node handles a
			// connection's frames in order, so the pong to a ping sent
			// after it proves the subscription is registered.
			subc := wstest.NewClient(sub) // nothing is buffered after WELCOME
			if extra, err := subc.Sync(5 * time.Second); err != nil || len(extra) != 0 {
				t.Fatalf("barrier after SUBSCRIBE: %d frames, %v", len(extra), err)
			}
			if err := wsutil.WriteClientText(pub, []byte(`[7,"price/channel",{"bid":101}]`)); err != nil {
				t.Fatal(err)
			}
			ev, err := subc.ReadText(5 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ev, `[8,"price\/channel",{"bid":101}]`; got != want {
				t.Fatalf("EVENT %s, want %s", got, want)
			}
			st := n.Stats()
			for deadline := time.Now().Add(5 * time.Second); st.WAMP.Deliveries == 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond) // counted just after the frame is queued
				st = n.Stats()
			}
			if st.Handshakes != 2 || st.WAMP.Sessions != 2 || st.WAMP.Deliveries != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// The Gos PHP client, which the original setup used to relay events,
// sends a second close frame after the first: the node answers the first,
// ignores the second and stays healthy.
func TestSecondCloseFrameIsIgnored(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		n := runTestNode(t, Config{Poller: poller})
		c := dialWAMP(t, n.Addr())
		if err := c.SendClose(1000, ""); err != nil {
			t.Fatal(err)
		}
		_ = c.SendClose(1000, "") // may fail once the node has half-closed
		code, _, err := c.ReadClose(5 * time.Second)
		if err != nil || code != 1000 {
			t.Fatalf("close answer %d, %v", code, err)
		}
		if err := c.ExpectEOF(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		assertNodeServes(t, n.Addr())
	})
}
