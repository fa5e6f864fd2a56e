// Package wstest is a raw WebSocket client for tests. It gives full control
// over what goes on the wire (any opcode, FIN, RSV bits, masking, declared
// lengths, raw bytes, byte-for-byte handshake requests) and reports exactly
// what comes back (status line and headers in wire order, every frame with
// its bits, TCP EOF). Frames are encoded and decoded by internal/wsframe's
// raw Header layer, which judges nothing, so a test can send what a broken
// client would; the byte vectors of RFC 6455 §5.7 in its tests pin that
// layer independently of the server's Parser.
package wstest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/internal/wsframe"
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

// Encode returns the wire bytes of f.
func Encode(f OutFrame) []byte {
	h := wsframe.Header{
		Fin:    !f.NoFin,
		Rsv:    f.Rsv,
		OpCode: ws.OpCode(f.Op),
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
			h.Mask = wsframe.NewMask()
		}
	}
	return wsframe.AppendFrame(make([]byte, 0, h.Size()+len(f.Payload)), h, f.Payload)
}

// ErrFrameTooLarge is returned by ParseFrame for a declared length above the
// parser's limit.
var ErrFrameTooLarge = errors.New("wstest: declared frame length over the limit")

// ParseFrame parses one frame from the start of b. It returns n == 0 and no
// error when b does not yet hold a complete frame. Masked payloads are
// unmasked into a fresh slice; b is not modified. A declared length above
// max (when max > 0) is an error.
func ParseFrame(b []byte, max uint64) (f *Frame, n int, err error) {
	var h wsframe.Header
	n, ok := wsframe.DecodeHeader(b, &h)
	if !ok {
		return nil, 0, nil
	}
	if max > 0 && h.Length > max {
		return nil, 0, fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, h.Length, max)
	}
	if uint64(len(b)-n) < h.Length {
		return nil, 0, nil
	}
	end := n + int(h.Length)
	f = &Frame{
		Fin:     h.Fin,
		Rsv:     h.Rsv,
		Op:      Opcode(h.OpCode),
		Masked:  h.Masked,
		Mask:    h.Mask,
		Payload: append([]byte(nil), b[n:end]...),
	}
	if f.Masked {
		ws.Cipher(f.Payload, f.Mask, 0)
	}
	return f, end, nil
}

// CloseBody builds a close frame body: a 2-byte code then the reason.
func CloseBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}
