package wire

import (
	"encoding/binary"
	"errors"

	"github.com/gobwas/ws"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// MaxClientHeader is the longest header AppendClientFrame writes
// (2 + 8 bytes of length + 4 bytes of mask key).
const MaxClientHeader = 14

// Errors returned by NextFrame for frames a server must never send.
var (
	ErrMaskedServerFrame = errors.New("masked frame from server")
	ErrFrameTooLong      = errors.New("frame longer than limit")
	ErrReservedBits      = errors.New("reserved bits set")
)

// AppendClientFrame appends one complete FIN frame with opcode op carrying
// payload, masked with key as RFC 6455 requires of a client.
func AppendClientFrame(dst []byte, op byte, payload []byte, key [4]byte) []byte {
	n := len(payload)
	dst = append(dst, 0x80|op)
	switch {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	ws.Cipher(dst[start:], key, 0)
	return dst
}

// AppendClientClose appends a masked close frame carrying code (and no
// reason).
func AppendClientClose(dst []byte, code uint16, key [4]byte) []byte {
	var body [2]byte
	binary.BigEndian.PutUint16(body[:], code)
	return AppendClientFrame(dst, OpClose, body[:], key)
}

// Frame is one parsed server frame. Payload aliases the buffer it was
// parsed from and is valid only until that buffer is reused.
type Frame struct {
	Op      byte
	Fin     bool
	Payload []byte
}

// NextFrame parses the first frame in buf, using only bytes already there.
// It returns the frame and the number of bytes it occupies, or n == 0 when
// buf holds only part of a frame (the caller keeps those bytes and reads
// more). A declared payload longer than maxPayload is rejected before the
// caller would have to buffer it.
func NextFrame(buf []byte, maxPayload int) (f Frame, n int, err error) {
	if len(buf) < 2 {
		return f, 0, nil
	}
	b0, b1 := buf[0], buf[1]
	if b0&0x70 != 0 {
		return f, 0, ErrReservedBits
	}
	if b1&0x80 != 0 {
		return f, 0, ErrMaskedServerFrame
	}
	f.Fin = b0&0x80 != 0
	f.Op = b0 & 0x0F
	hdr := 2
	length := uint64(b1 & 0x7F)
	switch length {
	case 126:
		if len(buf) < 4 {
			return f, 0, nil
		}
		length = uint64(binary.BigEndian.Uint16(buf[2:4]))
		hdr = 4
	case 127:
		if len(buf) < 10 {
			return f, 0, nil
		}
		length = binary.BigEndian.Uint64(buf[2:10])
		hdr = 10
	}
	if length > uint64(maxPayload) {
		return f, 0, ErrFrameTooLong
	}
	total := hdr + int(length)
	if len(buf) < total {
		return f, 0, nil
	}
	f.Payload = buf[hdr:total:total]
	return f, total, nil
}

// FrameSize reports how many bytes the frame starting at buf will occupy
// once complete, or 0 when not even its header has arrived. It lets a
// reader size the buffer that keeps a partial frame.
func FrameSize(buf []byte) int {
	if len(buf) < 2 {
		return 0
	}
	length := int(buf[1] & 0x7F)
	switch length {
	case 126:
		if len(buf) < 4 {
			return 0
		}
		return 4 + int(binary.BigEndian.Uint16(buf[2:4]))
	case 127:
		if len(buf) < 10 {
			return 0
		}
		return 10 + int(binary.BigEndian.Uint64(buf[2:10])&0x7FFFFFFF)
	}
	return 2 + length
}

// CloseCode extracts the status code of a close frame body (1005, "no
// status", when the body is empty).
func CloseCode(payload []byte) uint16 {
	if len(payload) < 2 {
		return 1005
	}
	return binary.BigEndian.Uint16(payload)
}
