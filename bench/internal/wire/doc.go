// Package wire holds the byte-level pieces of wampbench's WebSocket and
// WAMP v1 client: the upgrade request and the check of its response, an
// allocation-free search for the server frames in a read buffer (frames
// are encoded and decoded by the node's codec, internal/wsframe), and the
// benchmark's event payload, whose send timestamp and sequence number can
// be read back without decoding JSON.
//
// Nothing here does I/O; the reactor in package bench feeds it bytes.
package wire
