package wamp

// Handler receives the application hooks of a Router, modelled on
// Ratchet's WampServerInterface. Hooks for one session are never called
// concurrently with each other, but hooks of different sessions run
// concurrently on the gateway's worker goroutines, so a Handler must be
// safe for concurrent use. Hooks run on the worker that read the message:
// they must not block for long; a slow answer to a call belongs on another
// goroutine (see Call).
//
// A hook that panics is recovered: the panic is logged, reported to
// OnError and the session is closed with 1011.
//
// Embed BaseHandler to implement only the hooks you need.
type Handler interface {
	// OnOpen is called once a session is registered, after its WELCOME
	// has been produced.
	OnOpen(p Peer)
	// OnClose is called once when the session is gone, after it has been
	// removed from all topics.
	OnClose(p Peer)
	// OnError is called when a session is closed because of an error: a
	// malformed message (a *CloseError) or a hook that panicked.
	OnError(p Peer, err error)
	// OnSubscribe is called before p is added to topic. A non-nil error
	// refuses the subscription. It is not called when p is already
	// subscribed.
	OnSubscribe(p Peer, topic string) error
	// OnUnsubscribe is called after p left topic by request. It is not
	// called for sessions that close, nor for topics p had not subscribed.
	OnUnsubscribe(p Peer, topic string)
	// OnPublish is called once, on the publisher's node, before a client's
	// publication is delivered. It may rewrite pub.Event, pub.Exclude,
	// pub.Eligible and pub.ExcludeMe; a non-nil error drops the
	// publication. Server-side Router.Publish calls do not pass here.
	OnPublish(p Peer, pub *Publication) error
	// OnCall is called for a remote procedure call. It must answer the
	// call exactly once, with Call.Result or Call.Error, now or later from
	// any goroutine.
	OnCall(p Peer, call *Call)
}

// BaseHandler is the default Handler: a plain broker that accepts every
// subscription and publication, and answers every call with a CALLERROR
// whose error URI is the procedure URI and whose description is
// "RPC not supported on this node" (the shape of Ratchet's demo app).
type BaseHandler struct{}

// NoRPCDescription is the error description of BaseHandler's call errors.
const NoRPCDescription = "RPC not supported on this node"

// OnOpen does nothing.
func (BaseHandler) OnOpen(Peer) {}

// OnClose does nothing.
func (BaseHandler) OnClose(Peer) {}

// OnError does nothing; the router already logs the error.
func (BaseHandler) OnError(Peer, error) {}

// OnSubscribe accepts the subscription.
func (BaseHandler) OnSubscribe(Peer, string) error { return nil }

// OnUnsubscribe does nothing.
func (BaseHandler) OnUnsubscribe(Peer, string) {}

// OnPublish accepts the publication unchanged.
func (BaseHandler) OnPublish(Peer, *Publication) error { return nil }

// OnCall answers with a CALLERROR: errorURI = the procedure URI,
// errorDesc = NoRPCDescription.
func (BaseHandler) OnCall(_ Peer, call *Call) {
	_ = call.Error(call.Procedure, NoRPCDescription, nil)
}
