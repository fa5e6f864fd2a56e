// Package hooks lets an application outside the process decide what
// WAMP clients may do: the node POSTs JSON to the application's HTTP
// endpoints URL/connect, URL/subscribe, URL/publish and URL/call, and
// the answer accepts, rewrites or refuses the operation. The wire
// contract (request bodies, answers, failure policy, ordering and bounds)
// is in the README's "HTTP hooks" section.
//
// Hooks implements wamp.OpHooks for subscriptions, publications and
// calls, and Connect for the session's start, which the gateway runs at
// the handshake (v1) or HELLO (v2). Requests run on the client's own
// goroutines, never on the worker that read the message: at most
// Config.Concurrency at once, the excess in a FIFO bounded at 64 times
// that, each bounded by Config.Timeout, over keep-alive connections.
package hooks
