// Package authz is wampgate's role-based authorization: the roles of the
// --config file (role → rules: a URI, a match policy, the allowed actions
// among subscribe, publish, call and register) compiled into a Roles, the
// wamp.Authorizer a node's router asks before a session subscribes,
// publishes, calls or registers. A role of a few rules is decided anew
// each time (a few nanoseconds a rule); the decisions of larger roles
// are cached per (role, action, URI, match), bounded (CacheSize), so no
// check costs more than a map lookup. The router asks once per
// operation, never per delivered event. A reload builds a new Roles, with
// an empty cache, and swaps it in (wamp.Router.SetAuthorizer).
package authz
