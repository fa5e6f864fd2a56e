package wamptest

import (
	"fmt"
	"sync"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/internal/wsframe"
)

// Conn is a wamp.Conn that records what is sent to it. It is safe for
// concurrent use. Frames given to SendFrame are parsed back to their
// payloads, so Messages shows SendText and SendFrame output alike.
type Conn struct {
	Addr string // returned by RemoteAddr

	mu          sync.Mutex
	msgs        []string
	closed      bool
	code        uint16
	reason      string
	frameErrors []string
}

// NewConn returns a recording Conn with remote address addr.
func NewConn(addr string) *Conn { return &Conn{Addr: addr} }

// SendText records msg.
func (c *Conn) SendText(msg []byte) {
	c.mu.Lock()
	c.msgs = append(c.msgs, string(msg))
	c.mu.Unlock()
}

// SendFrame records the payload of a complete unmasked text frame; a
// frame that is not one is recorded as an error (see FrameErrors).
func (c *Conn) SendFrame(frame []byte) {
	payload, err := textPayload(frame)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.frameErrors = append(c.frameErrors, err.Error())
		return
	}
	c.msgs = append(c.msgs, string(payload))
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

// Messages returns every message recorded so far.
func (c *Conn) Messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// Take returns the messages recorded since the last Take and forgets them.
func (c *Conn) Take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.msgs
	c.msgs = nil
	return m
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

// textPayload checks that frame is one complete, final, unmasked text
// frame and returns its payload.
func textPayload(frame []byte) ([]byte, error) {
	var h wsframe.Header
	n, ok := wsframe.DecodeHeader(frame, &h)
	switch {
	case !ok:
		return nil, fmt.Errorf("frame of %d bytes holds no whole header", len(frame))
	case !h.Fin || h.Rsv != 0 || h.OpCode != ws.OpText:
		return nil, fmt.Errorf("first byte %#x, want 0x81 (FIN, text)", frame[0])
	case h.Masked:
		return nil, fmt.Errorf("server frame is masked")
	case uint64(len(frame)-n) != h.Length:
		return nil, fmt.Errorf("frame declares %d payload bytes, carries %d", h.Length, len(frame)-n)
	}
	return frame[n:], nil
}
