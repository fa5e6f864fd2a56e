package wamp

// Handler receives the application hooks of a Router, modelled on
// Ratchet's WampServerInterface. They see sessions of every protocol
// (v1 and v2) and every realm (Peer.Realm). Hooks for one session are
// never called concurrently with each other, but hooks of different
// sessions run concurrently on the gateway's worker goroutines, so a
// Handler must be safe for concurrent use. Hooks run on the worker that
// read the message: they must not block for long; a slow answer to a call
// belongs on another goroutine (see Call).
//
// A hook that panics is recovered: the panic is logged, reported to
// OnError and the session is closed with 1011.
//
// Changes for WAMP v2: Peer.ID is a numeric ID and Peer gained Realm;
// OnSubscribe and OnUnsubscribe receive the match policy (a v2 client may
// subscribe to a prefix or wildcard pattern, which topic then holds);
// OnPublish sees the payload as Args/Kwargs (Publication.Event and
// SetEvent give the v1 view); OnCall sees only calls that no registered
// callee serves, and a Call's Args and Kwargs are raw payloads
// (Call.JSONArgs gives the v1 view of the arguments; Result and Error
// answer as before, Yield, Raise and Progress answer with v2 payloads);
// BaseHandler.OnCall answers wamp.error.no_such_procedure.
//
// Embed BaseHandler to implement only the hooks you need.
type Handler interface {
	// OnOpen is called once a session has joined its realm, before its
	// WELCOME is sent.
	OnOpen(p Peer)
	// OnClose is called once when the session is gone, after it has been
	// removed from all subscriptions.
	OnClose(p Peer)
	// OnError is called when a session is closed because of an error: a
	// malformed message (a *CloseError) or a hook that panicked.
	OnError(p Peer, err error)
	// OnSubscribe is called before p is added to the subscription of
	// topic (a pattern when match is not MatchExact). A non-nil error
	// refuses it; a *URIError chooses the URI of v2's ERROR. It is not
	// called when p is already subscribed.
	OnSubscribe(p Peer, topic string, match Match) error
	// OnUnsubscribe is called after p left a subscription by request. It
	// is not called for sessions that close, nor for subscriptions p did
	// not have.
	OnUnsubscribe(p Peer, topic string, match Match)
	// OnPublish is called once, on the publisher's node, before a client's
	// publication is delivered. It may rewrite the payload (pub.Args,
	// pub.Kwargs, or pub.SetEvent), pub.Exclude, pub.Eligible and
	// pub.ExcludeMe; a non-nil error drops the publication (v2: a
	// *URIError chooses the URI of the ERROR when the publisher asked for
	// an acknowledgement). Server-side Router.Publish calls do not pass
	// here.
	OnPublish(p Peer, pub *Publication) error
	// OnCall is called for a remote procedure call (v1 or v2) that no
	// registered callee serves: no session's registration and none of
	// the realm's own procedures (Realm.Register) matches it, and it is
	// not one of the router's meta procedures (wamp.session.count, …;
	// see meta.go). It must
	// answer the call exactly once (Call.Result, Error, Yield or Raise),
	// now or later from any goroutine; a call with a timeout that is
	// still unanswered when it elapses ends with wamp.error.timeout.
	OnCall(p Peer, call *Call)
}

// BaseHandler is the default Handler: a plain broker that accepts every
// subscription and publication, and answers every call it is handed with
// the error wamp.error.no_such_procedure.
type BaseHandler struct{}

// OnOpen does nothing.
func (BaseHandler) OnOpen(Peer) {}

// OnClose does nothing.
func (BaseHandler) OnClose(Peer) {}

// OnError does nothing; the router already logs the error.
func (BaseHandler) OnError(Peer, error) {}

// OnSubscribe accepts the subscription.
func (BaseHandler) OnSubscribe(Peer, string, Match) error { return nil }

// OnUnsubscribe does nothing.
func (BaseHandler) OnUnsubscribe(Peer, string, Match) {}

// OnPublish accepts the publication unchanged.
func (BaseHandler) OnPublish(Peer, *Publication) error { return nil }

// OnCall answers with the error URI ErrorNoSuchProcedure and the
// description NoSuchProcedureDescription(call.Procedure); v1 sends it as
// [4, callID, "wamp.error.no_such_procedure", "no procedure <URI> is
// registered on this node"].
func (BaseHandler) OnCall(_ Peer, call *Call) {
	_ = call.Error(ErrorNoSuchProcedure, NoSuchProcedureDescription(call.Procedure), nil)
}

// NoSuchProcedureDescription is the error description BaseHandler.OnCall
// sends for procedure.
func NoSuchProcedureDescription(procedure string) string {
	return "no procedure " + procedure + " is registered on this node"
}
