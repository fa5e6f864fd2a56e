package broadcast

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/gobwas/ws"
)

// frameRoom is the headroom left in front of every outgoing message: the
// longest header, a masked one with a 64-bit length.
const frameRoom = 14

// frameIn turns buf, whose message starts at buf[frameRoom:], into one
// binary WebSocket frame by writing the header right before the message,
// and returns the frame (a subslice of buf). A dialing peer is a WebSocket
// client and masks its frames; the accepting side does not.
func frameIn(buf []byte, masked bool) []byte {
	n := len(buf) - frameRoom
	hl := 2
	switch {
	case n > 0xFFFF:
		hl += 8
	case n >= 126:
		hl += 2
	}
	if masked {
		hl += 4
	}
	h := buf[frameRoom-hl : frameRoom]
	h[0] = 0x80 | byte(ws.OpBinary)
	switch {
	case n > 0xFFFF:
		h[1] = 127
		binary.BigEndian.PutUint64(h[2:10], uint64(n))
	case n >= 126:
		h[1] = 126
		binary.BigEndian.PutUint16(h[2:4], uint16(n))
	default:
		h[1] = byte(n)
	}
	if masked {
		h[1] |= 0x80
		var key [4]byte
		binary.LittleEndian.PutUint32(key[:], rand.Uint32())
		copy(h[hl-4:], key[:])
		ws.Cipher(buf[frameRoom:], key, 0)
	}
	return buf[frameRoom-hl:]
}

// newMessage starts an outgoing message of type typ with headroom for
// frameIn.
func newMessage(typ byte, size int) []byte {
	b := make([]byte, frameRoom, frameRoom+1+size)
	return append(b, typ)
}
