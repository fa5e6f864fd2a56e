// Package v1 implements WAMP v1 (subprotocol "wamp") the way Ratchet 0.4
// speaks it, frame for frame, on top of the protocol-neutral package wamp:
// message type ids, a one-pass decoder with PHP json_decode's acceptance
// rules and PHP's loose typing, PHP-style encoders, CURIE prefixes, and
// Session, the wamp.ProtocolSession the gateway drives.
//
// Where Ratchet crashes, leaks or is simply wrong, v1 deliberately
// differs; ../DIFFERENCES.md lists every such case.
package v1
