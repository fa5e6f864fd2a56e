package broadcast

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// Protocol is the WebSocket subprotocol of peer links. Peers dial each
// other's client port and offer it; the gateway hands such connections to
// the mesh instead of a WAMP session. Version 2 carries realms, ids and
// the v2 payload (see encodeRecord); a node of version 1 is refused at
// the handshake instead of misreading records.
const Protocol = "wampgate.peer.2"

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

// Record flags: the publication options that travel as bits.
const (
	flagDiscloseMe byte = 1 << iota
	flagRetain
)

// encodeRecord encodes one publication for the wire; Mesh.Relay does it
// once and every link copies the same bytes into its batches:
//
//	realm, topic             uvarint length + bytes each
//	flags                    1 byte: disclose_me, retain
//	publication id           uvarint
//	publisher id             uvarint (0: the server)
//	args, kwargs             1 byte value.Format (0: absent), uvarint length + bytes each
//	exclude, eligible        uvarint count + uvarint session ids each
func encodeRecord(pub *wamp.Publication) []byte {
	n := 2*binary.MaxVarintLen64 + len(pub.Realm) + len(pub.Topic) + 1 + 2*binary.MaxVarintLen64 +
		2*(1+binary.MaxVarintLen64) + len(pub.Args.Raw) + len(pub.Kwargs.Raw) +
		2*binary.MaxVarintLen64 + 8*(len(pub.Exclude)+len(pub.Eligible))
	b := make([]byte, 0, n)
	b = appendString(b, pub.Realm)
	b = appendString(b, pub.Topic)
	var flags byte
	if pub.DiscloseMe {
		flags |= flagDiscloseMe
	}
	if pub.Retain {
		flags |= flagRetain
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(pub.ID))
	b = binary.AppendUvarint(b, uint64(pub.PublisherID))
	b = appendPayload(b, pub.Args)
	b = appendPayload(b, pub.Kwargs)
	b = appendIDs(b, pub.Exclude)
	return appendIDs(b, pub.Eligible)
}

// appendPayload appends a payload part: its format byte (0 for an absent
// part; Realm.Publish made the format explicit) and its bytes.
func appendPayload(b []byte, p wamp.Payload) []byte {
	if p.Raw == nil {
		return append(b, 0)
	}
	b = append(b, byte(p.Format))
	return appendBytes(b, p.Raw)
}

// appendIDs appends a count and the ids.
func appendIDs(b []byte, ids []wamp.ID) []byte {
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = binary.AppendUvarint(b, uint64(id))
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

// oneByte decodes one byte.
func (r *reader) oneByte() byte {
	if p := r.fixed(1); p != nil {
		return p[0]
	}
	return 0
}

// id decodes one id: 0 or a WAMP id.
func (r *reader) id() wamp.ID {
	id := wamp.ID(r.uvarint())
	if r.err == nil && id != 0 && !id.Valid() {
		r.err = fmt.Errorf("%w: id %d out of range", errMalformed, id)
	}
	return id
}

// ids decodes a list of session ids, bounded by the bytes left (every id
// takes at least one byte), so a hostile count allocates nothing.
func (r *reader) ids() []wamp.ID {
	n := r.uvarint()
	if r.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errMalformed
		return nil
	}
	ids := make([]wamp.ID, n)
	for i := range ids {
		ids[i] = r.id()
	}
	return ids
}

// payload decodes a payload part, copying its bytes: the frame buffer it
// came from is reused.
func (r *reader) payload() wamp.Payload {
	f := value.Format(r.oneByte())
	if r.err != nil || f == 0 {
		return wamp.Payload{}
	}
	if f < value.JSON || f > value.CBOR {
		r.err = fmt.Errorf("%w: payload format %d", errMalformed, f)
		return wamp.Payload{}
	}
	raw := r.bytes()
	if r.err != nil || len(raw) == 0 {
		r.err = fmt.Errorf("%w: empty payload", errMalformed)
		return wamp.Payload{}
	}
	return wamp.Payload{Raw: append([]byte(nil), raw...), Format: f}
}

// record decodes one publication (see encodeRecord), copying what it
// keeps.
func (r *reader) record() *wamp.Publication {
	pub := &wamp.Publication{Relayed: true}
	pub.Realm = string(r.bytes())
	pub.Topic = string(r.bytes())
	flags := r.oneByte()
	pub.DiscloseMe, pub.Retain = flags&flagDiscloseMe != 0, flags&flagRetain != 0
	pub.ID = r.id()
	pub.PublisherID = r.id()
	pub.Args = r.payload()
	pub.Kwargs = r.payload()
	pub.Exclude = r.ids()
	pub.Eligible = r.ids()
	switch {
	case r.err != nil:
		return nil
	case pub.Realm == "" || pub.Topic == "":
		r.err = fmt.Errorf("%w: empty realm or topic", errMalformed)
		return nil
	case pub.ID == 0:
		r.err = fmt.Errorf("%w: no publication id", errMalformed)
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
