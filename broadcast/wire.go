package broadcast

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/wampgate/wampgate/wamp"
)

// Protocol is the WebSocket subprotocol of peer links. Peers dial each
// other's client port and offer it; the gateway hands such connections to
// the mesh instead of a WAMP session. Nodes of different versions do not
// link: the version is part of the name.
const Protocol = "wampgate.peer.2"

// OldProtocols are the subprotocols of earlier releases' peer links. The
// gateway accepts them only to refuse the peer with a clear log line
// (Mesh.RefuseOld) instead of an anonymous 426.
var OldProtocols = []string{"wampgate.peer.1"}

// Message types: the first byte of every binary message on a peer link.
// The dialing node speaks first:
//
//	dialer   → acceptor  H  nonce, dialer's node address, boot id, max message
//	acceptor → dialer    C  nonce, acceptor's node address, boot id, max message, proof
//	dialer   → acceptor  A  proof
//
// after which both sides send P messages (batches of publications) and K
// messages (the sequence number of the last record delivered: every
// record up to it may be forgotten). "max message" is the largest message
// the sender of the handshake accepts; the other side builds its batches
// to fit.
const (
	msgHello     byte = 'H'
	msgChallenge byte = 'C'
	msgAuth      byte = 'A'
	msgBatch     byte = 'P'
	msgAck       byte = 'K'
)

// minPeerMessage is the smallest message bound a peer may announce: below
// it no useful batch fits.
const minPeerMessage = 1 << 10

// nonceSize is the length of the random challenges.
const nonceSize = 16

var errMalformed = errors.New("malformed peer message")

// appendString appends s with a uvarint length prefix.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendBytes appends p with a uvarint length prefix.
func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// encodeRecord encodes one publication for the wire; Mesh.Relay does it
// once and every link copies the same bytes into its batches. A nil event
// (null) travels as an empty one.
func encodeRecord(pub *wamp.Publication) []byte {
	n := 8 + len(pub.Topic) + len(pub.Event)
	for _, id := range pub.Exclude {
		n += 2 + len(id)
	}
	for _, id := range pub.Eligible {
		n += 2 + len(id)
	}
	b := make([]byte, 0, n)
	b = appendString(b, pub.Topic)
	b = appendBytes(b, pub.Event)
	b = binary.AppendUvarint(b, uint64(len(pub.Exclude)))
	for _, id := range pub.Exclude {
		b = appendString(b, id)
	}
	b = binary.AppendUvarint(b, uint64(len(pub.Eligible)))
	for _, id := range pub.Eligible {
		b = appendString(b, id)
	}
	return b
}

// reader decodes length-prefixed fields; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errMalformed
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errMalformed
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) fixed(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = errMalformed
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

// ids decodes a list of session ids, bounded by the bytes left (every id
// takes at least one byte), so a hostile count allocates nothing.
func (r *reader) ids() []string {
	n := r.uvarint()
	if r.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errMalformed
		return nil
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = string(r.bytes())
	}
	return ids
}

// decodeRecord decodes one publication, copying what it keeps: the frame
// buffer it came from is reused.
func (r *reader) record() *wamp.Publication {
	pub := &wamp.Publication{Relayed: true}
	pub.Topic = string(r.bytes())
	if ev := r.bytes(); len(ev) > 0 {
		pub.Event = append([]byte(nil), ev...)
	}
	pub.Exclude = r.ids()
	pub.Eligible = r.ids()
	if r.err != nil {
		return nil
	}
	if pub.Topic == "" {
		r.err = fmt.Errorf("%w: empty topic", errMalformed)
		return nil
	}
	return pub
}

// batchHeader decodes the start of a batch message (type byte already
// consumed): the sequence number of its first record and the record count.
func (r *reader) batchHeader() (first, count uint64) {
	first = r.uvarint()
	count = r.uvarint()
	if r.err == nil && count > uint64(len(r.b)) {
		r.err = errMalformed
	}
	return first, count
}

// appendAck appends an acknowledgement of every record up to seq.
func appendAck(b []byte, seq uint64) []byte {
	return binary.AppendUvarint(append(b, msgAck), seq)
}

// ack decodes an acknowledgement (type byte already consumed); nothing
// may follow the sequence number.
func (r *reader) ack() uint64 {
	seq := r.uvarint()
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes after the acknowledgement", errMalformed, len(r.b))
	}
	return seq
}

// hello is the handshake message each side opens with: the dialer's H
// and, with a proof after it, the acceptor's C.
type hello struct {
	nonce      []byte
	node       string
	boot       uint64
	maxMessage int // the largest message the sender accepts
}

// appendHello appends h's fields.
func appendHello(b []byte, h hello) []byte {
	b = append(b, h.nonce...)
	b = appendString(b, h.node)
	b = binary.AppendUvarint(b, h.boot)
	return binary.AppendUvarint(b, uint64(h.maxMessage))
}

// hello decodes a handshake message's fields; an announced message bound
// below minPeerMessage is an error, one above what an int holds is capped.
func (r *reader) hello() hello {
	var h hello
	h.nonce = r.fixed(nonceSize)
	h.node = string(r.bytes())
	h.boot = r.uvarint()
	maxMessage := r.uvarint()
	if r.err != nil {
		return hello{}
	}
	if maxMessage < minPeerMessage {
		r.err = fmt.Errorf("%w: the peer accepts messages of %d bytes at most (need %d)", errMalformed, maxMessage, minPeerMessage)
		return hello{}
	}
	h.maxMessage = int(min(maxMessage, math.MaxInt32))
	return h
}

// batchHeaderRoom bounds a batch header: type byte and two uvarints.
const batchHeaderRoom = 1 + 2*binary.MaxVarintLen64

// appendBatchHeader starts a batch message of count records, the first
// numbered first.
func appendBatchHeader(b []byte, first uint64, count int) []byte {
	b = append(b, msgBatch)
	b = binary.AppendUvarint(b, first)
	return binary.AppendUvarint(b, uint64(count))
}
