package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/wampgate/wampgate/wamp"
)

// Error URIs of the API's own refusals, beside the WAMP ones the core
// answers with (wamp.ErrorInvalidArgument, …).
const (
	ErrorAuthenticationFailed = "wamp.error.authentication_failed"  // 401
	ErrorNotAuthorized        = "wamp.error.not_authorized"         // 403
	ErrorNoSuchRealm          = "wamp.error.no_such_realm"          // 400
	ErrorPayloadSizeExceeded  = "wamp.error.payload_size_exceeded"  // 413
	ErrorNotFound             = "wampgate.error.not_found"          // 404
	ErrorMethodNotAllowed     = "wampgate.error.method_not_allowed" // 405
	ErrorLengthRequired       = "wampgate.error.length_required"    // 411
	ErrorBadRequest           = "wampgate.error.bad_request"        // 400: a malformed HTTP request
	ErrorTooManyRequests      = "wampgate.error.too_many_requests"  // 503
	ErrorInvalidResult        = "wampgate.error.invalid_result"     // 502: a result with no JSON form
	ErrorRequestTimeout       = "wampgate.error.request_timeout"    // 408
)

// Response is one API answer: an HTTP status and a JSON body.
type Response struct {
	Status int
	// Allow lists the methods a 405 answer allows.
	Allow string
	Body  []byte
}

// StatusOf is the HTTP status answering a call that ended with the error
// uri: no_such_procedure 404, not_authorized and authorization_failed
// 403, invalid_argument and invalid_uri 400, canceled and timeout 504,
// wampgate.error.too_many_calls 503, anything else (an application's
// error) 502.
func StatusOf(uri string) int {
	switch uri {
	case wamp.ErrorNoSuchProcedure:
		return http.StatusNotFound
	case ErrorNotAuthorized, "wamp.error.authorization_failed":
		return http.StatusForbidden
	case wamp.ErrorInvalidArgument, wamp.ErrorInvalidURI, ErrorNoSuchRealm:
		return http.StatusBadRequest
	case wamp.ErrorCanceled, wamp.ErrorTimeout:
		return http.StatusGatewayTimeout
	case wamp.ErrorTooManyCalls:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

// errorJSON is an error body: {"error": {...}}.
type errorJSON struct {
	Error errorFields `json:"error"`
}

type errorFields struct {
	URI     string          `json:"uri"`
	Message string          `json:"message"`
	Args    json.RawMessage `json:"args,omitempty"`
	Kwargs  json.RawMessage `json:"kwargs,omitempty"`
}

// resultJSON is a call's result body.
type resultJSON struct {
	Args   json.RawMessage `json:"args"`
	Kwargs json.RawMessage `json:"kwargs"`
}

// publishedJSON is a publication's body.
type publishedJSON struct {
	Publication wamp.ID `json:"publication"`
}

// encodeJSON renders v compactly, without HTML escaping, with a final
// newline. v is one of the body types above, which always encode.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{"error":{"uri":"wampgate.error.internal","message":"the answer could not be encoded"}}` + "\n")
	}
	return b.Bytes()
}

// refusal is an error answer of the API itself: status, uri, message.
func refusal(status int, uri, message string) *Response {
	return &Response{Status: status, Body: encodeJSON(errorJSON{errorFields{URI: uri, Message: message}})}
}

// requestTimeout answers a request whose head or body was too slow.
func requestTimeout() *Response {
	return refusal(http.StatusRequestTimeout, ErrorRequestTimeout, "the request did not arrive within the read timeout")
}

// badRequest is a 400 answer.
func badRequest(uri, message string) *Response {
	return refusal(http.StatusBadRequest, uri, message)
}

// Header lines the raw transport writes.
const (
	headerServer       = "Server: "
	headerJSON         = "Content-Type: application/json\r\n"
	headerAuthenticate = "WWW-Authenticate: Bearer realm=\"wampgate\"\r\n"
	headerRetryAfter   = "Retry-After: 1\r\n"
	headerClose        = "Connection: close\r\n"
)

// continue100 is the interim answer to Expect: 100-continue.
var continue100 = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// appendHTTP renders r as an HTTP/1.1 response with the server name
// server; close adds Connection: close.
func (r *Response) appendHTTP(dst []byte, server string, close bool) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, http.StatusText(r.Status)...)
	dst = append(dst, "\r\nDate: "...)
	dst = time.Now().UTC().AppendFormat(dst, http.TimeFormat)
	dst = append(dst, "\r\n"+headerServer...)
	dst = append(dst, server...)
	dst = append(dst, "\r\n"+headerJSON+"Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(r.Body)), 10)
	dst = append(dst, "\r\n"...)
	dst = r.appendExtra(dst)
	if close {
		dst = append(dst, headerClose...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, r.Body...)
}

// appendExtra appends the headers that depend on the status.
func (r *Response) appendExtra(dst []byte) []byte {
	switch r.Status {
	case http.StatusUnauthorized:
		dst = append(dst, headerAuthenticate...)
	case http.StatusMethodNotAllowed:
		dst = append(append(append(dst, "Allow: "...), r.Allow...), "\r\n"...)
	case http.StatusServiceUnavailable:
		dst = append(dst, headerRetryAfter...)
	}
	return dst
}

// write sends r through a net/http ResponseWriter.
func (r *Response) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	switch r.Status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="wampgate"`)
	case http.StatusMethodNotAllowed:
		h.Set("Allow", r.Allow)
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body) // a client gone away is not an error of ours
}
