package httpapi

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// answerGrace is how long after its timeout a call whose answer never
// came (its session was killed, which drops the answers of its calls in
// flight) is answered 504 by the API itself.
const answerGrace = time.Second

// apiCall is one call of the API: the wamp.Replier its answer comes
// through. The answer is rendered at once (its payload is valid only
// during the reply) and handed to respond exactly once — never while the
// realm session's lock is held, since respond may start the next request
// of the same connection: an answer that arrives while the call is being
// started waits for served.
type apiCall struct {
	respond func(*Response)
	timer   *time.Timer

	mu       sync.Mutex
	starting bool      // the call is being started: the answer waits
	pending  *Response // the answer that waited
	answered bool
}

func newAPICall(req *CallRequest, respond func(*Response)) *apiCall {
	c := &apiCall{respond: respond, starting: true}
	c.timer = time.AfterFunc(req.Timeout+answerGrace, func() {
		c.finish(refusal(http.StatusGatewayTimeout, wamp.ErrorTimeout, "the call was not answered in time"))
	})
	return c
}

// ReplyResult implements wamp.Replier: the final result becomes 200
// {"args": [...], "kwargs": {...}}; progressive results (which the API
// does not ask for) are ignored.
func (c *apiCall) ReplyResult(args, kwargs wamp.Payload, progress bool) {
	if progress {
		return
	}
	a, errA := jsonPart(args, "[]")
	k, errK := jsonPart(kwargs, "{}")
	if errA != nil || errK != nil {
		c.finish(refusal(http.StatusBadGateway, ErrorInvalidResult,
			"the callee's result has no JSON form (a NaN, an infinity, or a string starting with U+0000)"))
		return
	}
	c.finish(&Response{Status: http.StatusOK, Body: encodeJSON(resultJSON{Args: a, Kwargs: k})})
}

// ReplyError implements wamp.Replier: the error becomes {"error": {uri,
// message, args, kwargs}} with the status StatusOf(uri). The message is
// the first argument when it is a string (as router errors and v1
// callees send it), else the URI.
func (c *apiCall) ReplyError(uri string, args, kwargs wamp.Payload) {
	a, errA := jsonPart(args, "[]")
	k, errK := jsonPart(kwargs, "{}")
	if errA != nil || errK != nil {
		a, k = json.RawMessage("[]"), json.RawMessage("{}")
	}
	message := uri
	var first []json.RawMessage
	if json.Unmarshal(a, &first) == nil && len(first) > 0 {
		var s string
		if json.Unmarshal(first[0], &s) == nil {
			message = s
		}
	}
	c.finish(&Response{Status: StatusOf(uri), Body: encodeJSON(errorJSON{errorFields{
		URI: uri, Message: message, Args: a, Kwargs: k,
	}})})
}

// jsonPart is a payload part as JSON (a copy: the part is valid only
// during the reply), or empty when it is absent.
func jsonPart(p wamp.Payload, empty string) (json.RawMessage, error) {
	if p.Raw == nil {
		return json.RawMessage(empty), nil
	}
	b, err := p.In(value.JSON)
	if err != nil {
		return nil, err
	}
	if p.Format == value.JSON || p.Format == 0 {
		b = append([]byte(nil), b...)
	}
	return b, nil
}

// finish hands the first answer to respond, or keeps it for served.
func (c *apiCall) finish(r *Response) {
	c.mu.Lock()
	if c.answered {
		c.mu.Unlock()
		return
	}
	c.answered = true
	c.timer.Stop()
	if c.starting {
		c.pending = r
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.respond(r)
}

// served tells that the call has been started (the realm session's lock
// is released): an answer that came meanwhile goes out now.
func (c *apiCall) served() {
	c.mu.Lock()
	c.starting = false
	r := c.pending
	c.pending = nil
	c.mu.Unlock()
	if r != nil {
		c.respond(r)
	}
}
