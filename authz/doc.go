// Package authz is wampgate's role-based authorization: the roles of the
// --config file (role → rules: a URI, a match policy, the allowed actions
// among subscribe, publish, call and register) compiled into a Roles, the
// wamp.Authorizer a node's router asks before a session subscribes,
// publishes, calls or registers. Decisions are cached per (role, action,
// URI, match), bounded (CacheSize), so the check costs a map lookup; the
// router asks once per operation, never per delivered event. A reload
// builds a new Roles and swaps it in (wamp.Router.SetAuthorizer).
package authz
