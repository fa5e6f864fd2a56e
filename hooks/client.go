package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// client POSTs request bodies to the application: at most concurrency
// at once, each on a goroutine of its own, the excess in a FIFO bounded
// at queueFactor × concurrency; done gets each outcome exactly once, on
// a goroutine other than the caller's.
type client struct {
	base      string
	userAgent string
	http      *http.Client
	timeout   time.Duration
	limit     int
	maxQueue  int
	log       *slog.Logger
	kinds     [numKinds]counters

	mu       sync.Mutex
	inFlight int
	queue    []*request
	closed   bool
}

// request is one POST waiting or in flight.
type request struct {
	kind Kind
	body []byte
	done func(*Answer, error)
}

// failure is a hook failure: its reason and what happened.
type failure struct {
	reason Reason
	err    error
}

func (f *failure) Error() string { return f.reason.String() + ": " + f.err.Error() }

func newClient(cfg *Config, userAgent string, log *slog.Logger) *client {
	tr := &http.Transport{
		Proxy:               nil, // the application is on loopback or a private network
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		MaxConnsPerHost:     cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{
		base:      strings.TrimSuffix(cfg.URL, "/"),
		userAgent: userAgent,
		http:      &http.Client{Transport: tr},
		timeout:   cfg.Timeout,
		limit:     cfg.Concurrency,
		maxQueue:  queueFactor * cfg.Concurrency,
		log:       log,
	}
}

// do sends body to the kind's path.
func (c *client) do(kind Kind, body []byte, done func(*Answer, error)) {
	c.kinds[kind].requests.Add(1)
	r := &request{kind: kind, body: body, done: done}
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		go c.finish(r, nil, &failure{ReasonRefused, errors.New("the hook client is closed")})
		return
	case c.inFlight < c.limit:
		c.inFlight++
		c.mu.Unlock()
		go c.serve(r)
		return
	case len(c.queue) >= c.maxQueue:
		c.mu.Unlock()
		go c.finish(r, nil, &failure{ReasonOverload, fmt.Errorf("%d requests wait already", c.maxQueue)})
		return
	}
	c.queue = append(c.queue, r)
	c.mu.Unlock()
}

// serve runs r, then the requests that waited, until none is left.
func (c *client) serve(r *request) {
	for r != nil {
		a, err := c.post(r)
		c.finish(r, a, err)
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.inFlight--
			r = nil
		} else {
			r = c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
		}
		c.mu.Unlock()
	}
}

// post makes one request and decodes its answer.
func (c *client) post(r *request) (*Answer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+r.kind.String(), bytes.NewReader(r.body))
	if err != nil {
		return nil, &failure{ReasonRefused, err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportFailure(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	if err != nil {
		return nil, c.transportFailure(ctx, err)
	}
	k := &c.kinds[r.kind]
	k.latencyNS.Add(uint64(time.Since(start)))
	k.answered.Add(1)
	if resp.StatusCode != http.StatusOK {
		return nil, &failure{ReasonStatus, fmt.Errorf("HTTP status %d", resp.StatusCode)}
	}
	a, err := DecodeAnswer(body)
	if err != nil {
		return nil, &failure{ReasonJunk, err}
	}
	return a, nil
}

// transportFailure classifies a failed request.
func (c *client) transportFailure(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &failure{ReasonTimeout, fmt.Errorf("no answer within %v", c.timeout)}
	}
	return &failure{ReasonRefused, err}
}

// finish counts and logs a failure, then hands the outcome to done.
func (c *client) finish(r *request, a *Answer, err error) {
	var f *failure
	if errors.As(err, &f) {
		k := &c.kinds[r.kind]
		n := k.failures[f.reason].Add(1)
		now := time.Now().UnixNano()
		if last := k.lastLog.Load(); now-last >= int64(time.Second) && k.lastLog.CompareAndSwap(last, now) {
			c.log.Warn("hook failed", "kind", r.kind.String(), "reason", f.reason.String(), "err", f.err, "failures", n)
		}
	}
	r.done(a, err)
}

// sizes reports the requests in flight and waiting.
func (c *client) sizes() (inFlight, queued int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inFlight, len(c.queue)
}

// close fails the waiting requests and closes idle connections; later
// requests fail at once.
func (c *client) close() {
	c.mu.Lock()
	c.closed = true
	waiting := c.queue
	c.queue = nil
	c.mu.Unlock()
	for _, r := range waiting {
		c.finish(r, nil, &failure{ReasonRefused, errors.New("the hook client is closed")})
	}
	c.http.CloseIdleConnections()
}
