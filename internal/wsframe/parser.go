package wsframe

import (
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

	hdr       [MaxMaskedHeaderSize]byte
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
// A header that arrived whole is decoded where it lies; one split across
// reads is collected in p.hdr first.
func (p *Parser) readHeader(data []byte) (int, error) {
	var h Header
	consumed, ok := 0, false
	if p.hdrLen == 0 {
		consumed, ok = DecodeHeader(data, &h)
	}
	if !ok {
		consumed = 0
		for {
			var need int
			need, ok = DecodeHeader(p.hdr[:p.hdrLen], &h)
			if ok {
				break
			}
			if p.hdrLen >= 2 && (p.hdr[1]&0x80 != 0) == p.ServerFrames {
				// Known from two bytes: don't wait for a mask.
				h.Masked = p.ServerFrames
				break
			}
			if consumed == len(data) {
				return consumed, nil
			}
			take := copy(p.hdr[p.hdrLen:need], data[consumed:])
			p.hdrLen += uint8(take)
			consumed += take
		}
		p.hdrLen = 0
	}
	if h.Masked == p.ServerFrames {
		if h.Masked {
			return consumed, ErrMasked
		}
		return consumed, ErrUnmasked
	}
	switch {
	case h.Rsv != 0:
		return consumed, ErrReservedBits
	case h.OpCode.IsReserved():
		return consumed, ErrReservedOpCode
	case h.Length>>63 != 0:
		return consumed, ErrBadLength
	}
	op := h.OpCode
	if op.IsControl() {
		if h.Length > 125 {
			return consumed, ErrControlTooLong
		}
		if !h.Fin {
			return consumed, ErrControlFragmented
		}
	} else {
		if op == ws.OpContinuation && p.msgOp == 0 {
			return consumed, ErrBadContinuation
		}
		if op != ws.OpContinuation && p.msgOp != 0 {
			return consumed, ErrInterleaved
		}
		if p.MaxMessage > 0 && h.Length+uint64(len(p.msg)) > uint64(p.MaxMessage) {
			return consumed, ErrTooBig
		}
		if op != ws.OpContinuation {
			p.msgOp = op
		}
	}
	p.mask = h.Mask
	p.maskOff = 0
	p.frameOp = op
	p.frameFin = h.Fin
	p.remaining = int(h.Length)
	p.inFrame = true
	return consumed, nil
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
