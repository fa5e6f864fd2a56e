package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// NewServer returns a net/http server of the API for a listener of its
// own (every path is the API's): request heads of at most maxHeader
// bytes, each request's head and then its body read within readTimeout
// (a slow client is cut off), idle keep-alive connections closed after
// idleTimeout; its errors are logged at debug level. A call's handler
// waits for the answer; a client that goes away meanwhile cancels the
// call.
func (a *API) NewServer(maxHeader int, readTimeout, idleTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler: &handler{api: a, readTimeout: readTimeout},
		// Not ReadTimeout: its deadline outlives the body and would cancel
		// the request's context while a call waits for its answer.
		ReadHeaderTimeout: readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
}

// handler is the API's http.Handler.
type handler struct {
	api         *API
	readTimeout time.Duration
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := h.api
	start := time.Now() // net/http has read the head
	endpoint := endpointOf(r.URL.Path)
	write := func(resp *Response) {
		a.write(w, resp)
		a.latency.observe(endpoint, resp.Status, time.Since(start))
	}
	t, resp := a.Admit(Head{
		Method:        r.Method,
		Path:          r.URL.Path,
		Authorization: r.Header.Get("Authorization"),
		ContentLength: r.ContentLength,
		Chunked:       len(r.TransferEncoding) > 0,
	})
	if resp != nil { // as on the node's port: the body is not read
		w.Header().Set("Connection", "close")
		write(resp)
		return
	}
	body, err := h.readBody(w, r)
	if err != nil { // too slow, or gone
		t.Release()
		a.abandoned.Add(1)
		w.Header().Set("Connection", "close")
		write(requestTimeout())
		return
	}
	answer := make(chan *Response, 1)
	cancel := t.Serve(body, func(resp *Response) { answer <- resp })
	select {
	case resp := <-answer:
		write(resp)
	case <-r.Context().Done():
		cancel() // the answer still comes, into the buffered channel
	}
}

// readBody reads the body Admit accepted (Content-Length bytes) within
// the read timeout.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rc := http.NewResponseController(w)
	if h.readTimeout > 0 {
		_ = rc.SetReadDeadline(time.Now().Add(h.readTimeout)) // every net/http connection supports it
	}
	body := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, body); err != nil {
		return nil, err // the deadline stays: net/http's drain of the rest ends at once
	}
	if h.readTimeout > 0 {
		_ = rc.SetReadDeadline(time.Time{}) // a call may wait longer; the connection is read again after the answer
	}
	return body, nil
}

// write sends resp with the API's Server header.
func (a *API) write(w http.ResponseWriter, resp *Response) {
	if a.server != "" {
		w.Header().Set("Server", a.server)
	}
	resp.write(w)
}
