package wamp

// Protocol describes a WAMP protocol version and serializer (v1, v2 JSON,
// v2 MessagePack, v2 CBOR) to the broker. The broker is protocol-neutral:
// when it fans a publication out, it asks each subscriber's Protocol for
// the EVENT frame, and the publication caches the frame, so it is encoded
// once per protocol (PerSubscription false: v1) or once per protocol and
// subscription (PerSubscription true: v2, whose EVENT names the
// subscription), however many subscribers share it.
type Protocol struct {
	// Name is the negotiated WebSocket subprotocol, e.g. "wamp" or
	// "wamp.2.json"; hooks see it as Peer.Protocol.
	Name string
	// PerSubscription tells that EventFrame depends on the subscription.
	PerSubscription bool
	// EventFrame encodes pub as a complete WebSocket frame (see
	// internal/wsframe) carrying this protocol's EVENT message for
	// subscribers of sub: a text frame for JSON, a binary one for
	// MessagePack and CBOR. It is called once per publication and
	// protocol (and subscription, when PerSubscription); the frame is
	// then queued to every subscriber it fits and must never be modified.
	// It returns nil when pub cannot be expressed in this protocol (a
	// payload that does not convert): those subscribers get nothing.
	EventFrame func(pub *Publication, sub *Subscription) []byte
	// Goodbye, when set, sends the protocol's goodbye to a session that
	// Session.Kill ends, before the router closes its connection: v2
	// sends GOODBYE with reason (a URI, e.g. wamp.close.killed) and
	// Details.message when message is not empty. v1 has none. It is
	// called from any goroutine and must only write to s.Conn().
	Goodbye func(s *Session, reason, message string)
}
