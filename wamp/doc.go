// Package wamp is wampgate's protocol-neutral WAMP core: the Router with
// its session registry and broker, publications and their fan-out, calls,
// and the Handler hooks an embedding Go program implements (modelled on
// Ratchet's WampServerInterface). Wire formats live in the version
// packages: wamp/v1 (WAMP v1, Ratchet-compatible) and, later, wamp/v2.
//
// How a message flows: the gateway owns the connection (Conn) and drives a
// ProtocolSession (v1.Session): Open once, HandleMessage per message,
// Closed once, from one goroutine at a time per connection. The protocol
// session decodes messages and calls its *Session (subscribe, publish,
// call); a publication goes through Handler.OnPublish, then
// Router.Publish, which encodes the event once per protocol and queues
// the same frame to every recipient with Conn.SendFrame.
//
// Concurrency: Router methods are safe for concurrent use; the calls of
// one Session come from its own goroutine; Peer methods, Call answers and
// Router.Publish may come from any goroutine.
//
// Deliberate differences from Ratchet are listed in DIFFERENCES.md beside
// this file.
package wamp
