package broadcast

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wampgate/wampgate/wamp"
)

// Protocol is the WebSocket subprotocol of peer links. Peers dial each
// other's client port and offer it; the gateway hands such connections to
// the mesh instead of a WAMP session.
const Protocol = "wampgate.peer.1"

// Message types: the first byte of every binary message on a peer link.
// The dialing node speaks first:
//
//	dialer   → acceptor  H  nonce, dialer's node address, dialer's boot id
//	acceptor → dialer    C  nonce, acceptor's node address, boot id, proof
//	dialer   → acceptor  A  proof
//
// after which both sides send P messages (batches of publications) only.
const (
	msgHello     byte = 'H'
	msgChallenge byte = 'C'
	msgAuth      byte = 'A'
	msgBatch     byte = 'P'
)

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

// batchHeaderRoom bounds a batch header: type byte and two uvarints.
const batchHeaderRoom = 1 + 2*binary.MaxVarintLen64

// appendBatchHeader starts a batch message of count records, the first
// numbered first.
func appendBatchHeader(b []byte, first uint64, count int) []byte {
	b = append(b, msgBatch)
	b = binary.AppendUvarint(b, first)
	return binary.AppendUvarint(b, uint64(count))
}
