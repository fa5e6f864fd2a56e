package wsframe

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// MaxHeaderSize is the longest server frame header this package writes.
const MaxHeaderSize = 10

// AppendHeader appends an unmasked FIN frame header for a payload of n bytes.
func AppendHeader(dst []byte, op ws.OpCode, n int) []byte {
	return appendLength(dst, 0x80|byte(op), 0, uint64(n))
}

// AppendText appends a complete text frame carrying payload.
func AppendText(dst, payload []byte) []byte {
	dst = AppendHeader(dst, ws.OpText, len(payload))
	return append(dst, payload...)
}

// Text returns a new text frame carrying payload, sized exactly.
func Text(payload []byte) []byte {
	return AppendText(make([]byte, 0, HeaderLen(len(payload))+len(payload)), payload)
}

// AppendBinary appends a complete binary frame carrying payload.
func AppendBinary(dst, payload []byte) []byte {
	dst = AppendHeader(dst, ws.OpBinary, len(payload))
	return append(dst, payload...)
}

// Binary returns a new binary frame carrying payload, sized exactly.
func Binary(payload []byte) []byte {
	return AppendBinary(make([]byte, 0, HeaderLen(len(payload))+len(payload)), payload)
}

// HeaderLen reports the header length of an unmasked frame with n payload bytes.
func HeaderLen(n int) int {
	return 2 + lengthSize(uint64(n))
}

// AppendControl appends a control frame (ping, pong, close) with payload,
// which the caller keeps within 125 bytes.
func AppendControl(dst []byte, op ws.OpCode, payload []byte) []byte {
	dst = AppendHeader(dst, op, len(payload))
	return append(dst, payload...)
}

// AppendClose appends a close frame with code and reason. A zero code
// produces an empty close body. The reason is cut so the body fits 125 bytes.
func AppendClose(dst []byte, code ws.StatusCode, reason string) []byte {
	if code == 0 {
		return AppendHeader(dst, ws.OpClose, 0)
	}
	if len(reason) > 123 {
		reason = reason[:123]
	}
	dst = AppendHeader(dst, ws.OpClose, 2+len(reason))
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}
