// Package wamp is wampgate's protocol-neutral WAMP core: the Router (a
// registry of realms, the node's session ids and the relay seam), Realms
// (each with its broker, dealer, sessions, retained events and meta API),
// Sessions, Subscriptions, Publications and their fan-out, Registrations,
// Calls and their invocations, and the Handler
// hooks an embedding Go program implements (modelled on Ratchet's
// WampServerInterface). Wire formats live in the version packages:
// wamp/v1 (WAMP v1, Ratchet-compatible) and wamp/v2.
//
// How a message flows: the gateway owns the connection (Conn) and drives a
// ProtocolSession (v1.Session, later v2's): Open once, HandleMessage per
// message, Closed once, from one goroutine at a time per connection. The
// protocol session makes a core Session in a realm (Realm.NewSession,
// then Join: v1 at once in the v1 realm, v2 at HELLO), decodes messages
// and calls its Session (Subscribe, Unsubscribe, Publish, Register, Call,
// …); a publication goes through Handler.OnPublish, then Realm.Publish,
// which hands it to the relay, encodes the EVENT once per protocol (and
// subscription, for v2) and queues the same frame to every recipient with
// Conn.SendFrame. A call goes to the callee session its registration
// picks (the callee's protocol session, a Callee, sends INVOCATION), else
// to a procedure the realm serves itself, else to Handler.OnCall; its
// answer goes back through the caller's Replier. Every call in flight to
// a callee session is tracked in both sessions' tables until it ends
// (answer, timeout, cancel, either side leaving).
//
// Authorization (authorize.go): when the router has an Authorizer (the
// node's roles, package authz), every SUBSCRIBE, PUBLISH, CALL and
// REGISTER of a session is decided for its authrole before hooks and
// routing, once per operation, never per delivered event; a refusal is
// a *URIError wamp.error.not_authorized. Publications may also filter
// their recipients by authid and authrole (Publication.Admits).
//
// The meta API (meta*.go): every realm serves the WAMP meta procedures
// wamp.session.*, wamp.subscription.* and wamp.registration.* about
// itself on this node, and publishes the meta events (sessions joining
// and leaving, subscriptions and registrations created, joined, left and
// deleted) as the router, only when someone listens; the session events
// are relayed to the cluster like any publication. Clients may neither
// publish nor register under the reserved prefix "wamp.".
//
// Ids: session ids are random integers in [1, 2^53], unique across the
// cluster by construction (see session_id.go); publication ids are random
// and drawn at the origin; subscription and registration ids are
// sequential per realm; invocation ids are sequential per callee session.
//
// Concurrency: Router and Realm methods are safe for concurrent use; the
// calls of one Session come from its own goroutine; Peer methods, Call
// answers and Router.Publish may come from any goroutine.
//
// Deliberate differences from Ratchet are listed in DIFFERENCES.md beside
// this file.
package wamp
