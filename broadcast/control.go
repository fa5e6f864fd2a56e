package broadcast

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wampgate/wampgate/wamp"
)

// Control records: the dealer's messages between nodes (wamp.ClusterMsg:
// registrations and calls) ride in the same acknowledged, ordered stream
// as publications, so a registration announced before a publication is
// known before it everywhere, and a link's resend covers them too. A
// record that belongs to one transaction (a proposal, a vote, a call and
// its answers: wamp.ClusterKind.Transient) is voided in the queue when
// the link goes down (queue.voidTransient: its slot stays, as a one-byte
// recVoid record, so sequence numbers do not move): the router ends that
// transaction on both sides instead (wamp.Router.ClusterPeerDown), and a
// call must not run again after its caller was told it failed.

// ControlHandler is what the mesh tells about control traffic:
// *wamp.Router implements it (Mesh.SetControl).
type ControlHandler interface {
	// ClusterReceive handles a control record from peer, in order.
	ClusterReceive(peer string, m *wamp.ClusterMsg)
	// ClusterPeerDown forgets what peer told this node: its link went
	// down, or a new connection replaces the old one.
	ClusterPeerDown(peer string)
	// ClusterPeerUp sends peer this node's state: its link came up.
	ClusterPeerUp(peer string)
}

// errLinkDown is returned by Mesh.Send while the peer's link is down.
var errLinkDown = errors.New("peer link down")

// Control record flags.
const (
	ctlDiscloseCaller byte = 1 << iota
	ctlOK
	ctlReceiveProgress
	ctlProgress
	ctlKnown = ctlDiscloseCaller | ctlOK | ctlReceiveProgress | ctlProgress
)

// encodeControl encodes a control record:
//
//	kind                      1 byte: the wamp.ClusterKind
//	realm, uri                uvarint length + bytes each
//	match, invoke, mode       1 byte each
//	flags                     1 byte: disclose_caller, ok, receive_progress, progress
//	stamp                     8 bytes, big endian
//	token                     uvarint
//	session, invocation,
//	caller                    uvarint each
//	procedure, caller authid,
//	caller authrole, error    uvarint length + bytes each
//	args, kwargs              as in encodeRecord
//
// Every kind carries every field (absent ones empty): control records
// are few and small beside their payloads.
func encodeControl(m *wamp.ClusterMsg) []byte {
	n := 1 + 8*binary.MaxVarintLen64 + 4 + 8 + len(m.Realm) + len(m.URI) + len(m.Procedure) +
		len(m.CallerAuthID) + len(m.CallerAuthRole) + len(m.Error) +
		2*(1+binary.MaxVarintLen64) + len(m.Args.Raw) + len(m.Kwargs.Raw)
	var flags byte
	for _, f := range [...]struct {
		on  bool
		bit byte
	}{{m.DiscloseCaller, ctlDiscloseCaller}, {m.OK, ctlOK}, {m.ReceiveProgress, ctlReceiveProgress}, {m.Progress, ctlProgress}} {
		if f.on {
			flags |= f.bit
		}
	}
	b := make([]byte, 0, n)
	b = append(b, byte(m.Kind))
	b = appendString(b, m.Realm)
	b = appendString(b, m.URI)
	b = append(b, byte(m.Match), byte(m.Invoke), byte(m.Mode), flags)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Stamp))
	b = binary.AppendUvarint(b, m.Token)
	b = binary.AppendUvarint(b, uint64(m.Session))
	b = binary.AppendUvarint(b, uint64(m.Invocation))
	b = binary.AppendUvarint(b, uint64(m.Caller))
	b = appendString(b, m.Procedure)
	b = appendString(b, m.CallerAuthID)
	b = appendString(b, m.CallerAuthRole)
	b = appendString(b, m.Error)
	b = appendPayload(b, m.Args)
	return appendPayload(b, m.Kwargs)
}

// control decodes a control record (see encodeControl), copying what it
// keeps.
func (r *reader) control() *wamp.ClusterMsg {
	m := &wamp.ClusterMsg{Kind: wamp.ClusterKind(r.oneByte())}
	m.Realm = string(r.bytes())
	m.URI = string(r.bytes())
	m.Match = wamp.Match(r.oneByte())
	m.Invoke = wamp.InvokePolicy(r.oneByte())
	m.Mode = wamp.CancelMode(r.oneByte())
	flags := r.oneByte()
	if p := r.fixed(8); p != nil {
		m.Stamp = int64(binary.BigEndian.Uint64(p))
	}
	m.Token = r.uvarint()
	m.Session = r.id()
	m.Invocation = r.id()
	m.Caller = r.id()
	m.Procedure = string(r.bytes())
	m.CallerAuthID = string(r.bytes())
	m.CallerAuthRole = string(r.bytes())
	m.Error = string(r.bytes())
	m.Args = r.payload()
	m.Kwargs = r.payload()
	m.DiscloseCaller, m.OK = flags&ctlDiscloseCaller != 0, flags&ctlOK != 0
	m.ReceiveProgress, m.Progress = flags&ctlReceiveProgress != 0, flags&ctlProgress != 0
	switch {
	case r.err != nil:
		return nil
	case !m.Kind.Valid():
		r.err = fmt.Errorf("%w: control record kind %d", errMalformed, m.Kind)
	case flags&^ctlKnown != 0:
		r.err = fmt.Errorf("%w: unknown control flags %#x", errMalformed, flags&^ctlKnown)
	case m.Realm == "":
		r.err = fmt.Errorf("%w: control record without a realm", errMalformed)
	case m.Match > wamp.MatchWildcard || m.Invoke > wamp.InvokeLast || m.Mode > wamp.CancelSkip:
		r.err = fmt.Errorf("%w: control record option out of range", errMalformed)
	}
	if r.err != nil {
		return nil
	}
	return m
}

// SetControl makes h receive the control traffic: the gateway gives the
// node's router before Start. Without one, control records are dropped.
func (m *Mesh) SetControl(h ControlHandler) { m.control = h }

// Node implements wamp.ClusterLinks: this node's address in the pool.
func (m *Mesh) Node() string { return m.cfg.Node }

// UpPeers implements wamp.ClusterLinks.
func (m *Mesh) UpPeers(dst []string) []string {
	for _, l := range m.order {
		if l.current() != nil {
			dst = append(dst, l.peer)
		}
	}
	return dst
}

// Send implements wamp.ClusterLinks: msg is encoded and queued to peer's
// link after everything queued before it.
func (m *Mesh) Send(peer string, msg *wamp.ClusterMsg) error {
	l := m.links[peer]
	if l == nil {
		return fmt.Errorf("peer %s: not in the pool", peer)
	}
	if l.current() == nil {
		return fmt.Errorf("peer %s: %w", peer, errLinkDown)
	}
	rec := encodeControl(msg)
	if batchHeaderRoom+len(rec) > m.maxMessage {
		return fmt.Errorf("peer %s: control record of %d bytes exceeds the link's message bound %d", peer, len(rec), m.maxMessage)
	}
	l.enqueue(rec)
	return nil
}

// transient reports whether rec is a control record of a transaction.
func transient(rec []byte) bool {
	k := wamp.ClusterKind(rec[0])
	return k.Valid() && k.Transient()
}

// voidRecord takes the place of a voided record.
var voidRecord = []byte{recVoid}
