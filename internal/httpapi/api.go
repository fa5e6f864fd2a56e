package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/wampgate/wampgate/hooks"
	"github.com/wampgate/wampgate/wamp"
)

// DefaultConcurrency is Config.Concurrency's default.
const DefaultConcurrency = 256

// The API's endpoints.
const (
	PathPublish = "/api/publish"
	PathCall    = "/api/call"
)

// Config configures an API.
type Config struct {
	// Router is the node's router, which the API publishes and calls
	// through.
	Router *wamp.Router
	// Keys are the accepted API keys (required); SetKeys replaces them.
	Keys *Keys
	// MaxBodySize bounds a request body in bytes (larger: 413, refused
	// before it is read).
	MaxBodySize int
	// Concurrency bounds the requests in flight, from their admission
	// (head read) to their answer; beyond it requests get 503 (0:
	// DefaultConcurrency).
	Concurrency int
	// Server is the Server header of the answers, e.g. "wampgate/0.1.0".
	Server string
	// Logger receives the API's logs (nil: slog.Default()).
	Logger *slog.Logger
}

// API serves the HTTP API of one node. Its methods are safe for
// concurrent use.
type API struct {
	router      *wamp.Router
	keys        atomic.Pointer[Keys]
	maxBody     int
	maxInFlight int64
	server      string
	log         *slog.Logger
	realms      map[string]*realmSession // fixed at New: read without a lock
	v1Realm     *realmSession

	inFlight     atomic.Int64
	requests     atomic.Uint64
	unauthorized atomic.Uint64
	refused      atomic.Uint64
	publications atomic.Uint64
	calls        atomic.Uint64
	abandoned    atomic.Uint64
	latency      latencies
}

// New makes an API over cfg.Router.
func New(cfg Config) (*API, error) {
	if cfg.Router == nil || cfg.Keys == nil || cfg.MaxBodySize <= 0 {
		return nil, errors.New("httpapi: a router, keys and a maximum body size are required")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &API{
		router:      cfg.Router,
		maxBody:     cfg.MaxBodySize,
		maxInFlight: int64(cfg.Concurrency),
		server:      cfg.Server,
		log:         cfg.Logger,
		realms:      make(map[string]*realmSession),
	}
	a.keys.Store(cfg.Keys)
	for _, rm := range cfg.Router.Realms() {
		a.realms[rm.Name()] = newRealmSession(rm)
	}
	a.v1Realm = a.realms[cfg.Router.V1Realm().Name()]
	return a, nil
}

// SetKeys replaces the accepted keys at once: requests admitted from now
// on are checked against k (a reload of the key file).
func (a *API) SetKeys(k *Keys) { a.keys.Store(k) }

// Close ends the API's sessions (at node shutdown). Requests still in
// flight are answered by their safety timers.
func (a *API) Close() {
	for _, rs := range a.realms {
		rs.close()
	}
}

// IsAPIPath reports whether a request target belongs to the API (its path
// starts with /api/), so that the node's port hands it to a Conn.
func IsAPIPath(target string) bool {
	return strings.HasPrefix(target, "/api/") || target == "/api" || strings.HasPrefix(target, "/api?")
}

// Head is what the API looks at in a request head.
type Head struct {
	Method, Path  string
	Authorization string
	// ContentLength is the Content-Length (0 when absent); Chunked
	// tells that a Transfer-Encoding was given instead.
	ContentLength int64
	Chunked       bool
}

// Ticket is an admitted request waiting for its body: it holds one of the
// Config.Concurrency slots until the request is answered (Serve) or
// abandoned (Release).
type Ticket struct {
	api      *API
	call     bool // POST /api/call, else /api/publish
	released atomic.Bool
}

// Admit decides what the head alone decides, in this order: a missing or
// wrong key (401), an unknown path (404), a method other than POST
// (405), a Transfer-Encoding (411: a body needs a Content-Length), a
// Content-Length over Config.MaxBodySize (413), no free slot (503).
// Either the ticket or the refusal is nil.
func (a *API) Admit(h Head) (*Ticket, *Response) {
	a.requests.Add(1)
	if !a.keys.Load().Check(h.Authorization) {
		a.unauthorized.Add(1)
		return nil, refusal(http.StatusUnauthorized, ErrorAuthenticationFailed,
			"a valid API key is required: Authorization: Bearer KEY")
	}
	var resp *Response
	switch {
	case h.Path != PathPublish && h.Path != PathCall:
		resp = refusal(http.StatusNotFound, ErrorNotFound, "no such endpoint: POST "+PathPublish+" or "+PathCall)
	case h.Method != http.MethodPost:
		resp = refusal(http.StatusMethodNotAllowed, ErrorMethodNotAllowed, h.Path+" takes POST")
		resp.Allow = http.MethodPost
	case h.Chunked || h.ContentLength < 0:
		resp = refusal(http.StatusLengthRequired, ErrorLengthRequired,
			"send the body with a Content-Length (no Transfer-Encoding)")
	case h.ContentLength > int64(a.maxBody):
		resp = refusal(http.StatusRequestEntityTooLarge, ErrorPayloadSizeExceeded,
			fmt.Sprintf("the body is %d bytes: at most %d", h.ContentLength, a.maxBody))
	case a.inFlight.Add(1) > a.maxInFlight:
		a.inFlight.Add(-1)
		resp = refusal(http.StatusServiceUnavailable, ErrorTooManyRequests,
			fmt.Sprintf("%d API requests are in flight: retry later", a.maxInFlight))
	default:
		return &Ticket{api: a, call: h.Path == PathCall}, nil
	}
	a.refused.Add(1)
	return nil, resp
}

// Release gives the ticket's slot back; Serve does it when it answers.
// Calls after the first do nothing.
func (t *Ticket) Release() {
	if t.released.CompareAndSwap(false, true) {
		t.api.inFlight.Add(-1)
	}
}

// Serve handles the request's body, which the API keeps (the caller must
// not modify it), and calls done exactly once with the answer: before
// Serve returns for a publication or a refused body, later and from any
// goroutine for a call (when its callee answers, or its timeout
// elapses). done must not block. cancel, callable from any goroutine,
// tells that the client went away: a call in flight is canceled
// (killnowait; its callee gets INTERRUPT), and done still follows.
func (t *Ticket) Serve(body []byte, done func(*Response)) (cancel func()) {
	a := t.api
	respond := func(r *Response) {
		t.Release()
		if r.Status >= 300 {
			a.refused.Add(1)
		}
		done(r)
	}
	if t.call {
		return a.serveCall(body, respond)
	}
	a.servePublish(body, respond)
	return func() {}
}

// servePublish publishes a publish request's body.
func (a *API) servePublish(body []byte, respond func(*Response)) {
	req, err := DecodePublish(body)
	if err != nil {
		respond(bodyRefusal(err))
		return
	}
	rs, resp := a.realm(req.Realm)
	if resp != nil {
		respond(resp)
		return
	}
	rs.publish(req, func(id wamp.ID, err error) {
		if err != nil {
			respond(publishRefusal(err))
			return
		}
		a.publications.Add(1)
		respond(&Response{Status: http.StatusOK, Body: encodeJSON(publishedJSON{Publication: id})})
	})
}

// serveCall starts a call request's call.
func (a *API) serveCall(body []byte, respond func(*Response)) (cancel func()) {
	req, err := DecodeCall(body)
	if err != nil {
		respond(bodyRefusal(err))
		return func() {}
	}
	rs, resp := a.realm(req.Realm)
	if resp != nil {
		respond(resp)
		return func() {}
	}
	a.calls.Add(1)
	return rs.call(req, respond)
}

// realm is the realm a request names ("": the v1 realm), or the 400
// answer when the node has no such realm.
func (a *API) realm(name string) (*realmSession, *Response) {
	if name == "" {
		return a.v1Realm, nil
	}
	if rs := a.realms[name]; rs != nil {
		return rs, nil
	}
	return nil, badRequest(ErrorNoSuchRealm, fmt.Sprintf("no realm %q on this node", name))
}

// bodyRefusal answers a body that DecodePublish or DecodeCall refused.
func bodyRefusal(err error) *Response {
	var be *BodyError
	if errors.As(err, &be) {
		return badRequest(be.URI, be.Message)
	}
	return badRequest(wamp.ErrorInvalidArgument, err.Error())
}

// publishRefusal answers a publication the core refused: a hook's or a
// permission's *wamp.URIError keeps its URI (400 for invalid_uri and
// invalid_argument, 502 for a publish hook's failure under the deny
// policy, else 403); too many publications waiting behind publish hooks
// is 503; any other refusal is not_authorized.
func publishRefusal(err error) *Response {
	var ce *wamp.CloseError
	if errors.As(err, &ce) {
		return refusal(http.StatusServiceUnavailable, ErrorTooManyRequests, "too many publications wait on publish hooks")
	}
	uri, message := ErrorNotAuthorized, "the publication was refused: "+err.Error()
	var ue *wamp.URIError
	if errors.As(err, &ue) {
		uri, message = ue.URI, ue.Message
	}
	status := http.StatusForbidden
	switch uri {
	case wamp.ErrorInvalidURI, wamp.ErrorInvalidArgument:
		status = http.StatusBadRequest
	case hooks.ErrorHookFailed:
		status = http.StatusBadGateway
	}
	return refusal(status, uri, message)
}

// Stats are the API's counters, served in /healthz.
type Stats struct {
	Requests     uint64 `json:"requests"`     // request heads seen
	Unauthorized uint64 `json:"unauthorized"` // answered 401
	Refused      uint64 `json:"refused"`      // answered with another error status
	Publications uint64 `json:"publications"` // published
	Calls        uint64 `json:"calls"`        // calls started
	InFlight     int64  `json:"in_flight"`    // admitted, not answered yet
	Abandoned    uint64 `json:"abandoned"`    // admitted, but the body never came in time
}

// Stats returns the API's counters.
func (a *API) Stats() Stats {
	return Stats{
		Requests:     a.requests.Load(),
		Unauthorized: a.unauthorized.Load(),
		Refused:      a.refused.Load(),
		Publications: a.publications.Load(),
		Calls:        a.calls.Load(),
		InFlight:     a.inFlight.Load(),
		Abandoned:    a.abandoned.Load(),
	}
}
