package wsframe

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// MaxMaskedHeaderSize is the longest frame header there is: a 64-bit
// length and a masking key, as a client sends a large frame.
const MaxMaskedHeaderSize = 14

// Header is a frame header with every field explicit. It is the raw form
// of a header: AppendTo writes any header and DecodeHeader reads any,
// judging nothing (reserved bits and opcodes, masking on the wrong side, a
// length never sent or with its top bit set all pass), so that a test
// client can send what a broken peer would and report what it gets. The
// Parser is where RFC 6455's rules are applied.
type Header struct {
	Fin    bool
	Rsv    byte      // the three RSV bits, RSV1 the highest (0–7)
	OpCode ws.OpCode // 4 bits
	Masked bool
	Mask   [4]byte // the masking key, when Masked
	Length uint64  // the payload length the header declares
}

// Size reports how many bytes AppendTo writes for h.
func (h *Header) Size() int {
	n := 2 + lengthSize(h.Length)
	if h.Masked {
		n += 4
	}
	return n
}

// lengthSize is how many bytes a payload length of n takes after the
// 7-bit field: none, 16 bits, or 64.
func lengthSize(n uint64) int {
	switch {
	case n < 126:
		return 0
	case n <= 0xFFFF:
		return 2
	default:
		return 8
	}
}

// AppendTo appends the wire form of h, with its length in the shortest
// form (7, 16 or 64 bits). Rsv and OpCode are cut to their 3 and 4 bits.
func (h *Header) AppendTo(dst []byte) []byte {
	b0 := (h.Rsv&7)<<4 | byte(h.OpCode)&0x0f
	if h.Fin {
		b0 |= 0x80
	}
	var m byte
	if h.Masked {
		m = 0x80
	}
	dst = appendLength(dst, b0, m, h.Length)
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// appendLength appends a header's first byte b0, then the payload length n
// in its shortest form with the mask bit m.
func appendLength(dst []byte, b0, m byte, n uint64) []byte {
	switch {
	case n < 126:
		return append(dst, b0, m|byte(n))
	case n <= 0xFFFF:
		return append(dst, b0, m|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, m|127)
		return binary.BigEndian.AppendUint64(dst, n)
	}
}

// DecodeHeader decodes the frame header at the start of b into h, judging
// nothing. When b holds the whole header, it returns the header's size n
// and ok true. Otherwise it leaves h alone, ok is false and n is how many
// bytes b must hold before DecodeHeader can tell more: 2 until b has two
// bytes, then the header's size, which its second byte gives.
//
// h is filled in place rather than returned: its fields are then read
// back from the stores that set them, while copying a Header returned by
// value costs a stall of several nanoseconds per frame (the Parser and
// wampbench's frame loop measured it).
func DecodeHeader(b []byte, h *Header) (n int, ok bool) {
	if len(b) < 2 {
		return 2, false
	}
	b1 := b[1]
	n = headerSize(b1)
	if len(b) < n {
		return n, false
	}
	b0 := b[0]
	h.Fin = b0&0x80 != 0
	h.Rsv = b0 >> 4 & 7
	h.OpCode = ws.OpCode(b0 & 0x0f)
	h.Masked = b1&0x80 != 0
	switch l := b1 & 0x7f; l {
	case 126:
		h.Length = uint64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		h.Length = binary.BigEndian.Uint64(b[2:10])
	default:
		h.Length = uint64(l)
	}
	if h.Masked {
		h.Mask = [4]byte(b[n-4 : n])
	} else {
		h.Mask = [4]byte{}
	}
	return n, true
}

// headerSize is the size of a frame header given its second byte.
func headerSize(b1 byte) int {
	n := 2
	if b1&0x80 != 0 {
		n += 4 // masking key
	}
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	return n
}
