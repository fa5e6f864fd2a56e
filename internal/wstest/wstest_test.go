package wstest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// RFC 6455 §5.7 examples.
var (
	rfcMaskedHello   = []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	rfcUnmaskedHello = []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}
	rfcFragHel       = []byte{0x01, 0x03, 0x48, 0x65, 0x6c}
	rfcFragLo        = []byte{0x80, 0x02, 0x6c, 0x6f}
	rfcMaskedPong    = []byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
)

func TestAcceptKey(t *testing.T) {
	if got := AcceptKey(SampleKey); got != SampleAccept {
		t.Fatalf("AcceptKey = %q, want %q", got, SampleAccept)
	}
}

func TestEncodeMatchesRFCExamples(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	cases := []struct {
		name string
		f    OutFrame
		want []byte
	}{
		{"masked text", OutFrame{Op: OpText, Payload: []byte("Hello"), Mask: &key}, rfcMaskedHello},
		{"unmasked text", OutFrame{Op: OpText, Payload: []byte("Hello"), NoMask: true}, rfcUnmaskedHello},
		{"first fragment", OutFrame{Op: OpText, Payload: []byte("Hel"), NoFin: true, NoMask: true}, rfcFragHel},
		{"last fragment", OutFrame{Op: OpContinuation, Payload: []byte("lo"), NoMask: true}, rfcFragLo},
		{"masked pong", OutFrame{Op: OpPong, Payload: []byte("Hello"), Mask: &key}, rfcMaskedPong},
		{"rsv1 reserved opcode", OutFrame{Op: 3, Rsv: RSV1, NoMask: true}, []byte{0xc3, 0x00}},
		{"all rsv", OutFrame{Op: OpBinary, Rsv: RSV1 | RSV2 | RSV3, NoMask: true}, []byte{0xf2, 0x00}},
	}
	for _, tc := range cases {
		if got := Encode(tc.f); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: Encode = % x, want % x", tc.name, got, tc.want)
		}
	}
}

func TestLengthEncodings(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 0xFFFF, 0x10000, 3 << 20} {
		payload := bytes.Repeat([]byte{'a'}, n)
		for _, masked := range []bool{false, true} {
			wire := Encode(OutFrame{Op: OpBinary, Payload: payload, NoMask: !masked})
			wantHead := 2
			switch {
			case n > 0xFFFF:
				wantHead = 10
			case n > 125:
				wantHead = 4
			}
			if masked {
				wantHead += 4
			}
			if len(wire) != wantHead+n {
				t.Fatalf("n=%d masked=%v: wire length %d, want %d", n, masked, len(wire), wantHead+n)
			}
			// Every prefix is incomplete, the whole is one frame.
			if f, k, err := ParseFrame(wire[:len(wire)-1], 0); f != nil || k != 0 || err != nil {
				t.Fatalf("n=%d: partial frame parsed as %v %d %v", n, f, k, err)
			}
			f, k, err := ParseFrame(wire, 0)
			if err != nil || f == nil || k != len(wire) {
				t.Fatalf("n=%d: ParseFrame = %v %d %v", n, f, k, err)
			}
			if f.Masked != masked || !f.Fin || f.Op != OpBinary || !bytes.Equal(f.Payload, payload) {
				t.Fatalf("n=%d masked=%v: round trip gave %s", n, masked, f)
			}
		}
	}
}

func TestDeclaredLength(t *testing.T) {
	l := uint64(1) << 62
	wire := Encode(OutFrame{Op: OpText, Payload: []byte("x"), DeclaredLen: &l, NoMask: true})
	want := []byte{0x81, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0, 'x'}
	if !bytes.Equal(wire, want) {
		t.Fatalf("wire % x, want % x", wire, want)
	}
	if _, _, err := ParseFrame(wire, 1<<20); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("ParseFrame with limit: err %v, want ErrFrameTooLarge", err)
	}
}

func TestParseRFCExamplesAndClose(t *testing.T) {
	f, n, err := ParseFrame(append(append([]byte{}, rfcMaskedHello...), 0x81), 0)
	if err != nil || n != len(rfcMaskedHello) || f.Text() != "Hello" || !f.Masked {
		t.Fatalf("masked hello: %v %d %v", f, n, err)
	}
	cf := &Frame{Op: OpClose, Payload: CloseBody(1009, "too big")}
	if code, reason, ok := cf.CloseCode(); !ok || code != 1009 || reason != "too big" {
		t.Fatalf("CloseCode = %d %q %v", code, reason, ok)
	}
	if _, _, ok := (&Frame{Op: OpClose}).CloseCode(); !ok {
		t.Fatal("empty close body must be ok")
	}
	if _, _, ok := (&Frame{Op: OpClose, Payload: []byte{3}}).CloseCode(); ok {
		t.Fatal("1-byte close body must not be ok")
	}
}

func TestRequestBuilder(t *testing.T) {
	r := UpgradeRequest("h:1", "a", "wamp").Set("Origin", "http://x").Set("host", "h:2").Add("X-A", "1").Add("X-A", "2")
	want := "GET / HTTP/1.1\r\nHost: h:2\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: a, wamp\r\nOrigin: http://x\r\nX-A: 1\r\nX-A: 2\r\n\r\n"
	if got := string(r.Bytes()); got != want {
		t.Fatalf("request:\n%q\nwant\n%q", got, want)
	}
	r.Del("x-a").Set("Upgrade", "WebSocket")
	r.Method, r.Target = "POST", "ws://h:1/"
	if got := string(r.Bytes()); !strings.HasPrefix(got, "POST ws://h:1/ HTTP/1.1\r\n") ||
		strings.Contains(got, "X-A") || !strings.Contains(got, "Upgrade: WebSocket\r\n") {
		t.Fatalf("edited request %q", got)
	}
}

func TestParseResponseHead(t *testing.T) {
	r, err := ParseResponseHead([]byte("HTTP/1.1 426 No Sec-WebSocket-Protocols requested supported\r\nB: 2\r\nA:1\r\nConnection: keep-alive, Upgrade\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 426 || r.Reason != "No Sec-WebSocket-Protocols requested supported" || r.Proto != "HTTP/1.1" {
		t.Fatalf("status %+v", r)
	}
	if len(r.Headers) != 3 || r.Headers[0] != (HeaderField{"B", "2"}) || r.Get("a") != "1" {
		t.Fatalf("headers %+v", r.Headers)
	}
	if !r.HasToken("connection", "upgrade") || r.HasToken("Connection", "close") {
		t.Fatal("HasToken")
	}
	for _, bad := range []string{"", "HTTP/1.1\r\n\r\n", "HTTP/1.1 abc x\r\n\r\n", "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", "SSH-2.0 x\r\n\r\n"} {
		if _, err := ParseResponseHead([]byte(bad)); err == nil {
			t.Errorf("ParseResponseHead(%q) accepted", bad)
		}
	}
}

// testServer is a tiny WebSocket server. It reads a request head, then
// runs script on the connection with a buffered reader positioned after
// the head.
type testServer struct {
	ln   net.Listener
	done chan struct{}
}

func startServer(t *testing.T, script func(conn net.Conn, br *bufio.Reader, head string)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		script(conn, br, head.String())
	}()
	t.Cleanup(func() {
		ln.Close()
		<-s.done
	})
	return s
}

func (s *testServer) addr() string { return s.ln.Addr().String() }

const head101 = "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Protocol: wamp\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"

// readClientFrame reads one masked frame from br.
func readClientFrame(br *bufio.Reader) (*Frame, error) {
	var buf []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			return nil, err
		}
		buf = append(buf, b)
		if f, _, err := ParseFrame(buf, 0); f != nil || err != nil {
			return f, err
		}
	}
}

func TestHandshakeWithFrameInSameWrite(t *testing.T) {
	s := startServer(t, func(conn net.Conn, br *bufio.Reader, head string) {
		welcome := append([]byte(head101), Encode(OutFrame{Op: OpText, Payload: []byte(`[0,"s",1,"x"]`), NoMask: true})...)
		conn.Write(welcome)
		// Echo every client frame back unmasked, with its bits.
		for {
			f, err := readClientFrame(br)
			if err != nil {
				return
			}
			if !f.Masked {
				conn.Write(Encode(OutFrame{Op: OpClose, Payload: CloseBody(1002, "unmasked"), NoMask: true}))
				return
			}
			op := f.Op
			if op == OpPing {
				op = OpPong
			}
			conn.Write(Encode(OutFrame{Op: op, Payload: f.Payload, NoFin: !f.Fin, Rsv: f.Rsv, NoMask: true}))
			if f.Op == OpClose {
				return
			}
		}
	})
	c, err := Connect(s.addr(), UpgradeRequest(s.addr(), "x", "wamp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := c.Response
	if r.StatusCode != 101 || !r.FrameWithHead {
		t.Fatalf("response %+v", r)
	}
	wantOrder := []string{"Sec-WebSocket-Protocol", "Upgrade", "Connection", "Sec-WebSocket-Accept"}
	for i, h := range r.Headers {
		if h.Name != wantOrder[i] {
			t.Fatalf("header order %+v", r.Headers)
		}
	}
	if got, err := c.ReadText(time.Second); err != nil || got != `[0,"s",1,"x"]` {
		t.Fatalf("welcome %q %v", got, err)
	}
	if err := c.WriteFrame(OutFrame{Op: 3, Payload: []byte("r"), Rsv: RSV1 | RSV3, NoFin: true}); err != nil {
		t.Fatal(err)
	}
	f, err := c.ReadFrame(time.Second)
	if err != nil || f.Op != 3 || f.Rsv != RSV1|RSV3 || f.Fin || f.Text() != "r" || f.Masked {
		t.Fatalf("echo %v %v", f, err)
	}
	frames, err := c.Sync(time.Second)
	if err != nil || len(frames) != 0 {
		t.Fatalf("Sync = %v, %v", frames, err)
	}
	c.SendText("q")
	c.SendPong("unsolicited")
	frames, err = c.Sync(time.Second)
	if err != nil || len(frames) != 2 || frames[0].Text() != "q" || frames[1].Op != OpPong {
		t.Fatalf("Sync after a text frame = %v, %v", frames, err)
	}
	if err := c.ExpectNoFrame(50 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := c.SendText("after-timeout"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ReadText(time.Second); err != nil || got != "after-timeout" {
		t.Fatalf("read after a timeout: %q %v", got, err)
	}
	if err := c.WriteFrame(OutFrame{Op: OpText, Payload: []byte("x"), NoMask: true}); err != nil {
		t.Fatal(err)
	}
	code, reason, err := c.ExpectClose(time.Second)
	if err != nil || code != 1002 || reason != "unmasked" {
		t.Fatalf("ExpectClose = %d %q %v", code, reason, err)
	}
	if _, err := c.ReadFrame(time.Second); !errors.Is(err, io.EOF) {
		t.Fatalf("EOF must be sticky, got %v", err)
	}
}

func TestHandshakeFrameInLaterWrite(t *testing.T) {
	s := startServer(t, func(conn net.Conn, br *bufio.Reader, head string) {
		conn.Write([]byte(head101))
		// The frame goes out only after the client, back from Connect,
		// sent one: it cannot be in the read that completed the head.
		if f, err := readClientFrame(br); err != nil || f.Text() != "head read" {
			return
		}
		conn.Write(Encode(OutFrame{Op: OpText, Payload: []byte("late"), NoMask: true}))
	})
	c, err := Connect(s.addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Response.FrameWithHead {
		t.Fatal("FrameWithHead true before the server wrote a frame")
	}
	if err := c.SendText("head read"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ReadText(time.Second); err != nil || got != "late" {
		t.Fatalf("%q %v", got, err)
	}
	if err := c.ExpectEOF(time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestPartialFrameAcrossDeadlines(t *testing.T) {
	wire := Encode(OutFrame{Op: OpText, Payload: bytes.Repeat([]byte("z"), 300), NoMask: true})
	// Cuts inside the first header byte pair, inside the 16-bit length
	// and inside the payload.
	cuts := []int{1, 3, 150}
	s := startServer(t, func(conn net.Conn, br *bufio.Reader, head string) {
		conn.Write([]byte(head101))
		from := 0
		for _, to := range cuts {
			conn.Write(wire[from:to])
			from = to
			// The next part goes out only once the client has read this
			// one and timed out holding it.
			if _, err := readClientFrame(br); err != nil {
				return
			}
		}
		conn.Write(wire[from:])
		// A frame cut short by the close.
		conn.Write(wire[:5])
	})
	c, err := Connect(s.addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for _, to := range cuts {
		// At most until the deadline: each call reads what has arrived
		// and times out, as the frame cannot be complete yet.
		for c.Buffered() < to {
			if time.Now().After(deadline) {
				t.Fatalf("%d bytes buffered, want %d", c.Buffered(), to)
			}
			if f, err := c.ReadFrame(10 * time.Millisecond); !IsTimeout(err) {
				t.Fatalf("ReadFrame with %d of %d bytes sent = %v, %v; want a timeout", to, len(wire), f, err)
			}
		}
		if c.Buffered() != to {
			t.Fatalf("%d bytes buffered, want %d", c.Buffered(), to)
		}
		if err := c.SendText("next"); err != nil {
			t.Fatal(err)
		}
	}
	f, err := c.ReadFrame(time.Second)
	if err != nil || len(f.Payload) != 300 || f.Text() != strings.Repeat("z", 300) {
		t.Fatalf("frame %v, %v", f, err)
	}
	if _, err := c.ReadFrame(time.Second); !errors.Is(err, io.ErrUnexpectedEOF) || !IsClosed(err) {
		t.Fatalf("want unexpected EOF, got %v", err)
	}
}

func TestRefusalBodyAndRawRequest(t *testing.T) {
	var gotHead string
	s := startServer(t, func(conn net.Conn, br *bufio.Reader, head string) {
		gotHead = head
		conn.Write([]byte("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 5\r\n\r\nhello"))
	})
	c, err := Dial(s.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw := "GET ws://x/ HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n\r\n"
	resp, err := c.Handshake([]byte(raw), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	body, err := c.ReadBody(resp, time.Second)
	if err != nil || string(body) != "hello" || resp.StatusCode != 426 || resp.FrameWithHead {
		t.Fatalf("resp %+v body %q err %v", resp, body, err)
	}
	if err := c.ExpectEOF(time.Second); err != nil {
		t.Fatal(err)
	}
	if gotHead != raw {
		t.Fatalf("server got %q", gotHead)
	}
}

func TestReset(t *testing.T) {
	got := make(chan error, 1)
	s := startServer(t, func(conn net.Conn, br *bufio.Reader, head string) {
		conn.Write([]byte(head101))
		_, err := br.ReadByte()
		got <- err
	})
	c, err := Connect(s.addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Reset()
	select {
	case err := <-got:
		if !IsClosed(err) {
			t.Fatalf("server read after RST: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server never saw the reset")
	}
}

// ReadUntilClose accepts only complete frames, a close frame and then a
// clean EOF: each other ending is an error.
func TestReadUntilClose(t *testing.T) {
	text := func(s string) []byte { return Encode(OutFrame{Op: OpText, Payload: []byte(s), NoMask: true}) }
	closeFrame := Encode(OutFrame{Op: OpClose, Payload: CloseBody(1008, "slow consumer"), NoMask: true})
	cases := []struct {
		name  string
		wire  []byte
		reset bool // end with an RST instead of a FIN
		ok    bool
	}{
		{"frames, close, FIN", bytes.Join([][]byte{text("a"), text("b"), closeFrame}, nil), false, true},
		{"FIN without a close frame", bytes.Join([][]byte{text("a"), text("b")}, nil), false, false},
		{"frame cut short", append(text("a"), text("bbbb")[:3]...), false, false},
		{"close frame cut short", append(text("a"), closeFrame[:4]...), false, false},
		{"close frame then RST", append(text("a"), closeFrame...), true, false},
		{"bytes after the close frame", append(closeFrame, text("late")...), false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, func(conn net.Conn, br *bufio.Reader, head string) {
				conn.Write(append([]byte(head101), tc.wire...))
				if tc.reset {
					conn.(*net.TCPConn).SetLinger(0)
				}
				conn.Close()
			})
			c, err := Connect(s.addr(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			frames, code, reason, err := c.ReadUntilClose(time.Second)
			if tc.ok {
				if err != nil || code != 1008 || reason != "slow consumer" || len(frames) != 2 {
					t.Fatalf("ReadUntilClose = %v, %d %q, %v", frames, code, reason, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadUntilClose accepted %q: frames %v, close %d %q", tc.name, frames, code, reason)
			}
			t.Logf("%s: %v", tc.name, err)
		})
	}
}
