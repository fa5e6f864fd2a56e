package wamp

// Protocol describes a WAMP protocol version (v1, v2 JSON, …) to the
// router. The broker is protocol-neutral: when it fans a publication out,
// it asks each subscriber's Protocol for the event frame, and a
// Publication encodes each protocol's frame once, however many subscribers
// share it.
type Protocol struct {
	// Name is the negotiated WebSocket subprotocol, e.g. "wamp"; hooks see
	// it as Peer.Protocol.
	Name string
	// EventFrame encodes pub as a complete WebSocket frame (see
	// internal/wsframe) carrying this protocol's EVENT message. It is
	// called at most once per publication and protocol; the frame is then
	// queued to every subscriber speaking this protocol and must never be
	// modified.
	EventFrame func(pub *Publication) []byte
}
