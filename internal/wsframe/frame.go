package wsframe

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/gobwas/ws"
)

// AppendFrame appends a frame with header h carrying payload, masked with
// h.Mask when h.Masked. The header is written as given, Length included,
// so a caller can declare a length it never sends; in a well-formed frame
// h.Length is len(payload).
func AppendFrame(dst []byte, h Header, payload []byte) []byte {
	dst = h.AppendTo(dst)
	if !h.Masked {
		return append(dst, payload...)
	}
	return appendMasked(dst, payload, h.Mask)
}

// AppendMasked appends a FIN frame with opcode op carrying payload masked
// with key, as a client sends it.
func AppendMasked(dst []byte, op ws.OpCode, payload []byte, key [4]byte) []byte {
	dst = appendLength(dst, 0x80|byte(op), 0x80, uint64(len(payload)))
	dst = append(dst, key[:]...)
	return appendMasked(dst, payload, key)
}

// appendMasked appends payload masked with key.
func appendMasked(dst, payload []byte, key [4]byte) []byte {
	start := len(dst)
	dst = append(dst, payload...)
	ws.Cipher(dst[start:], key, 0)
	return dst
}

// FrameInPlace makes buf[room:], a payload built behind room bytes of
// headroom, into one frame with header h, without copying the payload: it
// sets h.Length to the payload's length, writes the header into the
// headroom right before the payload, masks the payload in place when
// h.Masked, and returns the frame, a subslice of buf. room must be at
// least the header's size; MaxMaskedHeaderSize always is.
func FrameInPlace(buf []byte, room int, h Header) []byte {
	h.Length = uint64(len(buf) - room)
	start := room - h.Size()
	h.AppendTo(buf[start:start])
	if h.Masked {
		ws.Cipher(buf[room:], h.Mask, 0)
	}
	return buf[start:]
}

// NewMask returns a fresh masking key from math/rand/v2's randomly seeded
// generator (RFC 6455 §5.3 asks for keys a peer cannot predict).
func NewMask() (key [4]byte) {
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	return key
}
