package broadcast

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// Protocol is the WebSocket subprotocol of peer links. Peers dial each
// other's client port and offer it; the gateway hands such connections to
// the mesh instead of a WAMP session. Version 2 acknowledges records and
// carries realms, ids, the v2 payload, the publisher's authid and
// authrole and the authid and authrole filters (see encodeRecord). Version
// 3 adds control records (registrations, calls: control.go) to the same
// stream, each record starting with its kind; version 4 adds the meta
// API's query and answer records. Nodes of different versions do not
// link: the version is part of the name.
const Protocol = "wampgate.peer.4"

// OldProtocols are the subprotocols of earlier releases' peer links. The
// gateway accepts them only to refuse the peer with a clear log line
// (Mesh.RefuseOld) instead of an anonymous 426.
var OldProtocols = []string{"wampgate.peer.1", "wampgate.peer.2", "wampgate.peer.3"}

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

// Record flags: the publication options that travel as bits, and the
// optional parts that follow the fixed ones.
const (
	flagDiscloseMe  byte = 1 << iota // the publisher's authid and authrole follow
	flagRetain                       // the publication becomes its topic's retained event
	flagAuthFilters                  // the authid and authrole filter lists follow
	flagsKnown      = flagDiscloseMe | flagRetain | flagAuthFilters
)

// Record kinds: the first byte of every record in a batch. A control
// record's kind is its wamp.ClusterKind (1 to 9).
const (
	recPublication byte = 'p'
	recVoid        byte = 'v' // a control record the link dropped when it went down
)

// encodeRecord encodes one publication for the wire; Mesh.Relay does it
// once and every link copies the same bytes into its batches:
//
//	kind                     1 byte: recPublication
//	realm, topic             uvarint length + bytes each
//	flags                    1 byte: disclose_me, retain, auth filters
//	publication id           uvarint
//	publisher id             uvarint (0: the server)
//	args, kwargs             1 byte value.Format (0: absent), uvarint length + bytes each
//	exclude, eligible        uvarint count + uvarint session ids each
//	with disclose_me:        publisher authid, authrole: uvarint length + bytes each
//	with auth filters:       exclude_authid, eligible_authid, exclude_authrole,
//	                         eligible_authrole: uvarint count + strings each
//
// A publication without disclose_me and without authid or authrole
// filters (the common case) carries neither optional part.
func encodeRecord(pub *wamp.Publication) []byte {
	var auth wamp.PublicationAuth
	if pub.Auth != nil {
		auth = *pub.Auth
	}
	authLists := [...][]string{auth.ExcludeAuthID, auth.EligibleAuthID, auth.ExcludeAuthRole, auth.EligibleAuthRole}
	n := 2*binary.MaxVarintLen64 + len(pub.Realm) + len(pub.Topic) + 1 + 2*binary.MaxVarintLen64 +
		2*(1+binary.MaxVarintLen64) + len(pub.Args.Raw) + len(pub.Kwargs.Raw) +
		2*binary.MaxVarintLen64 + 8*(len(pub.Exclude)+len(pub.Eligible))
	var flags byte
	if pub.DiscloseMe {
		flags |= flagDiscloseMe
		n += 2*binary.MaxVarintLen64 + len(auth.PublisherAuthID) + len(auth.PublisherAuthRole)
	}
	if pub.Retain {
		flags |= flagRetain
	}
	for _, list := range authLists {
		if len(list) > 0 {
			flags |= flagAuthFilters
		}
		n += binary.MaxVarintLen64
		for _, s := range list {
			n += binary.MaxVarintLen64 + len(s)
		}
	}
	b := make([]byte, 0, 1+n)
	b = append(b, recPublication)
	b = appendString(b, pub.Realm)
	b = appendString(b, pub.Topic)
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(pub.ID))
	b = binary.AppendUvarint(b, uint64(pub.PublisherID))
	b = appendPayload(b, pub.Args)
	b = appendPayload(b, pub.Kwargs)
	b = appendIDs(b, pub.Exclude)
	b = appendIDs(b, pub.Eligible)
	if flags&flagDiscloseMe != 0 {
		b = appendString(b, auth.PublisherAuthID)
		b = appendString(b, auth.PublisherAuthRole)
	}
	if flags&flagAuthFilters != 0 {
		for _, list := range authLists {
			b = appendStrings(b, list)
		}
	}
	return b
}

// appendStrings appends a count and the strings.
func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
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

// peek returns the next byte without consuming it (0 at the end).
func (r *reader) peek() byte {
	if r.err != nil || len(r.b) == 0 {
		return 0
	}
	return r.b[0]
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

// strings decodes a list of strings, bounded by the bytes left (every
// string takes at least its length byte), so a hostile count allocates
// nothing.
func (r *reader) strings() []string {
	n := r.uvarint()
	if r.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errMalformed
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = string(r.bytes())
	}
	if r.err != nil {
		return nil
	}
	return ss
}

// auth decodes the optional parts of a record that flags announce: the
// publisher's authid and authrole, the authid and authrole filters. It
// returns nil when they say nothing (disclose_me of a publisher without
// an authid or authrole).
func (r *reader) auth(flags byte) *wamp.PublicationAuth {
	var a wamp.PublicationAuth
	if flags&flagDiscloseMe != 0 {
		a.PublisherAuthID = string(r.bytes())
		a.PublisherAuthRole = string(r.bytes())
	}
	if flags&flagAuthFilters != 0 {
		a.ExcludeAuthID = r.strings()
		a.EligibleAuthID = r.strings()
		a.ExcludeAuthRole = r.strings()
		a.EligibleAuthRole = r.strings()
	}
	if a.PublisherAuthID == "" && a.PublisherAuthRole == "" &&
		len(a.ExcludeAuthID)+len(a.EligibleAuthID)+len(a.ExcludeAuthRole)+len(a.EligibleAuthRole) == 0 {
		return nil
	}
	return &a
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
	if r.oneByte() != recPublication && r.err == nil {
		r.err = fmt.Errorf("%w: not a publication record", errMalformed)
	}
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
	if flags&(flagDiscloseMe|flagAuthFilters) != 0 {
		pub.Auth = r.auth(flags)
	}
	switch {
	case r.err != nil:
		return nil
	case flags&^flagsKnown != 0:
		r.err = fmt.Errorf("%w: unknown record flags %#x", errMalformed, flags&^flagsKnown)
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
