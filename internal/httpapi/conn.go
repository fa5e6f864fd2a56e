package httpapi

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Sender is the connection under a Conn, the node's reactor connection.
// Its methods never block and never call back into the Conn.
type Sender interface {
	// Send queues b for the client.
	Send(b []byte)
	// SendAndClose queues b, then closes the connection once it is
	// written.
	SendAndClose(b []byte)
	// Other answers a request for a path outside the API (IsAPIPath) as
	// the node's port answers it (GET /healthz, …) and closes the
	// connection.
	Other(method, target string)
}

// Conn states.
const (
	stateHead   = iota // reading a request head
	stateBody          // reading the body of an admitted request
	stateWait          // the request is being served: its answer is awaited
	stateClosed        // answered with Connection: close, or gone
)

// Conn serves the API as HTTP/1.1 over one connection whose bytes a
// reactor hands it (Feed), with keep-alive, one request at a time: a
// request is admitted from its head (a path outside the API is answered
// by Sender.Other; Content-Length at most
// Config.MaxBodySize, refused before the body is buffered; a
// Transfer-Encoding is refused with 411), its body is collected, then it
// is served, and the next request is read once it has been answered.
// Bytes pipelined meanwhile wait, up to maxHead of them; beyond that the
// connection closes after the answer. A refusal decided from the head
// closes the connection (its body is not read). Nothing blocks: a call's
// answer is written from the goroutine it arrives on.
type Conn struct {
	api     *API
	out     Sender
	maxHead int

	mu        sync.Mutex
	state     int
	running   bool // a goroutine is in run's loop
	buf       []byte
	ticket    *Ticket // admitted, waiting for its body
	need      int     // the body's length
	keepAlive bool
	overflow  bool // too much was pipelined: close after the answer
	gen       uint64
	cancel    func()    // cancels the request being served
	since     time.Time // when reading the current request could start
	// headAt is when the current request's head was complete (zero
	// before), endpoint its path's: the latency histogram's start.
	headAt   time.Time
	endpoint int
}

// NewConn serves the API on a connection of the node's port whose first
// bytes (a request head for an API path, IsAPIPath) came in at since;
// request heads are at most maxHead bytes.
func (a *API) NewConn(out Sender, maxHead int, since time.Time) *Conn {
	return &Conn{api: a, out: out, maxHead: maxHead, since: since}
}

// Feed processes bytes received on the connection. The reactor calls it
// from one goroutine at a time; answers may be written from others.
func (c *Conn) Feed(data []byte) {
	c.mu.Lock()
	switch {
	case c.state == stateClosed:
	case c.state == stateWait && len(c.buf)+len(data) > c.maxHead:
		c.overflow, c.buf = true, nil
	default:
		c.buf = append(c.buf, data...)
	}
	c.mu.Unlock()
	c.run()
}

// Closed tells that the connection is gone: a request waiting for its
// body gives its slot back, a call in flight is canceled.
func (c *Conn) Closed() {
	c.mu.Lock()
	c.state = stateClosed
	t, cancel := c.ticket, c.cancel
	c.ticket, c.cancel, c.buf = nil, nil, nil
	c.mu.Unlock()
	if t != nil {
		t.Release()
		c.api.abandoned.Add(1)
	}
	if cancel != nil {
		cancel()
	}
}

// Sweep closes the connection when it has been reading its current
// request, or waiting idle for the next one, for longer than timeout at
// now: a request cut short is answered 408 first. A request being served
// is never cut off. The reactor calls it periodically.
func (c *Conn) Sweep(now time.Time, timeout time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateHead && c.state != stateBody || now.Sub(c.since) <= timeout {
		return
	}
	if c.state == stateHead && len(c.buf) == 0 {
		c.state = stateClosed
		c.out.SendAndClose(nil) // idle: nothing to answer
		return
	}
	c.refuse(requestTimeout())
}

// run serves the requests buffered so far, one after the other, until
// one is awaited or the bytes run out. One goroutine runs it at a time;
// a call while it runs returns at once, as the running one reads the
// state again after each request it serves.
func (c *Conn) run() {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return
	}
	c.running = true
	for {
		t, body, gen := c.step()
		if t == nil {
			break
		}
		c.mu.Unlock()
		cancel := t.Serve(body, func(r *Response) { c.answer(gen, r) })
		c.mu.Lock()
		switch {
		case c.state == stateWait && c.gen == gen:
			c.cancel = cancel
		case c.state == stateClosed:
			c.mu.Unlock()
			cancel() // gone while the call started; nothing if answered
			c.mu.Lock()
		}
	}
	c.running = false
	c.mu.Unlock()
}

// step parses what is buffered: it refuses a bad or refused head, and
// returns the next admitted request once its body is complete (the state
// is then stateWait). The caller holds mu.
func (c *Conn) step() (*Ticket, []byte, uint64) {
	if c.state == stateHead {
		c.buf = bytes.TrimLeft(c.buf, "\r\n") // RFC 9112 §2.2: empty lines before a request
		i := bytes.Index(c.buf, []byte("\r\n\r\n"))
		if i < 0 && len(c.buf) > c.maxHead || i >= 0 && i+4 > c.maxHead {
			c.api.requests.Add(1)
			c.api.refused.Add(1)
			c.refuse(refusal(http.StatusRequestEntityTooLarge, ErrorBadRequest, "the request head is too large"))
			return nil, nil, 0
		}
		if i < 0 || !c.admit(i+4) {
			return nil, nil, 0
		}
	}
	if c.state != stateBody || len(c.buf) < c.need {
		return nil, nil, 0
	}
	body := bytes.Clone(c.buf[:c.need:c.need])
	if body == nil {
		body = []byte{}
	}
	c.buf = c.buf[c.need:]
	switch {
	case len(c.buf) == 0:
		c.buf = nil // no big array kept by an idle connection
	case len(c.buf) > c.maxHead:
		c.overflow, c.buf = true, nil
	}
	t := c.ticket
	c.ticket = nil
	c.state = stateWait
	c.gen++
	return t, body, c.gen
}

// admit parses the head, the first n buffered bytes, and admits it (the
// state becomes stateBody) or refuses it. The caller holds mu.
func (c *Conn) admit(n int) bool {
	c.headAt, c.endpoint = time.Now(), endpointOther
	head := c.buf[:n]
	c.buf = c.buf[n:]
	req, err := http.ReadRequest(bufio.NewReaderSize(bytes.NewReader(head), n))
	if err != nil {
		c.api.requests.Add(1)
		c.api.refused.Add(1)
		c.refuse(badRequest(ErrorBadRequest, "malformed HTTP request: "+err.Error()))
		return false
	}
	if !IsAPIPath(req.RequestURI) {
		c.state, c.buf = stateClosed, nil
		c.out.Other(req.Method, req.RequestURI)
		return false
	}
	c.endpoint = endpointOf(req.URL.Path)
	t, resp := c.api.Admit(Head{
		Method:        req.Method,
		Path:          req.URL.Path,
		Authorization: req.Header.Get("Authorization"),
		ContentLength: req.ContentLength,
		Chunked:       len(req.TransferEncoding) > 0,
	})
	if resp != nil {
		c.refuse(resp)
		return false
	}
	c.ticket, c.need = t, int(req.ContentLength)
	c.keepAlive = !req.Close && req.ProtoAtLeast(1, 1) // HTTP/1.0: one request
	c.state = stateBody
	if len(c.buf) < c.need && strings.EqualFold(req.Header.Get("Expect"), "100-continue") {
		c.out.Send(continue100)
	}
	return true
}

// refuse answers r and closes the connection. The caller holds mu.
func (c *Conn) refuse(r *Response) {
	c.state = stateClosed
	c.buf = nil
	c.out.SendAndClose(r.appendHTTP(nil, c.api.server, true))
	c.answered(r)
}

// answered files the answer r of the current request in the latency
// histogram, if its head was complete. The caller holds mu.
func (c *Conn) answered(r *Response) {
	if !c.headAt.IsZero() {
		c.api.latency.observe(c.endpoint, r.Status, time.Since(c.headAt))
		c.headAt = time.Time{}
	}
}

// answer writes the answer of request gen, then reads on: the next
// request may be buffered already.
func (c *Conn) answer(gen uint64, r *Response) {
	c.mu.Lock()
	if c.state != stateWait || c.gen != gen {
		c.mu.Unlock() // the connection is gone
		return
	}
	c.cancel = nil
	if !c.keepAlive || c.overflow {
		c.state = stateClosed
		c.buf = nil
		c.out.SendAndClose(r.appendHTTP(nil, c.api.server, true))
		c.answered(r)
		c.mu.Unlock()
		return
	}
	c.out.Send(r.appendHTTP(nil, c.api.server, false))
	c.answered(r)
	c.state = stateHead
	c.since = time.Now()
	c.mu.Unlock()
	c.run()
}
