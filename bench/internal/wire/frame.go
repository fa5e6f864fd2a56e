package wire

import (
	"encoding/binary"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/internal/wsframe"
)

// NextFrame finds the first server frame in buf, using only bytes already
// there (wsframe.DecodeHeader). It returns the frame's opcode and payload,
// which aliases buf, and the number of bytes the frame occupies, or
// n == 0 when buf holds only part of a frame (the caller keeps those bytes
// and reads more). A frame a server must never send (masked, reserved
// bits) is an error (wsframe.ErrMasked, wsframe.ErrReservedBits), and so
// is a declared payload longer than maxPayload (wsframe.ErrTooBig), before
// the caller would have to buffer it.
func NextFrame(buf []byte, maxPayload int) (op ws.OpCode, payload []byte, n int, err error) {
	var h wsframe.Header
	hn, ok := wsframe.DecodeHeader(buf, &h)
	switch {
	case !ok:
		return 0, nil, 0, nil
	case h.Rsv != 0:
		return 0, nil, 0, wsframe.ErrReservedBits
	case h.Masked:
		return 0, nil, 0, wsframe.ErrMasked
	case h.Length > uint64(maxPayload):
		return 0, nil, 0, wsframe.ErrTooBig
	}
	n = hn + int(h.Length)
	if len(buf) < n {
		return 0, nil, 0, nil
	}
	return h.OpCode, buf[hn:n:n], n, nil
}

// CloseCode extracts the status code of a close frame body (1005, "no
// status", when the body is empty).
func CloseCode(payload []byte) uint16 {
	if len(payload) < 2 {
		return 1005
	}
	return binary.BigEndian.Uint16(payload)
}
