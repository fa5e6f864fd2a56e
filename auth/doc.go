// Package auth decides who a WAMP session is: JSON Web Tokens (given at
// the WebSocket handshake, or as a WAMP v2 ticket), the static users
// table of WAMP-CRA and WAMP-cryptosign, and anonymous sessions.
//
// An Authenticator is one immutable configuration: the JWT key (JWTKey:
// HS256, RS256, ES256 or EdDSA, the algorithm pinned to the key), the
// users (Users), the cookie that may carry a token, and whether
// anonymous sessions are allowed. A node keeps the one in force in a
// Gate, which a reload replaces atomically (Gate.Set); connections and
// sessions read it when they need it, so a reload never drops a session.
//
// At the handshake the gateway verifies a token the client sent
// (Authenticator.VerifyToken). A WAMP v1 session gets its identity there
// (Token.Auth), or is anonymous when the Authenticator allows it. A WAMP
// v2 session asks its Conn at HELLO (Conn.Hello), which answers with the
// identity to WELCOME, a Challenge to send (ticket, wampcra, cryptosign)
// whose Authenticate checks the client's AUTHENTICATE, or an *Error to
// ABORT with. The identity is a *wamp.Auth (nil: anonymous).
//
// Secrets, tokens and signatures never appear in errors or logs.
package auth
