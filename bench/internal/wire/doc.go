// Package wire holds the byte-level pieces of wampbench's WebSocket and
// WAMP client: the upgrade request and the check of its response, an
// allocation-free search for the server frames in a read buffer (frames
// are encoded and decoded by the node's codec, internal/wsframe), and the
// benchmark's messages in WAMP v1 (wamp.go) and WAMP v2 over JSON,
// MessagePack and CBOR (wamp2.go, scan.go): the stamped payload of events
// and calls, whose send timestamp and sequence number are read back in
// place, without decoding the message.
//
// Nothing here does I/O; the reactor in package bench feeds it bytes.
package wire
