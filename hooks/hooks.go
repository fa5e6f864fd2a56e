package hooks

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/wampgate/wampgate/wamp"
)

// ErrorHookFailed is the error URI of an operation whose hook failed
// under the deny policy.
const ErrorHookFailed = "wamp.error.hook_failed"

// hookFailedMessage is its message.
const hookFailedMessage = "hook unavailable"

// Hooks sends a node's operations to the application (see the package
// comment). It implements wamp.OpHooks; Connect serves the gateway.
type Hooks struct {
	cfg    Config
	node   atomic.Pointer[string]
	client *client
	match  [numKinds]prefixes
}

var _ wamp.OpHooks = (*Hooks)(nil)

// New makes the hooks of cfg (checked with Config.Check) for the node
// whose address is node ("127.0.0.1:8095", sent in every body);
// userAgent is the requests' User-Agent.
func New(cfg Config, node, userAgent string, log *slog.Logger) (*Hooks, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, fmt.Errorf("hooks: no hook URL")
	}
	if log == nil {
		log = slog.Default()
	}
	h := &Hooks{cfg: cfg, client: newClient(&cfg, userAgent, log)}
	h.SetNode(node)
	h.match[KindSubscribe] = newPrefixes(cfg.Subscribe)
	h.match[KindPublish] = newPrefixes(cfg.Publish)
	h.match[KindCall] = newPrefixes(cfg.Call)
	return h, nil
}

// SetNode sets the node address the bodies carry (once the node listens
// and knows its port).
func (h *Hooks) SetNode(addr string) { h.node.Store(&addr) }

// Describe is the start-up log line's attributes: the URL without
// credentials, the kinds and their prefixes, the bounds and the policy.
func (h *Hooks) Describe() []any {
	return []any{"url", Redact(h.cfg.URL), "connect", h.cfg.Connect,
		"subscribe", strings.Join(h.cfg.Subscribe, ","), "publish", strings.Join(h.cfg.Publish, ","),
		"call", strings.Join(h.cfg.Call, ","), "timeout", h.cfg.Timeout.String(),
		"concurrency", h.cfg.Concurrency, "failure", h.cfg.Failure.String()}
}

// Close fails the requests waiting for a slot and closes idle
// connections.
func (h *Hooks) Close() { h.client.close() }

// Stats returns the counters, for /healthz.
func (h *Hooks) Stats() Stats {
	st := Stats{Kinds: make(map[string]KindStats, numKinds)}
	st.InFlight, st.Queued = h.client.sizes()
	for k := range numKinds {
		st.Kinds[k.String()] = h.client.kinds[k].snapshot()
	}
	return st
}

// Wants implements wamp.OpHooks.
func (h *Hooks) Wants(action wamp.Action, uri string) bool {
	switch action {
	case wamp.ActionSubscribe:
		return h.match[KindSubscribe].match(uri)
	case wamp.ActionPublish:
		return h.match[KindPublish].match(uri)
	case wamp.ActionCall:
		return h.match[KindCall].match(uri)
	}
	return false
}

// failed is the answer that stands for a hook failure under the policy.
func (h *Hooks) failed(kind Kind) *wamp.HookAnswer {
	if h.cfg.Failure == Allow {
		return &wamp.HookAnswer{Route: kind == KindCall}
	}
	return &wamp.HookAnswer{Error: &wamp.HookError{URI: ErrorHookFailed, Message: hookFailedMessage}}
}

// send posts body (nil: it could not be made, a failure) and hands the
// outcome to done as a wamp.HookAnswer.
func (h *Hooks) send(kind Kind, body []byte, encodeErr error, done func(*wamp.HookAnswer)) {
	if encodeErr != nil {
		h.client.kinds[kind].requests.Add(1)
		f := &failure{ReasonJunk, fmt.Errorf("the request cannot be written as JSON: %w", encodeErr)}
		go h.client.finish(&request{kind: kind, done: func(*Answer, error) { done(h.failed(kind)) }}, nil, f)
		return
	}
	h.client.do(kind, body, func(a *Answer, err error) {
		if err != nil {
			done(h.failed(kind))
			return
		}
		done(&wamp.HookAnswer{Error: a.Error, Args: a.Args, Kwargs: a.Kwargs, Skip: a.Skip,
			Reply: a.Reply, ReplyArgs: a.ReplyArgs, ReplyKwargs: a.ReplyKwargs})
	})
}

// Subscribe implements wamp.OpHooks.
func (h *Hooks) Subscribe(s *wamp.Session, topic string, match wamp.Match, done func(*wamp.HookAnswer)) {
	h.send(KindSubscribe, h.subscribeBody(s, topic, match), nil, done)
}

// Publish implements wamp.OpHooks.
func (h *Hooks) Publish(s *wamp.Session, pub *wamp.Publication, done func(*wamp.HookAnswer)) {
	body, err := h.publishBody(s, pub)
	h.send(KindPublish, body, err, done)
}

// Call implements wamp.OpHooks.
func (h *Hooks) Call(s *wamp.Session, call *wamp.Call, done func(*wamp.HookAnswer)) {
	body, err := h.callBody(s, call)
	h.send(KindCall, body, err, done)
}

// ConnectEnabled reports whether new sessions go to URL/connect.
func (h *Hooks) ConnectEnabled() bool { return h.cfg.Connect }

// ConnectAnswer is the outcome of a connect hook.
type ConnectAnswer struct {
	// Error, when not nil, refuses the session (a failure under deny:
	// wamp.error.hook_failed).
	Error *wamp.HookError
	// AuthID and AuthRole, when not empty, replace what authentication
	// settled; Extra is v2 WELCOME's authextra.
	AuthID, AuthRole string
	Extra            map[string]any
}

// Connect asks the application about a new session; done gets the
// outcome once, on another goroutine. A failure under allow keeps the
// identity authentication gave.
func (h *Hooks) Connect(r *ConnectRequest, done func(*ConnectAnswer)) {
	h.client.do(KindConnect, h.connectBody(r), func(a *Answer, err error) {
		switch {
		case err == nil && a.Error != nil:
			done(&ConnectAnswer{Error: a.Error})
		case err == nil:
			done(&ConnectAnswer{AuthID: a.AuthID, AuthRole: a.AuthRole, Extra: a.Extra})
		case h.cfg.Failure == Allow:
			done(&ConnectAnswer{})
		default:
			done(&ConnectAnswer{Error: &wamp.HookError{URI: ErrorHookFailed, Message: hookFailedMessage}})
		}
	})
}
