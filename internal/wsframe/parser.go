package wsframe

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// ProtocolError is a violation of RFC 6455 by the peer; Code is the close
// code to answer with.
type ProtocolError struct {
	Code   ws.StatusCode
	Reason string
}

func (e *ProtocolError) Error() string { return e.Reason }

// Errors a Parser reports.
var (
	ErrUnmasked          = &ProtocolError{ws.StatusProtocolError, "client frame is not masked"}
	ErrMasked            = &ProtocolError{ws.StatusProtocolError, "server frame is masked"}
	ErrReservedBits      = &ProtocolError{ws.StatusProtocolError, "reserved bits set without a negotiated extension"}
	ErrReservedOpCode    = &ProtocolError{ws.StatusProtocolError, "reserved opcode"}
	ErrControlTooLong    = &ProtocolError{ws.StatusProtocolError, "control frame payload longer than 125 bytes"}
	ErrControlFragmented = &ProtocolError{ws.StatusProtocolError, "fragmented control frame"}
	ErrBadContinuation   = &ProtocolError{ws.StatusProtocolError, "continuation frame without a message in progress"}
	ErrInterleaved       = &ProtocolError{ws.StatusProtocolError, "new message started before the previous one finished"}
	ErrBadLength         = &ProtocolError{ws.StatusProtocolError, "invalid payload length"}
	ErrTooBig            = &ProtocolError{ws.StatusMessageTooBig, "message exceeds the maximum message size"}
	ErrInvalidUTF8       = &ProtocolError{ws.StatusInvalidFramePayloadData, "text message is not valid UTF-8"}
)

// Sink receives what a Parser decodes. Payloads are only valid during the
// call.
type Sink interface {
	// Message receives a complete data message (text is valid UTF-8).
	Message(op ws.OpCode, payload []byte) error
	// Control receives a ping, pong or close frame.
	Control(op ws.OpCode, payload []byte) error
}

// Parser decodes client frames from bytes as they arrive, without ever
// waiting for more. A frame that arrived whole in one read is unmasked in
// place and delivered without copying; only a frame split across reads, or
// a fragmented message, is assembled in a buffer, which is bounded by
// MaxMessage before anything is allocated and dropped once delivered, so an
// idle connection holds no buffer.
type Parser struct {
	// MaxMessage bounds a message's payload in bytes; 0 means no bound.
	MaxMessage int
	// ServerFrames makes the parser read the client side of a connection:
	// it expects the unmasked frames a server sends, and a masked frame is
	// a protocol error.
	ServerFrames bool

	hdr       [ws.MaxHeaderSize]byte
	hdrLen    uint8
	inFrame   bool // header parsed, payload bytes outstanding
	frameFin  bool
	frameOp   ws.OpCode
	msgOp     ws.OpCode // opcode of the message in progress; 0 when none
	maskOff   uint8     // payload bytes unmasked so far, modulo 4
	mask      [4]byte
	remaining int

	msg  []byte // assembled data payload
	ctrl []byte // assembled control payload
}

// Feed parses data, which it may modify in place. It stops at the first
// error: a *ProtocolError, or whatever the sink returned.
func (p *Parser) Feed(data []byte, sink Sink) error {
	for len(data) > 0 {
		if !p.inFrame {
			n, err := p.readHeader(data)
			if err != nil {
				return err
			}
			data = data[n:]
			if !p.inFrame {
				return nil // header incomplete: wait for more bytes
			}
			if p.remaining == 0 || len(data) >= p.remaining {
				// The whole payload is here: zero-copy path.
				payload := data[:p.remaining]
				data = data[p.remaining:]
				if !p.ServerFrames {
					ws.Cipher(payload, p.mask, 0)
				}
				p.inFrame = false
				if err := p.frameDone(payload, sink); err != nil {
					return err
				}
				continue
			}
		}
		n := min(len(data), p.remaining)
		chunk := data[:n]
		data = data[n:]
		if !p.ServerFrames {
			ws.Cipher(chunk, p.mask, int(p.maskOff))
			p.maskOff = uint8((int(p.maskOff) + n) & 3)
		}
		p.remaining -= n
		if p.frameOp.IsControl() {
			p.ctrl = append(p.ctrl, chunk...)
		} else {
			p.msg = append(p.msg, chunk...)
		}
		if p.remaining == 0 {
			p.inFrame = false
			if err := p.frameDone(nil, sink); err != nil {
				return err
			}
		}
	}
	return nil
}

// readHeader consumes header bytes from data. It sets p.inFrame once a
// complete, valid header is read, and returns how many bytes it consumed.
func (p *Parser) readHeader(data []byte) (int, error) {
	// Copy at most what the header can need; the exact size is known after
	// the first two bytes.
	consumed := 0
	need := 2
	for {
		if p.hdrLen >= 2 {
			// Known from two bytes: don't wait for a mask.
			if masked := p.hdr[1]&0x80 != 0; masked == p.ServerFrames {
				p.hdrLen = 0
				if masked {
					return consumed, ErrMasked
				}
				return consumed, ErrUnmasked
			}
			need = headerSize(p.hdr[1])
		}
		if int(p.hdrLen) >= need {
			break
		}
		if consumed == len(data) {
			return consumed, nil
		}
		take := min(need-int(p.hdrLen), len(data)-consumed)
		copy(p.hdr[p.hdrLen:], data[consumed:consumed+take])
		p.hdrLen += uint8(take)
		consumed += take
	}
	h := p.hdr[:p.hdrLen]
	p.hdrLen = 0
	b0, b1 := h[0], h[1]
	fin := b0&0x80 != 0
	op := ws.OpCode(b0 & 0x0f)
	switch {
	case b0&0x70 != 0:
		return consumed, ErrReservedBits
	case op.IsReserved():
		return consumed, ErrReservedOpCode
	}
	var length uint64
	switch l := b1 & 0x7f; l {
	case 126:
		length = uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		length = binary.BigEndian.Uint64(h[2:10])
		if length>>63 != 0 {
			return consumed, ErrBadLength
		}
	default:
		length = uint64(l)
	}
	if op.IsControl() {
		if length > 125 {
			return consumed, ErrControlTooLong
		}
		if !fin {
			return consumed, ErrControlFragmented
		}
	} else {
		if op == ws.OpContinuation && p.msgOp == 0 {
			return consumed, ErrBadContinuation
		}
		if op != ws.OpContinuation && p.msgOp != 0 {
			return consumed, ErrInterleaved
		}
		if p.MaxMessage > 0 && length+uint64(len(p.msg)) > uint64(p.MaxMessage) {
			return consumed, ErrTooBig
		}
		if op != ws.OpContinuation {
			p.msgOp = op
		}
	}
	if p.ServerFrames {
		p.mask = [4]byte{}
	} else {
		copy(p.mask[:], h[len(h)-4:])
	}
	p.maskOff = 0
	p.frameOp = op
	p.frameFin = fin
	p.remaining = int(length)
	p.inFrame = true
	return consumed, nil
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

// frameDone handles a frame whose payload is complete: direct is the
// payload when it arrived whole (zero-copy), nil when it was assembled.
func (p *Parser) frameDone(direct []byte, sink Sink) error {
	if p.frameOp.IsControl() {
		payload := direct
		if payload == nil {
			payload = p.ctrl
		}
		err := sink.Control(p.frameOp, payload)
		p.ctrl = nil
		return err
	}
	if !p.frameFin {
		p.msg = append(p.msg, direct...)
		return nil
	}
	payload := direct
	if p.msg != nil {
		payload = append(p.msg, direct...)
	}
	op := p.msgOp
	p.msgOp = 0
	p.msg = nil
	if op == ws.OpText && !utf8.Valid(payload) {
		return ErrInvalidUTF8
	}
	return sink.Message(op, payload)
}
