package gateway

// Robustness over real sockets, for each netpoll backend: malformed and
// hostile input at the HTTP, WebSocket and WAMP levels, slow and vanishing
// peers, limits and timeouts. Every test checks afterwards that the node
// still serves a fresh client (WELCOME and a subscribe/publish round trip).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

// badFrame is one hostile input on an open session and the close codes
// the node may answer it with.
type badFrame struct {
	name  string
	send  func(c *wampClient) error
	codes []uint16
}

func sendFrames(frames ...wstest.OutFrame) func(c *wampClient) error {
	return func(c *wampClient) error {
		var b []byte
		for _, f := range frames {
			b = append(b, wstest.Encode(f)...)
		}
		return c.WriteRaw(b)
	}
}

func sendTextMsg(msg string) func(c *wampClient) error {
	return sendFrames(wstest.OutFrame{Op: wstest.OpText, Payload: []byte(msg)})
}

func txt(s string) []byte { return []byte(s) }

var (
	protocolError  = []uint16{1002}
	invalidPayload = []uint16{1007}
)

// badFrames close the session. Codes follow RFC 6455 §7.4.1: 1002 for
// framing errors, 1007 for data that is not valid UTF-8 or not a valid
// WAMP message, 1009 for a message over MaxMessageSize.
func badFrames() []badFrame {
	fs := []badFrame{
		// WAMP level.
		{"malformed JSON", sendTextMsg(`[5,"t"`), invalidPayload},
		{"empty text message", sendTextMsg(``), invalidPayload},
		{"JSON object", sendTextMsg(`{"a":1}`), invalidPayload},
		{"JSON scalar", sendTextMsg(`42`), invalidPayload},
		{"trailing garbage", sendTextMsg(`[5,"t"] x`), invalidPayload},
		{"empty list", sendTextMsg(`[]`), invalidPayload},
		{"unknown type id", sendTextMsg(`[99,"x"]`), invalidPayload},
		{"negative type id", sendTextMsg(`[-5,"t"]`), invalidPayload},
		{"type id list", sendTextMsg(`[[5],"t"]`), invalidPayload},
		{"server-only message WELCOME", sendTextMsg(`[0,"abc",1,"x"]`), invalidPayload},
		{"server-only message EVENT", sendTextMsg(`[8,"t","x"]`), invalidPayload},
		{"server-only message CALLRESULT", sendTextMsg(`[3,"id",1]`), invalidPayload},
		{"topic bool", sendTextMsg(`[5,true]`), invalidPayload},
		{"topic object", sendTextMsg(`[5,{"t":1}]`), invalidPayload},
		{"publish topic list", sendTextMsg(`[7,["t"],"x"]`), invalidPayload},
		{"call id list", sendTextMsg(`[2,["id"],"echo"]`), invalidPayload},
		{"eligible not a list", sendTextMsg(`[7,"t","x",[],"nope"]`), invalidPayload},
		{"eligible null", sendTextMsg(`[7,"t","x",false,null]`), invalidPayload},
		{"deeply nested JSON", sendTextMsg(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)), invalidPayload},
		{"unterminated deep JSON", sendTextMsg(strings.Repeat(`{"a":[`, 50000)), invalidPayload},
		{"binary garbage", sendFrames(wstest.OutFrame{Op: wstest.OpBinary, Payload: []byte{0, 1, 2, 0xff, 0xfe, 0x80}}), invalidPayload},

		// WebSocket level.
		{"unmasked frame", sendFrames(wstest.OutFrame{Op: wstest.OpText, Payload: txt(`[5,"t"]`), NoMask: true}), protocolError},
		{"unmasked ping", sendFrames(wstest.OutFrame{Op: wstest.OpPing, Payload: txt("p"), NoMask: true}), protocolError},
		{"invalid UTF-8 text", sendFrames(wstest.OutFrame{Op: wstest.OpText, Payload: []byte("[5,\"\xff\xfe\"]")}), invalidPayload},
		{"overlong UTF-8 encoding", sendFrames(wstest.OutFrame{Op: wstest.OpText, Payload: []byte("[5,\"\xc0\xaf\"]")}), invalidPayload},
		{"UTF-16 surrogate in UTF-8", sendFrames(wstest.OutFrame{Op: wstest.OpText, Payload: []byte("[5,\"\xed\xa0\x80\"]")}), invalidPayload},
		{"invalid UTF-8 split across fragments", sendFrames(
			// € is e2 82 ac; here e2 82 is followed by '(' in the next
			// fragment: each fragment alone could be a valid prefix.
			wstest.OutFrame{Op: wstest.OpText, Payload: []byte("[5,\"\xe2\x82"), NoFin: true},
			wstest.OutFrame{Op: wstest.OpContinuation, Payload: []byte("(\"]")},
		), invalidPayload},
		{"UTF-8 cut at the end of a message", sendFrames(
			wstest.OutFrame{Op: wstest.OpText, Payload: []byte("[5,\"t\"]\xe2\x82"), NoFin: true},
			wstest.OutFrame{Op: wstest.OpContinuation, Payload: nil},
		), invalidPayload},
		{"ping over 125 bytes", sendFrames(wstest.OutFrame{Op: wstest.OpPing, Payload: bytes.Repeat(txt("p"), 126)}), protocolError},
		{"close over 125 bytes", sendFrames(wstest.OutFrame{Op: wstest.OpClose, Payload: wstest.CloseBody(1000, strings.Repeat("r", 124))}), protocolError},
		{"pong over 125 bytes", sendFrames(wstest.OutFrame{Op: wstest.OpPong, Payload: bytes.Repeat(txt("p"), 200)}), protocolError},
		{"fragmented ping", sendFrames(wstest.OutFrame{Op: wstest.OpPing, Payload: txt("p"), NoFin: true}), protocolError},
		{"fragmented close", sendFrames(wstest.OutFrame{Op: wstest.OpClose, Payload: wstest.CloseBody(1000, ""), NoFin: true}), protocolError},
		{"continuation without start", sendFrames(wstest.OutFrame{Op: wstest.OpContinuation, Payload: txt(`[5,"t"]`)}), protocolError},
		{"new message inside a fragmented one", sendFrames(
			wstest.OutFrame{Op: wstest.OpText, Payload: txt(`[5,`), NoFin: true},
			wstest.OutFrame{Op: wstest.OpText, Payload: txt(`[5,"t"]`)},
		), protocolError},
		{"close with a 1-byte body", sendFrames(wstest.OutFrame{Op: wstest.OpClose, Payload: []byte{3}}), protocolError},
		{"close code 999", sendFrames(wstest.OutFrame{Op: wstest.OpClose, Payload: wstest.CloseBody(999, "")}), protocolError},
		{"close code 1005", sendFrames(wstest.OutFrame{Op: wstest.OpClose, Payload: wstest.CloseBody(1005, "")}), protocolError},
		{"close code 1006", sendFrames(wstest.OutFrame{Op: wstest.OpClose, Payload: wstest.CloseBody(1006, "")}), protocolError},
		{"close code 5000", sendFrames(wstest.OutFrame{Op: wstest.OpClose, Payload: wstest.CloseBody(5000, "")}), protocolError},
		{"close reason not UTF-8", sendFrames(wstest.OutFrame{Op: wstest.OpClose, Payload: append(wstest.CloseBody(1000, ""), 0xff)}), []uint16{1007, 1002}},
		{"64-bit length with the high bit set", sendRawHeader(1<<63|5, true), []uint16{1002, 1009}},
	}
	for op := 3; op <= 15; op++ {
		if op >= 8 && op <= 10 {
			continue
		}
		fs = append(fs, badFrame{fmt.Sprintf("reserved opcode %d", op),
			sendFrames(wstest.OutFrame{Op: wstest.Opcode(op), Payload: txt("x")}), protocolError})
	}
	for _, rsv := range []byte{wstest.RSV1, wstest.RSV2, wstest.RSV3} {
		fs = append(fs, badFrame{fmt.Sprintf("rsv bits %d", rsv),
			sendFrames(wstest.OutFrame{Op: wstest.OpText, Payload: txt(`[5,"t"]`), Rsv: rsv}), protocolError})
	}
	fs = append(fs, badFrame{"rsv bits on a ping",
		sendFrames(wstest.OutFrame{Op: wstest.OpPing, Payload: txt("p"), Rsv: wstest.RSV1}), protocolError})
	return fs
}

// sendRawHeader sends only a masked text frame header declaring length.
func sendRawHeader(length uint64, masked bool) func(c *wampClient) error {
	return func(c *wampClient) error {
		return c.WriteRaw(wstest.Encode(wstest.OutFrame{Op: wstest.OpText, NoMask: !masked, Mask: &[4]byte{}, DeclaredLen: &length}))
	}
}

func TestBadFramesCloseTheSession(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		n := startNode(t, testConfig(poller))
		for _, bf := range badFrames() {
			t.Run(bf.name, func(t *testing.T) {
				c := dialWAMP(t, n.Addr())
				c.subscribe("t")
				if err := bf.send(c); err != nil && !wstest.IsClosed(err) {
					t.Fatalf("send: %v", err)
				}
				code, reason, err := c.ExpectClose(waitLong)
				if err != nil {
					t.Fatalf("want close %v: %v", bf.codes, err)
				}
				if !slices.Contains(bf.codes, code) {
					t.Errorf("close %d %q, want %v", code, reason, bf.codes)
				}
				assertNodeServes(t, n.Addr())
			})
		}
	})
}

// TestOddInputKeepsTheSession covers input that is wrong or unknown but
// must not end the session.
func TestOddInputKeepsTheSession(t *testing.T) {
	invalidURI := func(id string) string {
		return `^\[4,"` + id + `","wamp\.error\.invalid_uri","(?:[^"\\]|\\.)*"\]$`
	}
	cases := []struct {
		name string
		send []string // text messages sent by the subscriber of "t"
		want []string // regexps of the frames it receives, in order
	}{
		{"unsubscribe from an unknown topic", []string{`[6,"never/subscribed"]`}, nil},
		{"exclude list of unknown ids", []string{`[7,"t","x",["no-such-session"]]`}, []string{`^\[8,"t","x"\]$`}},
		{"eligible list of unknown ids", []string{`[7,"t","x",[],["no-such-session"]]`}, nil},
		{"non-string ids ignored", []string{`[7,"t","x",[1,null,{},[]],[]]`}, []string{`^\[8,"t","x"\]$`}},
		{"exclude id of the right session twice", []string{`[7,"t","x",["$ME","$ME"]]`}, nil},
		{"prefix without URI", []string{`[1,"p"]`, `[7,"t","after-prefix"]`}, []string{`^\[8,"t","after-prefix"\]$`}},
		{"call with a list procedure", []string{`[2,"c1",["echo"]]`}, []string{invalidURI("c1")}},
		{"call with an object procedure", []string{`[2,"c2",{"p":1}]`}, []string{invalidURI("c2")}},
		{"call without procedure", []string{`[2,"c3"]`}, []string{invalidURI("c3")}},
		{"call to an unknown procedure", []string{`[2,"c4","http://x/none",1]`},
			[]string{`^\[4,"c4","wamp\.error\.no_such_procedure","no procedure http:\\/\\/x\\/none is registered on this node"\]$`}},
		{"subscribe twice", []string{`[5,"t"]`, `[7,"t","once"]`}, []string{`^\[8,"t","once"\]$`}},
	}
	forEachPoller(t, func(t *testing.T, poller string) {
		n := startNode(t, testConfig(poller))
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := dialWAMP(t, n.Addr())
				c.subscribe("t")
				for _, m := range tc.send {
					c.send(strings.ReplaceAll(m, "$ME", c.ID))
				}
				frames, err := c.Sync(waitLong)
				if err != nil {
					t.Fatalf("session ended: %v (frames %v)", err, frames)
				}
				var got []string
				for _, f := range frames {
					got = append(got, f.String())
				}
				if len(frames) != len(tc.want) {
					t.Fatalf("got %v, want %d frames matching %q", got, len(tc.want), tc.want)
				}
				for i, f := range frames {
					if !matchRE(tc.want[i], string(f.Payload)) || f.Op != wstest.OpText {
						t.Errorf("frame %d: %s, want text matching %s", i, f, tc.want[i])
					}
				}
				// The session is still fully usable.
				c.publish("t", `"still-here"`)
				c.expectEvent("t", `"still-here"`)
				assertNodeServes(t, n.Addr())
			})
		}
		t.Run("ping payload of 125 bytes", func(t *testing.T) {
			c := dialWAMP(t, n.Addr())
			p := strings.Repeat("p", 125)
			if err := c.SendPing(p); err != nil {
				t.Fatal(err)
			}
			f, err := c.ReadFrame(waitLong)
			if err != nil || f.Op != wstest.OpPong || string(f.Payload) != p {
				t.Fatalf("want pong with the ping's 125 bytes, got %v %v", f, err)
			}
		})
		t.Run("unsolicited pong", func(t *testing.T) {
			c := dialWAMP(t, n.Addr())
			if err := c.SendPong("unsolicited"); err != nil {
				t.Fatal(err)
			}
			c.sync()
		})
		t.Run("message in many fragments with control frames between", func(t *testing.T) {
			c := dialWAMP(t, n.Addr())
			msg := `[5,"frag/` + strings.Repeat("z", 1000) + `"]`
			var b []byte
			for i := 0; i < len(msg); i += 7 {
				op := wstest.OpContinuation
				if i == 0 {
					op = wstest.OpText
				}
				end := min(i+7, len(msg))
				b = append(b, wstest.Encode(wstest.OutFrame{Op: op, Payload: txt(msg[i:end]), NoFin: end < len(msg)})...)
				if i%70 == 0 {
					b = append(b, wstest.Encode(wstest.OutFrame{Op: wstest.OpPong, Payload: txt("between")})...)
				}
			}
			if err := c.WriteRaw(b); err != nil {
				t.Fatal(err)
			}
			c.sync()
			topic := "frag/" + strings.Repeat("z", 1000)
			c.publish(topic, `"reassembled"`)
			c.expectEvent(topic, `"reassembled"`)
		})
		t.Run("valid UTF-8 split across fragments", func(t *testing.T) {
			c := dialWAMP(t, n.Addr())
			// € (e2 82 ac) cut after its first byte.
			if err := sendFrames(
				wstest.OutFrame{Op: wstest.OpText, Payload: []byte("[5,\"\xe2"), NoFin: true},
				wstest.OutFrame{Op: wstest.OpContinuation, Payload: []byte("\x82\xac\"]")},
			)(c); err != nil {
				t.Fatal(err)
			}
			c.sync()
			c.publish("€", `"euro"`)
			c.expectText(`[8,"\u20ac","euro"]`)
		})
	})
}

func matchRE(re, s string) bool {
	ok, err := regexp.MatchString(re, s)
	return err == nil && ok
}

// TestRawGarbage sends bytes that are not WebSocket at all, before and
// after the handshake.
func TestRawGarbage(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		n := startNode(t, testConfig(poller))
		t.Run("garbage instead of a request", func(t *testing.T) {
			c, err := wstest.Dial(n.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			garbage := bytes.Repeat([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0xff, '\r', '\n'}, 64)
			if err := c.WriteRaw(append(garbage, "\r\n\r\n"...)); err != nil {
				t.Fatal(err)
			}
			out, err := c.ReadAll(waitLong)
			if err != nil {
				t.Fatalf("the node must close a connection that sends garbage: %v", err)
			}
			if len(out) > 0 && !bytes.HasPrefix(out, []byte("HTTP/1.1 4")) {
				t.Errorf("answer to garbage: %q, want nothing or a 4xx", wstest.Abbrev(string(out), 100))
			}
			assertNodeServes(t, n.Addr())
		})
		t.Run("garbage after the handshake", func(t *testing.T) {
			c := dialWAMP(t, n.Addr())
			// 0xff: FIN, all RSV bits, opcode 15, then more junk.
			if err := c.WriteRaw(bytes.Repeat([]byte{0xff, 0x00, 0x13, 0x37}, 32)); err != nil {
				t.Fatal(err)
			}
			code, _, err := c.ExpectClose(waitLong)
			if err != nil || code != 1002 {
				t.Fatalf("want close 1002, got %d %v", code, err)
			}
			assertNodeServes(t, n.Addr())
		})
	})
}

// TestOversizedDeclaredLength announces huge frames: the node must refuse
// them from the header alone, without allocating what they declare. It
// runs the backends one after the other so that the allocation counter
// only sees this test.
func TestOversizedDeclaredLength(t *testing.T) {
	for _, poller := range pollers {
		t.Run(poller, func(t *testing.T) {
			n := startNode(t, testConfig(poller))
			for _, length := range []uint64{1 << 62, 1 << 30, uint64(DefaultConfig().MaxMessageSize) + 1} {
				t.Run(fmt.Sprint(length), func(t *testing.T) {
					c := dialWAMP(t, n.Addr())
					runtime.GC()
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					// Only the header: a 1009 can come from nothing else.
					if err := sendRawHeader(length, true)(c); err != nil {
						t.Fatal(err)
					}
					c.expectClose(1009)
					runtime.ReadMemStats(&after)
					if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
						t.Errorf("%d bytes allocated while refusing a frame declaring %d bytes", grown, length)
					}
					assertNodeServes(t, n.Addr())
				})
			}
			t.Run("fragments adding up over the limit", func(t *testing.T) {
				cfg := testConfig(poller)
				cfg.MaxMessageSize = 64 << 10
				small := startNode(t, cfg)
				c := dialWAMP(t, small.Addr())
				chunk := bytes.Repeat(txt("f"), 16<<10)
				var b []byte
				b = append(b, wstest.Encode(wstest.OutFrame{Op: wstest.OpText, Payload: txt(`[7,"t","`), NoFin: true})...)
				for range 8 { // 128 KiB in all
					b = append(b, wstest.Encode(wstest.OutFrame{Op: wstest.OpContinuation, Payload: chunk, NoFin: true})...)
				}
				if err := c.WriteRaw(b); err != nil && !wstest.IsClosed(err) {
					t.Fatal(err)
				}
				c.expectClose(1009)
				assertNodeServes(t, small.Addr())
			})
		})
	}
}

// stuckHead is the first half of an upgrade request, never completed.
const stuckHead = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Up"

// TestHalfOpenHandshakesDoNotBlockWorkers opens three times as many stuck
// handshakes as there are workers: a normal client must still get its
// WELCOME and route messages while they are stuck, and the node must drop
// them after HandshakeTimeout.
func TestHalfOpenHandshakesDoNotBlockWorkers(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.Workers = 2
		cfg.HandshakeTimeout = 2 * time.Second
		n := startNode(t, cfg)
		var stuck []*wstest.Client
		for range 3 * cfg.Workers {
			c, err := wstest.Dial(n.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.WriteRaw([]byte(stuckHead)); err != nil {
				t.Fatal(err)
			}
			stuck = append(stuck, c)
		}
		opened := time.Now()
		assertNodeServes(t, n.Addr())
		// The round trip above must not have waited for the stuck
		// handshakes to be dropped: they are all still open now.
		if time.Since(opened) < cfg.HandshakeTimeout {
			for i, c := range stuck {
				if _, err := c.ReadFrame(time.Millisecond); !wstest.IsTimeout(err) {
					t.Fatalf("stuck handshake %d was closed before its timeout (%v): %v", i, time.Since(opened), err)
				}
			}
		} else {
			t.Errorf("a normal round trip took %v with stuck handshakes open (HandshakeTimeout %v): workers are blocked", time.Since(opened), cfg.HandshakeTimeout)
		}
		for i, c := range stuck {
			out, err := c.ReadAll(cfg.HandshakeTimeout + waitLong)
			if err != nil {
				t.Errorf("stuck handshake %d not closed after HandshakeTimeout: %v", i, err)
			}
			if len(out) > 0 && !bytes.HasPrefix(out, []byte("HTTP/1.1 408")) && !bytes.HasPrefix(out, []byte("HTTP/1.1 400")) {
				t.Errorf("stuck handshake %d got %q, want nothing or a 408", i, wstest.Abbrev(string(out), 80))
			}
		}
		if d := time.Since(opened); d < cfg.HandshakeTimeout-100*time.Millisecond {
			t.Errorf("stuck handshakes dropped after %v, before HandshakeTimeout %v", d, cfg.HandshakeTimeout)
		}
		assertNodeServes(t, n.Addr())
	})
}

// TestSilentConnectionIsDropped connects and never sends a byte. With
// DeferAccept the kernel keeps the connection until its period ends, the
// node then accepts it, and HandshakeTimeout closes it with a FIN: the
// silent client waits DeferAccept (as Linux rounds it) + HandshakeTimeout
// in all, and never holds a worker.
func TestSilentConnectionIsDropped(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.Workers = 1
		cfg.HandshakeTimeout = time.Second
		cfg.DeferAccept = time.Second
		n := startNode(t, cfg)
		silent, err := wstest.Dial(n.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		opened := time.Now()
		assertNodeServes(t, n.Addr())
		out, err := silent.ReadAll(cfg.DeferAccept + cfg.HandshakeTimeout + waitLong)
		if err != nil {
			t.Fatalf("silent connection not closed cleanly: %v", err)
		}
		if len(out) > 0 {
			t.Errorf("silent connection got %q, want nothing", wstest.Abbrev(string(out), 80))
		}
		if d := time.Since(opened); d < cfg.HandshakeTimeout-100*time.Millisecond {
			t.Errorf("silent connection dropped after %v, before HandshakeTimeout %v", d, cfg.HandshakeTimeout)
		}
		if st := n.Stats(); st.HandshakeTimeouts == 0 {
			t.Errorf("handshake timeouts %d, want the silent connection counted", st.HandshakeTimeouts)
		}
	})
}

// TestSlowFrameDoesNotBlockOthers sends a frame one byte per 50 ms with a
// single worker: other clients keep being served meanwhile, and the frame
// is processed once complete.
func TestSlowFrameDoesNotBlockOthers(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.Workers = 1
		n := startNode(t, cfg)
		slow := dialWAMP(t, n.Addr())
		watcher := dialWAMP(t, n.Addr())
		watcher.subscribe("slow")
		wire := wstest.Encode(wstest.OutFrame{Op: wstest.OpText, Payload: txt(`[7,"slow","dribbled"]`)})

		var done atomic.Bool
		errc := make(chan error, 1)
		go func() {
			defer done.Store(true)
			for _, b := range wire {
				if err := slow.WriteRaw([]byte{b}); err != nil {
					errc <- err
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			errc <- nil
		}()
		// Round trips between two other clients while the frame dribbles
		// in (it takes about a second).
		a := dialWAMP(t, n.Addr())
		b := dialWAMP(t, n.Addr())
		a.subscribe("fast")
		trips := 0
		for i := 0; !done.Load(); i++ {
			b.publish("fast", fmt.Sprint(i))
			a.expectEvent("fast", fmt.Sprint(i))
			trips++
		}
		if trips < 3 {
			t.Errorf("only %d round trips while a frame arrived one byte per 50 ms: the slow client blocks others", trips)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		watcher.expectEvent("slow", `"dribbled"`)
		assertNodeServes(t, n.Addr())
	})
}

// TestRequestHeadLimit sends request heads over MaxHeaderSize.
func TestRequestHeadLimit(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.MaxHeaderSize = 1024
		cfg.HandshakeTimeout = time.Minute // the limit, not the timeout, must act
		n := startNode(t, cfg)
		t.Run("complete head over the limit", func(t *testing.T) {
			c, err := wstest.Dial(n.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			req := wstest.UpgradeRequest(n.Addr(), "wamp").Set("X-Filler", strings.Repeat("a", 2000))
			resp, err := c.Handshake(req.Bytes(), waitLong)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 431 && resp.StatusCode != 413 {
				t.Errorf("status %q, want 431 or 413", resp.StatusLine)
			}
			if _, err := c.ReadAll(waitLong); err != nil {
				t.Errorf("connection not closed after the refusal: %v", err)
			}
		})
		t.Run("endless head", func(t *testing.T) {
			c, err := wstest.Dial(n.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			head := "GET / HTTP/1.1\r\n" + strings.Repeat("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 200)
			if err := c.WriteRaw([]byte(head)); err != nil {
				t.Fatal(err)
			}
			out, err := c.ReadAll(waitLong)
			if err != nil {
				t.Fatalf("a head growing past the limit must be refused without waiting for its end: %v", err)
			}
			if len(out) > 0 && !bytes.HasPrefix(out, []byte("HTTP/1.1 431")) && !bytes.HasPrefix(out, []byte("HTTP/1.1 413")) {
				t.Errorf("got %q, want nothing or a 431/413", wstest.Abbrev(string(out), 80))
			}
		})
		t.Run("head just under the limit", func(t *testing.T) {
			req := wstest.UpgradeRequest(n.Addr(), "wamp")
			req.Set("X-Filler", strings.Repeat("a", cfg.MaxHeaderSize-len(req.Bytes())-200))
			c, err := wstest.Connect(n.Addr(), req)
			if c != nil {
				defer c.Close()
			}
			if err != nil {
				t.Fatalf("a %d-byte head must be accepted under MaxHeaderSize %d: %v", len(req.Bytes()), cfg.MaxHeaderSize, err)
			}
		})
		assertNodeServes(t, n.Addr())
	})
}

// dialSmallBuffer connects with a small receive buffer, so that a client
// that does not read stalls the node's writes quickly.
func dialSmallBuffer(t *testing.T, addr string) *wampClient {
	t.Helper()
	d := net.Dialer{Timeout: waitLong, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := wstest.NewClient(conn)
	t.Cleanup(func() { c.Close() })
	if err := c.Upgrade(addr, nil); err != nil {
		t.Fatal(err)
	}
	w := &wampClient{Client: c, t: t}
	msg, err := c.ReadText(waitLong)
	if err != nil {
		t.Fatal(err)
	}
	m := welcomeRE.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("not a WELCOME: %q", msg)
	}
	w.ID, w.Welcome = m[1], msg
	return w
}

// TestSlowConsumerIsClosed floods a topic with a subscriber that never
// reads: it is closed with 1008 once its queue passes WriteQueueLimit,
// while a normal subscriber receives every event and the node's heap stays
// bounded. Backends run one after the other for the heap measurement.
func TestSlowConsumerIsClosed(t *testing.T) {
	const (
		events    = 1024
		eventSize = 16 << 10 // 16 MiB in all
		window    = 4        // events in flight to the reading subscriber: well under limit
		limit     = 256 << 10
	)
	for _, poller := range pollers {
		t.Run(poller, func(t *testing.T) {
			cfg := testConfig(poller)
			cfg.WriteQueueLimit = limit
			cfg.MaxMessageSize = 64 << 10 // may not exceed the queue limit
			n := startNode(t, cfg)
			stalled := dialSmallBuffer(t, n.Addr())
			stalled.subscribe("flood")
			reader := dialWAMP(t, n.Addr())
			reader.subscribe("flood")
			pub := dialWAMP(t, n.Addr())

			// The stalled subscriber starts reading as soon as the node
			// has cut it, within the linger time the node gives its close
			// frame: it must see complete frames, then close 1008.
			stalledDone := make(chan stalledResult, 1)
			go func() { stalledDone <- readWhenCut(n, 1, []*wampClient{stalled})[0] }()

			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)

			filler := strings.Repeat("f", eventSize)
			received := make(chan int, events)
			readErr := make(chan error, 1)
			go func() {
				for i := range events {
					want := fmt.Sprintf(`[8,"flood","%d %s"]`, i, filler)
					got, err := reader.ReadText(waitLong)
					if err != nil || got != want {
						readErr <- fmt.Errorf("event %d: %v (got %q)", i, err, wstest.Abbrev(got, 60))
						return
					}
					received <- i
				}
			}()
			var peak uint64
			deadline := time.After(60 * time.Second)
			for i := 0; i < events; i += window {
				var b []byte
				for j := i; j < i+window; j++ {
					b = append(b, wstest.Encode(wstest.OutFrame{Op: wstest.OpText, Payload: fmt.Appendf(nil, `[7,"flood","%d %s"]`, j, filler)})...)
				}
				if err := pub.WriteRaw(b); err != nil {
					t.Fatalf("publisher: %v", err)
				}
				// Let the reading subscriber keep up: only the stalled one
				// should fall behind.
				for j := i; j < i+window; j++ {
					select {
					case <-received:
					case err := <-readErr:
						t.Fatalf("the reading subscriber: %v", err)
					case <-deadline:
						t.Fatalf("the reading subscriber got only %d of %d events in a minute", j, events)
					}
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			runtime.GC()
			var end runtime.MemStats
			runtime.ReadMemStats(&end)
			if end.HeapAlloc > base.HeapAlloc+8<<20 {
				t.Errorf("live heap grew by %d bytes after a %d-byte flood with WriteQueueLimit %d: the stalled subscriber's queue is not bounded",
					end.HeapAlloc-base.HeapAlloc, events*eventSize, limit)
			}
			t.Logf("heap: base %d, peak sampled %d, after flood %d", base.HeapAlloc, peak, end.HeapAlloc)

			res := <-stalledDone
			if res.err != nil {
				t.Fatalf("the stalled subscriber: %v", res.err)
			}
			if err := checkFlood(res.frames, "flood", filler); err != nil {
				t.Error(err)
			}
			if len(res.frames) >= events {
				t.Errorf("the stalled subscriber got all %d events: never treated as a slow consumer", len(res.frames))
			}
			t.Logf("stalled subscriber got %d events before close 1008", len(res.frames))
			pub.sync()
			assertNodeServes(t, n.Addr())
		})
	}
}

// TestPeerVanishes resets connections (TCP RST) at awkward moments.
func TestPeerVanishes(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		n := startNode(t, testConfig(poller))
		t.Run("during the handshake", func(t *testing.T) {
			c, err := wstest.Dial(n.Addr())
			if err != nil {
				t.Fatal(err)
			}
			c.WriteRaw([]byte(stuckHead))
			c.Reset()
			assertNodeServes(t, n.Addr())
		})
		t.Run("in the middle of a frame", func(t *testing.T) {
			c := dialWAMP(t, n.Addr())
			c.subscribe("t")
			wire := wstest.Encode(wstest.OutFrame{Op: wstest.OpText, Payload: txt(`[7,"t","never finished"]`)})
			c.WriteRaw(wire[:len(wire)/2])
			c.Reset()
			assertNodeServes(t, n.Addr())
		})
		t.Run("while events are being delivered to it", func(t *testing.T) {
			vanishing := dialSmallBuffer(t, n.Addr())
			vanishing.subscribe("busy")
			reader := dialWAMP(t, n.Addr())
			reader.subscribe("busy")
			pub := dialWAMP(t, n.Addr())
			const count = 200
			payload := strings.Repeat("v", 4096)
			var wg sync.WaitGroup
			wg.Add(1)
			readErr := make(chan error, 1)
			go func() {
				defer wg.Done()
				for i := range count {
					want := fmt.Sprintf(`[8,"busy","%d %s"]`, i, payload)
					if got, err := reader.ReadText(waitLong); err != nil || got != want {
						readErr <- fmt.Errorf("event %d: %v", i, err)
						return
					}
				}
			}()
			for i := range count {
				pub.publish("busy", fmt.Sprintf(`"%d %s"`, i, payload))
				if i == count/4 {
					vanishing.Reset()
				}
			}
			wg.Wait()
			select {
			case err := <-readErr:
				t.Fatalf("the other subscriber: %v", err)
			default:
			}
			pub.sync()
			assertNodeServes(t, n.Addr())
		})
	})
}

// TestPlainHTTP covers requests that are not upgrades.
func TestPlainHTTP(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		n := startNode(t, testConfig(poller))
		t.Run("GET / is answered 426", func(t *testing.T) {
			resp, body := httpGet(t, n.Addr(), "/")
			if resp.StatusCode != 426 {
				t.Errorf("status %q, want 426", resp.StatusLine)
			}
			if !resp.HasToken("Upgrade", "websocket") {
				t.Errorf("a 426 must name the protocol to upgrade to: headers %v", resp.Headers)
			}
			t.Logf("GET / → %q, body %q", resp.StatusLine, wstest.Abbrev(string(body), 100))
		})
		t.Run("GET /healthz", func(t *testing.T) {
			// Some traffic first, so that counters are not all zero.
			c := dialWAMP(t, n.Addr())
			c.subscribe("t")
			resp, body := httpGet(t, n.Addr(), "/healthz")
			if resp.StatusCode != 200 {
				t.Fatalf("status %q, want 200", resp.StatusLine)
			}
			if ct := resp.Get("Content-Type"); !strings.Contains(ct, "json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			var obj map[string]any
			if err := json.Unmarshal(body, &obj); err != nil {
				t.Fatalf("body is not a JSON object: %v: %q", err, wstest.Abbrev(string(body), 200))
			}
			if !hasPositiveNumber(obj) {
				t.Errorf("no counter is above zero with a session open: %s", body)
			}
			// The same counters as Node.Stats.
			statsJSON, err := json.Marshal(n.Stats())
			if err != nil {
				t.Fatal(err)
			}
			var stats map[string]any
			json.Unmarshal(statsJSON, &stats)
			for k := range stats {
				if !hasKey(obj, k) {
					t.Errorf("/healthz lacks the Stats counter %q: %s", k, body)
				}
			}
		})
		assertNodeServes(t, n.Addr())
	})
}

// httpGet sends a plain GET and reads the response and its body.
func httpGet(t *testing.T, addr, target string) (*wstest.Response, []byte) {
	t.Helper()
	c, err := wstest.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := wstest.GetRequest(addr, target).Set("Connection", "close")
	resp, err := c.Handshake(req.Bytes(), waitLong)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	body, err := c.ReadBody(resp, waitLong)
	if err != nil {
		t.Fatalf("GET %s body: %v", target, err)
	}
	return resp, body
}

func hasPositiveNumber(v any) bool {
	switch v := v.(type) {
	case float64:
		return v > 0
	case map[string]any:
		for _, x := range v {
			if hasPositiveNumber(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasPositiveNumber(x) {
				return true
			}
		}
	}
	return false
}

// hasKey looks for key in obj and in the objects nested in it.
func hasKey(obj map[string]any, key string) bool {
	if _, ok := obj[key]; ok {
		return true
	}
	for _, v := range obj {
		if m, ok := v.(map[string]any); ok && hasKey(m, key) {
			return true
		}
	}
	return false
}

// TestOriginPolicy refuses origins outside AllowedOrigins with 403.
func TestOriginPolicy(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.AllowedOrigins = []string{"https://good.example"}
		n := startNode(t, cfg)
		c, err := wstest.Dial(n.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		resp, err := c.Handshake(wstest.UpgradeRequest(n.Addr(), "wamp").Set("Origin", "https://evil.example").Bytes(), waitLong)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 403 {
			t.Errorf("foreign origin: status %q, want 403", resp.StatusLine)
		}
		if _, err := c.ReadAll(waitLong); err != nil {
			t.Errorf("connection not closed after the refusal: %v", err)
		}
		good, err := wstest.Connect(n.Addr(), wstest.UpgradeRequest(n.Addr(), "wamp").Set("Origin", "https://good.example"))
		if good != nil {
			defer good.Close()
		}
		if err != nil {
			t.Fatalf("allowed origin refused: %v", err)
		}
		if msg, err := good.ReadText(waitLong); err != nil || !welcomeRE.MatchString(msg) {
			t.Fatalf("allowed origin: no WELCOME: %q %v", msg, err)
		}
	})
}

// TestIdleTimeout reaps a silent client and keeps an active one.
func TestIdleTimeout(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.IdleTimeout = time.Second
		cfg.PingInterval = 0 // never
		n := startNode(t, cfg)
		silent := dialWAMP(t, n.Addr())
		active := dialWAMP(t, n.Addr())
		start := time.Now()
		// The active client speaks every tenth of the timeout (pacing, not
		// a barrier: a starved test process still has 900 ms of slack),
		// for two timeouts.
		for time.Since(start) < 2*cfg.IdleTimeout {
			active.sync()
			time.Sleep(cfg.IdleTimeout / 10)
		}
		frames, code, reason, err := silent.ReadUntilClose(waitLong)
		if err != nil {
			t.Fatalf("silent client not reaped after IdleTimeout %v: %v", cfg.IdleTimeout, err)
		}
		if code != 1001 || reason != "idle timeout" {
			t.Errorf("silent client closed with %d %q, want 1001 \"idle timeout\"", code, reason)
		}
		if len(frames) > 0 {
			t.Errorf("silent client got %v before being reaped", frames)
		}
		active.sync()
		assertNodeServes(t, n.Addr())
	})
}

// TestPingInterval expects server pings on an otherwise quiet session.
func TestPingInterval(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.PingInterval = 100 * time.Millisecond
		cfg.IdleTimeout = 0 // never
		n := startNode(t, cfg)
		c := dialWAMP(t, n.Addr())
		for i := range 2 {
			f, err := c.ReadFrame(waitLong)
			if err != nil {
				t.Fatalf("ping %d: %v", i, err)
			}
			if f.Op != wstest.OpPing {
				t.Fatalf("want a server ping, got %s", f)
			}
			if err := c.SendPong(string(f.Payload)); err != nil {
				t.Fatal(err)
			}
		}
		// Answered pings keep the session alive and usable.
		c.subscribeNoSync("t")
		c.publish("t", `"pinged"`)
		for {
			f, err := c.ReadFrame(waitLong)
			if err != nil {
				t.Fatal(err)
			}
			if f.Op == wstest.OpPing {
				c.SendPong(string(f.Payload))
				continue
			}
			if got := string(f.Payload); got != `[8,"t","pinged"]` {
				t.Fatalf("got %s, want the event", f)
			}
			break
		}
	})
}

// TestShutdownClosesSessions expects close 1001 on every session.
func TestShutdownClosesSessions(t *testing.T) {
	forEachPoller(t, func(t *testing.T, poller string) {
		n, err := New(testConfig(poller))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		addr := n.Addr()
		var clients []*wampClient
		for i := range 3 {
			c := dialWAMP(t, addr)
			if i == 0 {
				c.subscribe("t")
			}
			clients = append(clients, c)
		}
		half, err := wstest.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer half.Close()
		half.WriteRaw([]byte(stuckHead))
		// Shutdown resets connections still waiting in the backlog; this
		// one must have been accepted to be owed an orderly close.
		waitOpenConns(t, n, int64(len(clients)+1))

		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		shut := make(chan error, 1)
		go func() { shut <- n.Shutdown(ctx) }()
		// Each client answers the close frame, as a browser does, and
		// then sees the node close TCP.
		for i, c := range clients {
			code, reason, err := c.ReadClose(waitLong)
			if err != nil || code != 1001 {
				t.Errorf("client %d: want close 1001, got %d %q %v", i, code, reason, err)
				continue
			}
			c.SendClose(1001, "")
			if err := c.ExpectEOF(waitLong); err != nil {
				t.Errorf("client %d: %v", i, err)
			}
			c.Close() // the node lingers until the peer's FIN
		}
		if _, err := half.ReadAll(waitLong); err != nil {
			t.Errorf("half-open handshake not closed by Shutdown: %v", err)
		}
		half.Close()
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if c, err := wstest.Dial(addr); err == nil {
			out, err := c.ReadAll(waitLong)
			c.Close()
			if err != nil || len(out) > 0 {
				t.Errorf("a node shut down still accepts connections (%q, %v)", out, err)
			}
		}
	})
}
