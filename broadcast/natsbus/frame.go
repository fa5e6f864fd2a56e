package natsbus

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Every message a node sends through NATS starts with a kind byte and
// its sender's name and boot id (a random number per process):
//
//	'h' heartbeat     sender, boot, slot
//	'b' goodbye       sender, boot                      (the node is leaving)
//	'H' hello         sender, boot, half                (open a pair session)
//	'W' welcome       sender, boot, half, your half     (accept one)
//	'R' reset         sender, boot, your half           (the pair session is over: open another)
//	'c' control       sender, boot, half, your half, seq, control record
//	'p' publication   sender, boot, seq, publication record
//
// Strings are a uvarint length and bytes, numbers uvarints. A pair
// session is named by its two halves, random numbers each side picks;
// control messages carry both, so those of an earlier session are told
// apart and dropped, and their seq counts from 1 in each direction.
// A publication's seq counts every publication of the sender: a
// receiver delivers a sender's publications in increasing seq only,
// which drops the second copy that overlapping subscriptions bring.
const (
	kindHeartbeat   byte = 'h'
	kindGoodbye     byte = 'b'
	kindHello       byte = 'H'
	kindWelcome     byte = 'W'
	kindReset       byte = 'R'
	kindControl     byte = 'c'
	kindPublication byte = 'p'
)

var errMalformed = errors.New("malformed bus message")

// header is the fixed part of a message; which fields count depends on
// kind.
type header struct {
	kind     byte
	node     string
	boot     uint64
	slot     uint64 // heartbeat
	half     uint64 // hello, welcome, control
	yourHalf uint64 // welcome, reset, control
	seq      uint64 // control, publication
}

// appendHeader appends h's fields for its kind.
func appendHeader(b []byte, h header) []byte {
	b = append(b, h.kind)
	b = binary.AppendUvarint(b, uint64(len(h.node)))
	b = append(b, h.node...)
	b = binary.AppendUvarint(b, h.boot)
	switch h.kind {
	case kindHeartbeat:
		b = binary.AppendUvarint(b, h.slot)
	case kindHello:
		b = binary.AppendUvarint(b, h.half)
	case kindWelcome:
		b = binary.AppendUvarint(b, h.half)
		b = binary.AppendUvarint(b, h.yourHalf)
	case kindReset:
		b = binary.AppendUvarint(b, h.yourHalf)
	case kindControl:
		b = binary.AppendUvarint(b, h.half)
		b = binary.AppendUvarint(b, h.yourHalf)
		b = binary.AppendUvarint(b, h.seq)
	case kindPublication:
		b = binary.AppendUvarint(b, h.seq)
	}
	return b
}

// parseHeader decodes a message's header and returns the rest (the
// record of a control message or publication).
func parseHeader(b []byte) (header, []byte, error) {
	var h header
	if len(b) == 0 {
		return h, nil, fmt.Errorf("%w: empty", errMalformed)
	}
	h.kind, b = b[0], b[1:]
	n, b, err := uvarint(b)
	if err != nil {
		return h, nil, err
	}
	if n > uint64(len(b)) {
		return h, nil, fmt.Errorf("%w: node name of %d bytes", errMalformed, n)
	}
	h.node, b = string(b[:n]), b[n:]
	if h.boot, b, err = uvarint(b); err != nil {
		return h, nil, err
	}
	var fields []*uint64
	switch h.kind {
	case kindHeartbeat:
		fields = []*uint64{&h.slot}
	case kindGoodbye:
	case kindHello:
		fields = []*uint64{&h.half}
	case kindWelcome:
		fields = []*uint64{&h.half, &h.yourHalf}
	case kindReset:
		fields = []*uint64{&h.yourHalf}
	case kindControl:
		fields = []*uint64{&h.half, &h.yourHalf, &h.seq}
	case kindPublication:
		fields = []*uint64{&h.seq}
	default:
		return h, nil, fmt.Errorf("%w: kind %#x", errMalformed, h.kind)
	}
	for _, f := range fields {
		if *f, b, err = uvarint(b); err != nil {
			return h, nil, err
		}
	}
	if h.node == "" {
		return h, nil, fmt.Errorf("%w: no sender", errMalformed)
	}
	return h, b, nil
}

func uvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: truncated number", errMalformed)
	}
	return v, b[n:], nil
}
