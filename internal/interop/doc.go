// Package interop proves wampgate's WAMP v2 with real, maintained client
// libraries: its tests start nodes in-process and drive Autobahn|Python
// (python/, run with Debian's /usr/bin/python3 and its python3-autobahn,
// python3-msgpack, python3-cbor2 and python3-nacl) and Autobahn|JS (js/,
// npm autobahn on ws, run with Node) as child processes. Each client
// script performs one scenario, prints what it observed as JSON lines, and
// the Go test asserts the exact values; wampgate's own raw v1 client
// (internal/wstest) plays the WAMP v1 side.
//
// Without the clients installed the tests skip with a message; with
// WAMPGATE_REQUIRE_CLIENTS=1 (set by .ci/run) they fail instead.
package interop
