package v2

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// The WebSocket subprotocols of WAMP v2, one per serializer.
const (
	SubprotocolJSON    = "wamp.2.json"
	SubprotocolMsgPack = "wamp.2.msgpack"
	SubprotocolCBOR    = "wamp.2.cbor"
)

// Subprotocol returns the WebSocket subprotocol of serializer format f,
// "" for an unknown format.
func Subprotocol(f value.Format) string {
	switch f {
	case value.JSON:
		return SubprotocolJSON
	case value.MsgPack:
		return SubprotocolMsgPack
	case value.CBOR:
		return SubprotocolCBOR
	}
	return ""
}

// Protocol is WAMP v2 over one serializer as a node runs it: the
// wamp.Protocol the broker asks for EVENT frames (encoded once per
// publication and subscription, in this serializer, as text frames for
// JSON and binary frames otherwise), plus the node's count of events that
// could not be expressed in this serializer. A node makes one per
// serializer with NewProtocol and hands it to every session of that
// subprotocol; its methods are safe for concurrent use.
type Protocol struct {
	wamp.Protocol
	ser serializer
	op  ws.OpCode
	log *slog.Logger

	unconvertible atomic.Uint64
	lastLog       atomic.Int64 // unix nanoseconds of the last conversion-failure log
}

// NewProtocol returns WAMP v2 over serializer format f (value.JSON,
// value.MsgPack or value.CBOR); log receives the rate-limited reports of
// payloads that cannot be converted to f (nil: slog.Default()). It panics
// on an unknown format, a programming error.
func NewProtocol(f value.Format, log *slog.Logger) *Protocol {
	if SerializerFor(f) == nil {
		panic("wamp v2: NewProtocol of unknown format " + f.String())
	}
	if log == nil {
		log = slog.Default()
	}
	p := &Protocol{ser: serializer{f}, op: ws.OpText, log: log}
	if f != value.JSON {
		p.op = ws.OpBinary
	}
	p.Protocol = wamp.Protocol{Name: Subprotocol(f), PerSubscription: true, EventFrame: p.eventFrame, Goodbye: p.goodbye}
	return p
}

// goodbye is the wamp.Protocol hook of a killed session: GOODBYE with
// reason and, when message is not empty, Details.message. The router
// closes the connection right after it.
func (p *Protocol) goodbye(s *wamp.Session, reason, message string) {
	m := Message{Type: Goodbye, URI: reason}
	if message != "" {
		m.Dict = map[string]any{"message": message}
	}
	frame, err := p.frame(&m)
	if err != nil { // a message that is not UTF-8: the reason alone says enough
		m.Dict = nil
		if frame, err = p.frame(&m); err != nil {
			p.log.Error("wamp v2: cannot encode a GOODBYE", "reason", reason, "err", err)
			return
		}
	}
	s.Conn().SendFrame(frame)
}

// Format is the protocol's serializer format.
func (p *Protocol) Format() value.Format { return p.ser.format }

// Unconvertible is how many EVENT frames (one per publication and
// subscription) were not sent because the payload has no form in this
// serializer, e.g. a MessagePack string starting with U+0000 for JSON.
func (p *Protocol) Unconvertible() uint64 { return p.unconvertible.Load() }

// eventFrame is the wamp.Protocol hook: pub's EVENT for subscribers of
// sub, as one frame. Details carry `topic` for pattern subscriptions and
// `publisher`, `publisher_authid` and `publisher_authrole` when the
// publisher disclosed itself.
func (p *Protocol) eventFrame(pub *wamp.Publication, sub *wamp.Subscription) []byte {
	m, ok := p.event(pub, sub, false)
	if !ok {
		return nil
	}
	frame, err := p.frame(&m)
	if err != nil {
		p.dropped(pub, err)
		return nil
	}
	return frame
}

// event builds pub's EVENT for sub in this serializer; ok is false (and
// the failure counted and logged) when the payload does not convert.
func (p *Protocol) event(pub *wamp.Publication, sub *wamp.Subscription, retained bool) (m Message, ok bool) {
	f := p.ser.format
	args, err := pub.ArgsIn(f)
	if err != nil {
		p.dropped(pub, err)
		return m, false
	}
	kwargs, err := pub.KwargsIn(f)
	if err != nil {
		p.dropped(pub, err)
		return m, false
	}
	m = Message{Type: Event, Request: uint64(sub.ID()), ID: uint64(pub.ID), Args: args, Kwargs: kwargs}
	pattern := sub.Match() != wamp.MatchExact
	disclose := pub.DiscloseMe && (pub.PublisherID != 0 || pub.Auth != nil)
	if pattern || disclose || retained {
		m.Dict = make(map[string]any, 5)
		if pattern {
			m.Dict["topic"] = pub.Topic
		}
		if disclose {
			discloseTo(m.Dict, pub)
		}
		if retained {
			m.Dict["retained"] = true
		}
	}
	return m, true
}

// discloseTo writes the publisher's identity into EVENT.Details: its
// session id (none for a publication without a session, e.g. the HTTP
// API's), authid and authrole (each when known).
func discloseTo(d map[string]any, pub *wamp.Publication) {
	if pub.PublisherID != 0 {
		d["publisher"] = uint64(pub.PublisherID)
	}
	if a := pub.Auth; a != nil && a.PublisherAuthID != "" {
		d["publisher_authid"] = a.PublisherAuthID
	}
	if a := pub.Auth; a != nil && a.PublisherAuthRole != "" {
		d["publisher_authrole"] = a.PublisherAuthRole
	}
}

// frame encodes m as one complete WebSocket frame of this protocol's
// kind, in one allocation sized from a estimate of the message (the
// header is written in front of the payload once its length is known).
func (p *Protocol) frame(m *Message) ([]byte, error) {
	const reserve = wsframe.MaxHeaderSize
	estimate := 48 + len(m.URI) + len(m.Args) + len(m.Kwargs)
	if len(m.Dict) > 0 {
		estimate += 64 * len(m.Dict)
	}
	buf, err := p.ser.Append(make([]byte, reserve, reserve+estimate), m)
	if err != nil {
		return nil, err
	}
	n := len(buf) - reserve
	start := reserve - wsframe.HeaderLen(n)
	wsframe.AppendHeader(buf[start:start], p.op, n)
	return buf[start:], nil
}

// dropped counts an EVENT that could not be encoded and logs it, at most
// once a second per protocol.
func (p *Protocol) dropped(pub *wamp.Publication, err error) {
	n := p.unconvertible.Add(1)
	now := time.Now().UnixNano()
	last := p.lastLog.Load()
	if now-last < int64(time.Second) || !p.lastLog.CompareAndSwap(last, now) {
		return
	}
	p.log.Warn("wamp v2: event not delivered to subscribers of this serializer",
		"protocol", p.Name, "topic", pub.Topic, "publication", uint64(pub.ID), "err", err, "total", n)
}
