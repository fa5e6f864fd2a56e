package broadcast

import (
	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/internal/wsframe"
)

// frameRoom is the headroom left in front of every outgoing message: the
// longest header, a masked one with a 64-bit length.
const frameRoom = wsframe.MaxMaskedHeaderSize

// frameIn turns buf, whose message starts at buf[frameRoom:], into one
// binary WebSocket frame in place (wsframe.FrameInPlace) and returns the
// frame, a subslice of buf. A dialing peer is a WebSocket client and
// masks its frames; the accepting side does not.
func frameIn(buf []byte, masked bool) []byte {
	h := wsframe.Header{Fin: true, OpCode: ws.OpBinary, Masked: masked}
	if masked {
		h.Mask = wsframe.NewMask()
	}
	return wsframe.FrameInPlace(buf, frameRoom, h)
}

// newMessage starts an outgoing message of type typ with headroom for
// frameIn.
func newMessage(typ byte, size int) []byte {
	b := make([]byte, frameRoom, frameRoom+1+size)
	return append(b, typ)
}
