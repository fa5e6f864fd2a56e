package wamptest

import (
	"slices"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/internal/wsframe"
)

func TestConnRecordsFrames(t *testing.T) {
	c := NewConn("1.2.3.4:5")
	small, mid, big := "[8,\"t\",1]", strings.Repeat("m", 300), strings.Repeat("b", 70000)
	c.SendText([]byte("text"))
	for _, p := range []string{small, mid, big} {
		c.SendFrame(wsframe.Text([]byte(p)))
	}
	c.SendFrame([]byte{0x82, 0x01, 0xc0})     // binary
	c.SendBinary([]byte{0x93})                // binary
	c.SendFrame([]byte{0x81, 0x05, 'a', 'b'}) // truncated
	c.SendFrame([]byte{0x89, 0x00})           // ping
	if got := c.Take(); !slices.Equal(got, []string{"text", small, mid, big, "\xc0", "\x93"}) {
		t.Errorf("recorded %q", got)
	}
	c.SendText([]byte("t"))
	c.SendFrame([]byte{0x82, 0x01, 0xc0})
	if got := c.TakeMessages(); !slices.Equal(got, []Message{{false, "t"}, {true, "\xc0"}}) {
		t.Errorf("TakeMessages = %+v", got)
	}
	if errs := c.FrameErrors(); len(errs) != 2 {
		t.Errorf("frame errors %q, want 2", errs)
	}
	c.Close(1007, "bad")
	c.Close(1000, "")
	if code, reason, closed := c.CloseCode(); !closed || code != 1007 || reason != "bad" {
		t.Errorf("close = %d %q %v", code, reason, closed)
	}
	if c.RemoteAddr() != "1.2.3.4:5" || len(c.Messages()) != 0 {
		t.Errorf("addr %q, messages after Take %d", c.RemoteAddr(), len(c.Messages()))
	}
}
