package wamptest

import (
	"fmt"
	"sync"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/internal/wsframe"
)

// Conn is a wamp.Conn that records what is sent to it. It is safe for
// concurrent use. Frames given to SendFrame are parsed back to their
// payloads, so Messages shows SendText, SendBinary and SendFrame output
// alike; TakeMessages tells text and binary apart.
type Conn struct {
	Addr string // returned by RemoteAddr

	mu          sync.Mutex
	msgs        []Message
	closed      bool
	code        uint16
	reason      string
	frameErrors []string
}

// Message is one recorded message.
type Message struct {
	Binary bool   // sent as a binary frame
	Data   string // the payload
}

// NewConn returns a recording Conn with remote address addr.
func NewConn(addr string) *Conn { return &Conn{Addr: addr} }

// SendText records msg as a text message.
func (c *Conn) SendText(msg []byte) { c.record(false, msg) }

// SendBinary records msg as a binary message.
func (c *Conn) SendBinary(msg []byte) { c.record(true, msg) }

func (c *Conn) record(binary bool, msg []byte) {
	c.mu.Lock()
	c.msgs = append(c.msgs, Message{Binary: binary, Data: string(msg)})
	c.mu.Unlock()
}

// SendFrame records the payload of a complete unmasked text or binary
// frame; a frame that is not one is recorded as an error (see
// FrameErrors).
func (c *Conn) SendFrame(frame []byte) {
	isBinary, payload, err := framePayload(frame)
	if err != nil {
		c.mu.Lock()
		c.frameErrors = append(c.frameErrors, err.Error())
		c.mu.Unlock()
		return
	}
	c.record(isBinary, payload)
}

// Close records the close code and reason (the first call wins).
func (c *Conn) Close(code uint16, reason string) {
	c.mu.Lock()
	if !c.closed {
		c.closed, c.code, c.reason = true, code, reason
	}
	c.mu.Unlock()
}

// RemoteAddr returns c.Addr.
func (c *Conn) RemoteAddr() string { return c.Addr }

// Messages returns the payloads of every message recorded so far.
func (c *Conn) Messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return payloads(c.msgs)
}

// Take returns the payloads of the messages recorded since the last Take
// (or TakeMessages) and forgets them.
func (c *Conn) Take() []string { return payloads(c.TakeMessages()) }

// TakeMessages returns the messages recorded since the last Take (or
// TakeMessages) and forgets them.
func (c *Conn) TakeMessages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.msgs
	c.msgs = nil
	return m
}

func payloads(msgs []Message) []string {
	if msgs == nil {
		return nil
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Data
	}
	return out
}

// CloseCode reports the code and reason of the first Close call, and
// whether there was one.
func (c *Conn) CloseCode() (code uint16, reason string, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code, c.reason, c.closed
}

// FrameErrors lists the problems found in frames given to SendFrame.
func (c *Conn) FrameErrors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.frameErrors...)
}

// framePayload checks that frame is one complete, final, unmasked text
// or binary frame and returns its kind and payload.
func framePayload(frame []byte) (isBinary bool, payload []byte, err error) {
	var h wsframe.Header
	n, ok := wsframe.DecodeHeader(frame, &h)
	switch {
	case !ok:
		return false, nil, fmt.Errorf("frame of %d bytes holds no whole header", len(frame))
	case !h.Fin || h.Rsv != 0 || (h.OpCode != ws.OpText && h.OpCode != ws.OpBinary):
		return false, nil, fmt.Errorf("first byte %#x, want 0x81 or 0x82 (FIN, text or binary)", frame[0])
	case h.Masked:
		return false, nil, fmt.Errorf("server frame is masked")
	case uint64(len(frame)-n) != h.Length:
		return false, nil, fmt.Errorf("frame declares %d payload bytes, carries %d", h.Length, len(frame)-n)
	}
	return h.OpCode == ws.OpBinary, frame[n:], nil
}
