// Package naive is a deliberately naive WAMP v1 pub/sub server, the
// reference that DESIGN §5 states wampgate's fan-out, latency and
// handshake targets against ("a naive goroutine-per-connection gorilla
// server in the same run"). It is a baseline to measure, not a product:
// it is written the way every gorilla/websocket tutorial writes a server,
// on purpose.
//
//   - The handshake goes through the standard library's net/http server
//     and gorilla/websocket's Upgrader (with the tutorials' 1 KiB read and
//     write buffers).
//   - One goroutine per connection reads frames with blocking reads (the
//     Go runtime's poller underneath); every message is decoded with
//     encoding/json.
//   - Every outbound message is written with its own Conn.WriteMessage,
//     under a per-connection mutex: one write system call per frame, no
//     queue, no batching.
//   - The broker is a map[topic]map[*client]struct{} under one RWMutex. A
//     PUBLISH is handled on the publisher's own goroutine: the EVENT is
//     encoded once (as a careful naive author would), then written to each
//     subscriber in turn.
//
// It speaks exactly the WAMP v1 subset wampbench uses: WELCOME
// [0,"<id>",1,"naive"] right after the 101, SUBSCRIBE [5,topic],
// UNSUBSCRIBE [6,topic], PUBLISH [7,topic,event] and
// [7,topic,event,excludeMe] → EVENT [8,topic,event] to the subscribers
// (without the publisher when excludeMe is true). Anything else is
// ignored. GET /healthz answers {"status":"ok"}.
//
// Run it with the hidden wampbench subcommand:
//
//	wampbench naive-server --addr 127.0.0.1:8095
//
// and compare it with wampgate in one run with scripts/bench-compare.sh.
package naive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// maxMessage bounds an inbound message (gorilla's SetReadLimit), as the
// tutorials do.
const maxMessage = 64 << 10

// upgrader is the tutorials' Upgrader: 1 KiB buffers, the "wamp"
// subprotocol, any Origin.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	Subprotocols:    []string{"wamp"},
	CheckOrigin:     func(*http.Request) bool { return true },
}

// Server is a naive WAMP v1 server. Create it with New, run it with Serve
// or ListenAndServe, stop it with Close.
type Server struct {
	http   *http.Server
	nextID atomic.Uint64

	// mu guards topics (the broker) and conns (every upgraded connection,
	// so that Close can reach the ones net/http no longer tracks).
	mu     sync.RWMutex
	topics map[string]map[*client]struct{}
	conns  map[*client]struct{}
	closed bool
	wg     sync.WaitGroup // connection goroutines after the upgrade
}

// client is one WAMP session.
type client struct {
	conn *websocket.Conn
	wmu  sync.Mutex // one writer at a time, as gorilla requires
}

// write sends one text message: one frame, one write system call.
func (c *client) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.conn.WriteMessage(websocket.TextMessage, msg)
}

// New returns a server that is not listening yet.
func New() *Server {
	s := &Server{
		topics: map[string]map[*client]struct{}{},
		conns:  map[*client]struct{}{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("/", s.serveWS)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Serve accepts connections on ln until Close. It returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe listens on the TCP address addr and serves until Close.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Close stops the listener, closes every WebSocket connection and waits
// for their goroutines to end.
func (s *Server) Close() error {
	err := s.http.Close() // listener and not-yet-upgraded connections
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Shutdown is Close bounded by ctx: it returns ctx's error if the
// connection goroutines have not ended by then.
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveWS upgrades the request, sends WELCOME and reads the session's
// messages until the connection ends, on net/http's goroutine for it.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered with an HTTP error
	}
	c := &client{conn: conn}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer s.drop(c)

	id := "naive-" + strconv.FormatUint(s.nextID.Add(1), 10)
	if c.write([]byte(`[0,"`+id+`",1,"naive"]`)) != nil {
		return
	}
	conn.SetReadLimit(maxMessage)
	for {
		// A close frame from the peer is answered by gorilla's default
		// close handler and ends the loop with an error.
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.TextMessage {
			s.handle(c, msg)
		}
	}
}

// drop forgets c (connection set and every subscription) and closes it.
func (s *Server) drop(c *client) {
	s.mu.Lock()
	delete(s.conns, c)
	for topic, subs := range s.topics {
		delete(subs, c)
		if len(subs) == 0 {
			delete(s.topics, topic)
		}
	}
	s.mu.Unlock()
	c.conn.Close()
}

// handle acts on one WAMP message from c; malformed or unsupported
// messages are ignored.
func (s *Server) handle(c *client, msg []byte) {
	var arr []json.RawMessage
	if json.Unmarshal(msg, &arr) != nil || len(arr) < 2 {
		return
	}
	var typ int
	var topic string
	if json.Unmarshal(arr[0], &typ) != nil || json.Unmarshal(arr[1], &topic) != nil {
		return
	}
	switch typ {
	case 5: // SUBSCRIBE
		s.mu.Lock()
		subs := s.topics[topic]
		if subs == nil {
			subs = map[*client]struct{}{}
			s.topics[topic] = subs
		}
		subs[c] = struct{}{}
		s.mu.Unlock()
	case 6: // UNSUBSCRIBE
		s.mu.Lock()
		delete(s.topics[topic], c)
		s.mu.Unlock()
	case 7: // PUBLISH
		if len(arr) < 3 {
			return
		}
		excludeMe := len(arr) == 4 && bytes.Equal(bytes.TrimSpace(arr[3]), []byte("true"))
		s.publish(c, topic, arr[1], arr[2], excludeMe)
	}
}

// publish writes EVENT [8,topic,event] to every subscriber of topic, one
// WriteMessage (one system call) per subscriber, on the publisher's
// goroutine. rawTopic is the topic's JSON as the publisher sent it.
func (s *Server) publish(from *client, topic string, rawTopic, event json.RawMessage, excludeMe bool) {
	ev := make([]byte, 0, len(rawTopic)+len(event)+5)
	ev = append(ev, "[8,"...)
	ev = append(ev, rawTopic...)
	ev = append(ev, ',')
	ev = append(ev, event...)
	ev = append(ev, ']')

	// Copy the subscribers under the read lock, write without it.
	s.mu.RLock()
	targets := make([]*client, 0, len(s.topics[topic]))
	for c := range s.topics[topic] {
		if !excludeMe || c != from {
			targets = append(targets, c)
		}
	}
	s.mu.RUnlock()
	for _, c := range targets {
		_ = c.write(ev) // a failed subscriber ends in its own read loop
	}
}
