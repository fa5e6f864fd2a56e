// Package v2 speaks WAMP v2 (subprotocols wamp.2.json, wamp.2.msgpack and
// wamp.2.cbor).
//
// The codec: Message is one WAMP v2 message in a flat, table-driven form
// (schema.go lists every message type's elements); a Serializer decodes
// and encodes it in one of the three formats of wamp/value. Application
// payloads (Arguments, ArgumentsKw) stay raw bytes in the serializer's
// format: they are validated when a message is decoded and written back
// verbatim, never decoded on the routing path.
package v2
