// Package stubserver is a minimal WAMP v1 pub/sub server (goroutine per
// connection, gobwas/ws) that lets wampbench's tests run without the real
// gateway. It implements only WELCOME, SUBSCRIBE, UNSUBSCRIBE and PUBLISH
// with excludeMe, and is not meant for anything but tests.
package stubserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Server is a running stand-in server.
type Server struct {
	ln     net.Listener
	mu     sync.Mutex
	topics map[string]map[*session]struct{}
	conns  map[net.Conn]struct{}
	nextID atomic.Int64
	wg     sync.WaitGroup
	closed bool
}

type session struct {
	id   string
	conn net.Conn
	wmu  sync.Mutex
}

func (s *session) write(frame []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, _ = s.conn.Write(frame)
}

// Start listens on a free port of 127.0.0.1 and serves until Close.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, topics: map[string]map[*session]struct{}{}, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// URL is the ws:// address of the server.
func (s *Server) URL() string { return "ws://" + s.ln.Addr().String() + "/" }

// Port is the TCP port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Close stops the listener, closes every connection and waits for the
// connection goroutines.
func (s *Server) Close() {
	s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	sess := &session{id: fmt.Sprintf("stub%d", s.nextID.Add(1)), conn: c}
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		for _, subs := range s.topics {
			delete(subs, sess)
		}
		s.mu.Unlock()
		c.Close()
	}()
	up := ws.Upgrader{Protocol: func(p []byte) bool { return string(p) == "wamp" }}
	if _, err := up.Upgrade(c); err != nil {
		return
	}
	sess.write(ws.MustCompileFrame(ws.NewTextFrame([]byte(`[0,"` + sess.id + `",1,"stub\/0"]`))))
	for {
		msg, op, err := wsutil.ReadClientData(c)
		if err != nil {
			return
		}
		if op != ws.OpText {
			continue
		}
		s.handle(sess, msg)
	}
}

func (s *Server) handle(sess *session, msg []byte) {
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
	case 5:
		s.mu.Lock()
		if s.topics[topic] == nil {
			s.topics[topic] = map[*session]struct{}{}
		}
		s.topics[topic][sess] = struct{}{}
		s.mu.Unlock()
	case 6:
		s.mu.Lock()
		delete(s.topics[topic], sess)
		s.mu.Unlock()
	case 7:
		if len(arr) < 3 {
			return
		}
		excludeMe := len(arr) == 4 && bytes.Equal(arr[3], []byte("true"))
		var ev bytes.Buffer
		ev.WriteString(`[8,`)
		ev.Write(arr[1])
		ev.WriteByte(',')
		ev.Write(arr[2])
		ev.WriteByte(']')
		frame := ws.MustCompileFrame(ws.NewTextFrame(ev.Bytes()))
		s.mu.Lock()
		targets := make([]*session, 0, len(s.topics[topic]))
		for t := range s.topics[topic] {
			if !(excludeMe && t == sess) {
				targets = append(targets, t)
			}
		}
		s.mu.Unlock()
		for _, t := range targets {
			t.write(frame)
		}
	}
}
