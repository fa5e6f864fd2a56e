// Package httpapi is wampgate's HTTP API: an application's backend
// publishes to the cluster and calls procedures over plain HTTP, with a
// bearer key, instead of opening a WebSocket client per event.
//
//	POST /api/publish  {"topic", "args", "kwargs", "exclude", "eligible", "retain", "realm"}
//	                   → 200 {"publication": ID}
//	POST /api/call     {"procedure", "args", "kwargs", "timeout", "realm"}
//	                   → 200 {"args": [...], "kwargs": {...}}, or the callee's error
//
// The API acts through one core session per realm (authid and authrole
// "api", authmethod "apikey"), made on first use: its publications and
// calls take the path every session's do (Session.Publish and
// Session.Call), so the router's hooks and permissions apply to them, a
// publication reaches v1 and v2 subscribers on every node of the cluster,
// and a call reaches any callee of the realm.
//
// The package is transport-neutral at its core (API.Admit decides from a
// request head, Ticket.Serve from its body, and answers through a
// callback, perhaps later: a call's answer arrives when its callee
// yields) and has two transports: API.ServeHTTP for a net/http server on
// a listener of its own, and Conn, which serves HTTP/1.1 over bytes a
// reactor hands it (the node's own port), never blocking the caller.
package httpapi
