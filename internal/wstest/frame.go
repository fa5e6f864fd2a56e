// Package wstest is a raw WebSocket client for tests. It gives full control
// over what goes on the wire (any opcode, FIN, RSV bits, masking, declared
// lengths, raw bytes, byte-for-byte handshake requests) and reports exactly
// what comes back (status line and headers in wire order, every frame with
// its bits, TCP EOF). It deliberately does not depend on any WebSocket
// library, so it can be used to test one.
package wstest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"unicode/utf8"
)

// Opcode is a WebSocket frame opcode (4 bits). Reserved values are allowed
// so that tests can send them.
type Opcode byte

// Opcodes defined by RFC 6455.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode (high bit set).
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return fmt.Sprintf("opcode(%d)", byte(op))
}

// RSV bit values for Frame.Rsv and OutFrame.Rsv (a 3-bit field: RSV1 is the
// high bit, as in the transcripts' "rsv": 4).
const (
	RSV1 byte = 4
	RSV2 byte = 2
	RSV3 byte = 1
)

// Frame is one frame as read from the wire.
type Frame struct {
	Fin     bool
	Rsv     byte // 3 bits, see RSV1..RSV3
	Op      Opcode
	Masked  bool
	Mask    [4]byte
	Payload []byte // unmasked
}

// Text returns the payload as a string.
func (f *Frame) Text() string { return string(f.Payload) }

// CloseCode decodes a close frame's body. An empty body gives code 0 and
// ok true; a one-byte body gives ok false.
func (f *Frame) CloseCode() (code uint16, reason string, ok bool) {
	if f.Op != OpClose {
		return 0, "", false
	}
	switch len(f.Payload) {
	case 0:
		return 0, "", true
	case 1:
		return 0, "", false
	}
	return binary.BigEndian.Uint16(f.Payload), string(f.Payload[2:]), true
}

// String describes the frame for test messages; long payloads are cut.
func (f *Frame) String() string {
	if f == nil {
		return "<nil frame>"
	}
	var s string
	switch {
	case f.Op == OpClose:
		code, reason, ok := f.CloseCode()
		if !ok {
			s = fmt.Sprintf("close(malformed body %x)", f.Payload)
		} else {
			s = fmt.Sprintf("close(%d %q)", code, reason)
		}
	case f.Op == OpText || utf8.Valid(f.Payload):
		s = fmt.Sprintf("%s %q", f.Op, Abbrev(string(f.Payload), 200))
	default:
		p := f.Payload
		if len(p) > 100 {
			p = p[:100]
		}
		s = fmt.Sprintf("%s %x (%d bytes)", f.Op, p, len(f.Payload))
	}
	if !f.Fin {
		s += " [fin=0]"
	}
	if f.Rsv != 0 {
		s += fmt.Sprintf(" [rsv=%d]", f.Rsv)
	}
	if f.Masked {
		s += " [masked]"
	}
	return s
}

// Abbrev cuts s to about max bytes, noting the full length.
func Abbrev(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return fmt.Sprintf("%s…%s (%d bytes)", s[:max*2/3], s[len(s)-max/3:], len(s))
}

// OutFrame describes a frame to send. The zero value of every knob gives a
// well-formed client frame: FIN set, no RSV bits, masked with a random key.
type OutFrame struct {
	Op      Opcode
	Payload []byte
	NoFin   bool     // clear FIN (a non-final fragment)
	Rsv     byte     // RSV bits, see RSV1..RSV3
	NoMask  bool     // send unmasked (a protocol error from a client)
	Mask    *[4]byte // masking key; nil picks a random one
	// DeclaredLen, when non-nil, is written as the payload length in the
	// header instead of len(Payload): it lets a test announce a length it
	// never sends.
	DeclaredLen *uint64
}

// Header is a frame header with every field explicit.
type Header struct {
	Fin    bool
	Rsv    byte
	Op     Opcode
	Masked bool
	Mask   [4]byte
	Length uint64
}

// AppendHeader appends the wire form of h, choosing the shortest length
// encoding (7, 16 or 64 bits).
func AppendHeader(dst []byte, h Header) []byte {
	b0 := byte(h.Op&0x0F) | (h.Rsv&0x7)<<4
	if h.Fin {
		b0 |= 0x80
	}
	var m byte
	if h.Masked {
		m = 0x80
	}
	switch {
	case h.Length < 126:
		dst = append(dst, b0, m|byte(h.Length))
	case h.Length <= 0xFFFF:
		dst = append(dst, b0, m|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.Length))
	default:
		dst = append(dst, b0, m|127)
		dst = binary.BigEndian.AppendUint64(dst, h.Length)
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// Encode returns the wire bytes of f.
func Encode(f OutFrame) []byte {
	h := Header{
		Fin:    !f.NoFin,
		Rsv:    f.Rsv,
		Op:     f.Op,
		Masked: !f.NoMask,
		Length: uint64(len(f.Payload)),
	}
	if f.DeclaredLen != nil {
		h.Length = *f.DeclaredLen
	}
	if h.Masked {
		if f.Mask != nil {
			h.Mask = *f.Mask
		} else {
			binary.LittleEndian.PutUint32(h.Mask[:], rand.Uint32())
		}
	}
	out := AppendHeader(make([]byte, 0, 14+len(f.Payload)), h)
	start := len(out)
	out = append(out, f.Payload...)
	if h.Masked {
		MaskBytes(h.Mask, out[start:])
	}
	return out
}

// MaskBytes XORs b in place with the masking key (RFC 6455 §5.3).
func MaskBytes(key [4]byte, b []byte) {
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// ErrFrameTooLarge is returned by ParseFrame for a declared length above the
// parser's limit.
var ErrFrameTooLarge = errors.New("wstest: declared frame length over the limit")

// ParseFrame parses one frame from the start of b. It returns n == 0 and no
// error when b does not yet hold a complete frame. Masked payloads are
// unmasked into a fresh slice; b is not modified. A declared length above
// max (when max > 0) is an error.
func ParseFrame(b []byte, max uint64) (f *Frame, n int, err error) {
	if len(b) < 2 {
		return nil, 0, nil
	}
	f = &Frame{
		Fin:    b[0]&0x80 != 0,
		Rsv:    (b[0] >> 4) & 0x7,
		Op:     Opcode(b[0] & 0x0F),
		Masked: b[1]&0x80 != 0,
	}
	length := uint64(b[1] & 0x7F)
	pos := 2
	switch length {
	case 126:
		if len(b) < pos+2 {
			return nil, 0, nil
		}
		length = uint64(binary.BigEndian.Uint16(b[pos:]))
		pos += 2
	case 127:
		if len(b) < pos+8 {
			return nil, 0, nil
		}
		length = binary.BigEndian.Uint64(b[pos:])
		pos += 8
	}
	if max > 0 && length > max {
		return nil, 0, fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, length, max)
	}
	if f.Masked {
		if len(b) < pos+4 {
			return nil, 0, nil
		}
		copy(f.Mask[:], b[pos:pos+4])
		pos += 4
	}
	if uint64(len(b)-pos) < length {
		return nil, 0, nil
	}
	end := pos + int(length)
	f.Payload = append([]byte(nil), b[pos:end]...)
	if f.Masked {
		MaskBytes(f.Mask, f.Payload)
	}
	return f, end, nil
}

// CloseBody builds a close frame body: a 2-byte code then the reason.
func CloseBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}
