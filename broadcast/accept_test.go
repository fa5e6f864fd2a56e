package broadcast

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
)

// frameConn is a wamp.Conn that keeps the binary messages sent to it.
type frameConn struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (c *frameConn) SendText([]byte)   {}
func (c *frameConn) SendBinary([]byte) {}
func (c *frameConn) SendFrame(frame []byte) {
	var sink collect
	p := wsframe.Parser{ServerFrames: true}
	if err := p.Feed(append([]byte(nil), frame...), &sink); err == nil {
		c.mu.Lock()
		c.msgs = append(c.msgs, sink.msgs...)
		c.mu.Unlock()
	}
}
func (c *frameConn) Close(uint16, string) {}
func (c *frameConn) RemoteAddr() string   { return "127.0.0.9:1" }

const (
	dialerNode   = "127.0.0.1:1001"
	acceptorNode = "127.0.0.1:1002"
)

// authenticated runs the handshake of a dialing peer against the
// accepting side of a mesh and returns the session, ready for batches,
// and what the mesh delivered.
func authenticated(t *testing.T) (wamp.ProtocolSession, *[]*wamp.Publication) {
	t.Helper()
	m, err := NewMesh(Config{Node: acceptorNode, Pool: []string{dialerNode, acceptorNode}, Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	var delivered []*wamp.Publication
	m.deliver = func(p *wamp.Publication) { delivered = append(delivered, p) }
	c := &frameConn{}
	s := m.Accept(c)
	nonce := newNonce()
	if err := s.HandleMessage(helloMessage(nonce, dialerNode, 1<<20), true); err != nil {
		t.Fatalf("hello: %v", err)
	}
	if len(c.msgs) != 1 || c.msgs[0][0] != msgChallenge {
		t.Fatalf("no challenge: %q", c.msgs)
	}
	r := reader{b: c.msgs[0][1:]}
	theirs := r.hello()
	if r.err != nil || theirs.node != acceptorNode || theirs.maxMessage != m.MaxLinkMessage() {
		t.Fatalf("challenge %+v (%v)", theirs, r.err)
	}
	auth := append([]byte{msgAuth}, proof("s", roleDialer, theirs.nonce, nonce, dialerNode, acceptorNode)...)
	if err := s.HandleMessage(auth, true); err != nil {
		t.Fatalf("auth: %v", err)
	}
	if st := m.Status(); st.LinksUp != 1 {
		t.Fatalf("link not up after the handshake: %+v", st)
	}
	return s, &delivered
}

// helloMessage is a dialer's hello.
func helloMessage(nonce []byte, node string, maxMessage int) []byte {
	return appendHello([]byte{msgHello}, hello{nonce: nonce, node: node, boot: 7, maxMessage: maxMessage})
}

// closeCode returns the close code an error asks for, 0 for none.
func closeCode(err error) uint16 {
	var ce *wamp.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func TestAcceptedLinkRejectsBadInputAfterAuthentication(t *testing.T) {
	good := appendBatchHeader(nil, 1, 1)
	good = append(good, encodeRecord(testRecord("t", `"x"`, nil, nil))...)
	for _, tc := range []struct {
		name     string
		msg      []byte
		bin      bool
		code     uint16
		delivers int // whole records before the fault are delivered
	}{
		{"text message", []byte("P"), false, closeUnsupported, 0},
		{"unknown message type", []byte("Zzz"), true, closeProtocolError, 0},
		{"a second hello", append([]byte{msgHello}, newNonce()...), true, closeProtocolError, 0},
		{"truncated batch", good[:len(good)-2], true, closeProtocolError, 0},
		{"trailing bytes", append(append([]byte(nil), good...), 0), true, closeProtocolError, 1},
		{"hostile record count", []byte{msgBatch, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}, true, closeProtocolError, 0},
		{"ack of a record never sent", appendAck(nil, 1), true, closeProtocolError, 0},
		{"ack with trailing bytes", append(appendAck(nil, 0), 0), true, closeProtocolError, 0},
		{"truncated ack", []byte{msgAck, 0x80}, true, closeProtocolError, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, delivered := authenticated(t)
			if code := closeCode(s.HandleMessage(tc.msg, tc.bin)); code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
			if len(*delivered) != tc.delivers {
				t.Fatalf("delivered %d publications, want %d", len(*delivered), tc.delivers)
			}
		})
	}
	// And a good batch is delivered, once.
	s, delivered := authenticated(t)
	if err := s.HandleMessage(good, true); err != nil {
		t.Fatal(err)
	}
	if err := s.HandleMessage(good, true); err != nil { // the same sequence number again
		t.Fatal(err)
	}
	if len(*delivered) != 1 || (*delivered)[0].Topic != "t" || !(*delivered)[0].Relayed {
		t.Fatalf("delivered %+v", *delivered)
	}
}

func TestAcceptingSideRefusesBeforeAuthentication(t *testing.T) {
	m, err := NewMesh(Config{Node: acceptorNode, Pool: []string{dialerNode, acceptorNode}, Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	m.deliver = func(*wamp.Publication) { t.Fatal("delivered before authentication") }
	hello := func(node string) []byte { return helloMessage(newNonce(), node, 1<<20) }
	for name, steps := range map[string][][]byte{
		"batch first":         {appendBatchHeader(nil, 1, 0)},
		"ack first":           {appendAck(nil, 0)},
		"unknown node":        {hello("127.0.0.1:9")},
		"wrong dial order":    {hello(acceptorNode)},
		"short hello":         {{msgHello, 1, 2}},
		"hello without bound": {hello(dialerNode)[:len(hello(dialerNode))-3]},
		"tiny message bound":  {helloMessage(newNonce(), dialerNode, 100)},
		"hello with trailer":  {append(hello(dialerNode), 0)},
		"wrong proof":         {hello(dialerNode), append([]byte{msgAuth}, make([]byte, 32)...)},
		"batch after hello":   {hello(dialerNode), appendBatchHeader(nil, 1, 0)},
		"old version's hello": {binary.AppendUvarint(appendString(append([]byte{msgHello}, newNonce()...), dialerNode), 1)},
	} {
		t.Run(name, func(t *testing.T) {
			s := m.Accept(&frameConn{})
			var err error
			for _, msg := range steps {
				if err = s.HandleMessage(msg, true); err != nil {
					break
				}
			}
			if code := closeCode(err); code != closePolicyViolation {
				t.Fatalf("close code %d (%v), want %d", code, err, closePolicyViolation)
			}
		})
	}
	if m.Status().LinksUp != 0 || m.Status().AuthFailures != 11 {
		t.Fatalf("status %+v: want no link and 11 refusals", m.Status())
	}
}
