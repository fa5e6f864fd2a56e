package wamp

import (
	"bytes"
	"fmt"

	"github.com/wampgate/wampgate/wamp/value"
)

// This file holds operation hooks: an application outside the process
// (package hooks, over HTTP) decides subscriptions, publications and
// calls, and answers later. The session's operation waits for the answer
// without holding a worker: the hook's answer continues it, through the
// connection's OpQueue, which keeps the session's operations in order.
// Without OpHooks (the default) a session has no queue and the hot paths
// pay one nil check.

// OpHooks are a router's asynchronous operation hooks (RouterConfig.Hooks).
// Authorization runs before them: a refused operation never reaches them.
type OpHooks interface {
	// Wants reports whether a hook decides action (ActionSubscribe,
	// ActionPublish or ActionCall) on uri. It is called on the worker
	// for every such operation and must be cheap.
	Wants(action Action, uri string) bool
	// Subscribe, Publish and Call start the hook of one operation that
	// Wants; done must be called exactly once, later, on another
	// goroutine than the caller's (never from within the method).
	Subscribe(s *Session, topic string, match Match, done func(*HookAnswer))
	Publish(s *Session, pub *Publication, done func(*HookAnswer))
	Call(s *Session, call *Call, done func(*HookAnswer))
}

// HookAnswer is an operation hook's decision. The zero value accepts the
// operation unchanged.
type HookAnswer struct {
	// Error, when not nil, refuses the operation.
	Error *HookError
	// Route asks that a call be routed as if no hook applied (a failed
	// call hook whose failure policy allows).
	Route bool
	// Args and Kwargs, each when present, replace a publication's payload,
	// or are a call's result.
	Args, Kwargs Payload
	// Skip delivers a publication to nobody.
	Skip bool
	// Reply, when set, sends an event on the publication's topic to its
	// publisher alone, with ReplyArgs and ReplyKwargs.
	Reply                  bool
	ReplyArgs, ReplyKwargs Payload
}

// HookError is an operation hook's refusal: the error URI, a message,
// and for a call the error's arguments.
type HookError struct {
	URI, Message string
	Args, Kwargs Payload
}

// Error implements error.
func (e *HookError) Error() string { return e.URI + ": " + e.Message }

// uriError is e as the *URIError of a refused subscription or publication.
func (e *HookError) uriError() *URIError { return &URIError{URI: e.URI, Message: e.Message} }

// Hooked reports whether the session's operations may wait for operation
// hooks: the protocol session then uses SubscribeThen and PublishThen.
func (s *Session) Hooked() bool { return s.ops != nil }

// opsOwner is a Conn that keeps its own OpQueue (the gateway's
// connections), shared by the sessions it carries.
type opsOwner interface {
	Ops() *OpQueue
}

// queueFor is the OpQueue of a session on c: c's own, else a new one.
func queueFor(c Conn) *OpQueue {
	if o, ok := c.(opsOwner); ok {
		if q := o.Ops(); q != nil {
			return q
		}
	}
	return NewOpQueue()
}

// PublishThen is Publish for a hooked session: then gets Publish's
// result, at once when no hook decides the topic, else once the hook
// answered, through the session's OpQueue. The hook's answer may refuse
// the publication (then gets the *URIError), rewrite its payload, skip
// it (delivered to nobody, then gets nil) and reply to the publisher.
// The publication the hook accepted is what goes to the Go hook, the
// subscribers and the cluster.
func (s *Session) PublishThen(pub *Publication, then func(error)) {
	if err := s.prePublish(pub); err != nil {
		then(err)
		return
	}
	h := s.realm.router.hooks
	if h == nil || !h.Wants(ActionPublish, pub.Topic) {
		then(s.finishPublish(pub))
		return
	}
	q := s.ops
	q.hold()
	h.Publish(s, pub, func(a *HookAnswer) {
		q.resume(func() { then(s.publishAnswered(pub, a)) })
	})
}

// publishAnswered applies the hook's answer a to pub.
func (s *Session) publishAnswered(pub *Publication, a *HookAnswer) error {
	if !s.Live() {
		return fmt.Errorf("publish to %q: session %d: %w", pub.Topic, s.id, ErrNotLive)
	}
	if a.Error != nil {
		return a.Error.uriError()
	}
	if a.Args.Present() {
		pub.Args = a.Args
	}
	if a.Kwargs.Present() {
		pub.Kwargs = a.Kwargs
	}
	if a.Reply {
		s.replyEvent(pub.Topic, a.ReplyArgs, a.ReplyKwargs)
	}
	if a.Skip {
		return nil
	}
	return s.finishPublish(pub)
}

// replyEvent sends an event on topic to the session alone, through its
// first subscription matching topic; without one it is dropped and
// counted (Stats.HookRepliesDropped).
func (s *Session) replyEvent(topic string, args, kwargs Payload) {
	for _, mem := range s.subs {
		if sub := mem.sub; Matches(topic, sub.uri, sub.match) {
			pub := &Publication{Realm: s.realm.name, Topic: topic, Args: args, Kwargs: kwargs, ID: randomID()}
			pub.Args.normalize()
			pub.Kwargs.normalize()
			if frame := s.proto.EventFrame(pub, sub); frame != nil {
				s.conn.SendFrame(frame)
			}
			return
		}
	}
	s.realm.router.repliesDropped.Add(1)
}

// SubscribeThen is Subscribe for a hooked session: then gets Subscribe's
// results, at once when no hook decides the topic (or the session is
// subscribed already), else once the hook answered, through the
// session's OpQueue.
func (s *Session) SubscribeThen(topic string, match Match, then func(sub *Subscription, already bool, err error)) {
	h := s.realm.router.hooks
	if h == nil || !h.Wants(ActionSubscribe, topic) {
		then(s.Subscribe(topic, match))
		return
	}
	if err := s.preSubscribe(topic, match); err != nil {
		then(nil, false, err)
		return
	}
	if i := s.subscription(topic, match); i >= 0 {
		then(s.subs[i].sub, true, nil)
		return
	}
	q := s.ops
	q.hold()
	h.Subscribe(s, topic, match, func(a *HookAnswer) {
		q.resume(func() {
			if a.Error != nil {
				then(nil, false, fmt.Errorf("wamp: subscribe %q refused: %w", topic, a.Error.uriError()))
				return
			}
			then(s.Subscribe(topic, match))
		})
	})
}

// callHooked hands call to the operation hook when one decides its
// procedure and reports whether it did. The app's answer becomes the
// call's result or error; a call timeout still applies, and a CANCEL
// answers wamp.error.canceled at once (the app's later answer is
// dropped).
func (s *Session) callHooked(call *Call) bool {
	h := s.realm.router.hooks
	if h == nil || !h.Wants(ActionCall, call.Procedure) {
		return false
	}
	call.own()
	t := s.table()
	t.addHooked(call)
	if call.Timeout > 0 {
		call.startTimeout(func() { refuse(call, ErrorTimeout, "the call timed out") })
	}
	q := s.ops
	q.hold()
	h.Call(s, call, func(a *HookAnswer) {
		q.resume(func() {
			t.dropHooked(call)
			switch {
			case a.Route:
				s.route(call)
			case a.Error != nil:
				e := a.Error
				if call.claim() {
					call.replier.ReplyError(e.URI, hookErrorArgs(e), e.Kwargs)
				}
			default:
				if call.claim() {
					call.replier.ReplyResult(a.Args, a.Kwargs, false)
				}
			}
		})
	})
	return true
}

// hookErrorArgs is the argument list of a hook's call error: its message
// followed by its arguments (JSON lists both).
func hookErrorArgs(e *HookError) Payload {
	msg := errorArgs(e.Message)
	args, err := e.Args.In(value.JSON)
	switch {
	case msg.Raw == nil:
		return e.Args
	case err != nil || len(args) < 2 || args[0] != '[':
		return msg
	}
	inner := bytes.TrimSpace(args[1 : len(args)-1])
	if len(inner) == 0 {
		return msg
	}
	raw := make([]byte, 0, len(msg.Raw)+len(inner)+1)
	raw = append(raw, msg.Raw[:len(msg.Raw)-1]...)
	raw = append(append(append(raw, ','), inner...), ']')
	return Payload{Raw: raw, Format: value.JSON}
}
