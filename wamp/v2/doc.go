// Package v2 speaks WAMP v2 (subprotocols wamp.2.json, wamp.2.msgpack and
// wamp.2.cbor).
//
// The codec: Message is one WAMP v2 message in a flat, table-driven form
// (schema.go lists every message type's elements); a Serializer decodes
// and encodes it in one of the three formats of wamp/value. Application
// payloads (Arguments, ArgumentsKw) stay raw bytes in the serializer's
// format: they are validated when a message is decoded and written back
// verbatim, never decoded on the routing path.
//
// The session: Session is the wamp.ProtocolSession of one v2 connection.
// It waits for HELLO, authenticates it (session_auth.go: its auth.Conn
// decides, and a CHALLENGE awaits AUTHENTICATE), joins a core
// wamp.Session to the realm HELLO names
// (WELCOME announces the broker and dealer features it implements, the
// core's meta API included), serves the
// broker messages (session_broker.go) and the dealer messages
// (session_rpc.go: REGISTER, CALL, CANCEL, YIELD, a callee's ERROR; it is
// its core session's wamp.Callee, and each CALL's wamp.Replier), until
// GOODBYE; the connection then
// waits for the next HELLO, a new session with a new id. Protocol
// violations are answered with ABORT wamp.error.protocol_violation and a
// WebSocket close. A session the meta API kills gets GOODBYE (Protocol's
// wamp.Protocol.Goodbye) before the router closes the connection; the
// client's GOODBYE in reply gets no answer. Protocol, one per serializer
// and node, encodes each
// EVENT once per publication and subscription for every subscriber of
// that serializer, converting the payload when the publisher used
// another format.
package v2
