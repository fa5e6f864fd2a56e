package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/wampgate/wampgate/internal/httpapi"
	"github.com/wampgate/wampgate/netpoll"
)

// This file wires the HTTP API (package internal/httpapi) into the node:
// on a listener of its own (Config.APIListen, net/http), or on the node's
// port, where a plain HTTP request for a path under /api/ turns its
// connection over to an httpapi.Conn.

// errNoAPI is returned by SetAPIKeys on a node started without the API.
var errNoAPI = errors.New("the HTTP API is not enabled (start the node with API keys)")

// LoadAPIKeys reads an API key file (--api-key-file): one key a line, at
// least httpapi.MinKeyLength visible ASCII characters; blank lines and
// lines starting with '#' are ignored. Its errors name lines, never keys.
// A reload reads the file with it and hands the keys to SetAPIKeys.
func LoadAPIKeys(path string) ([][]byte, error) { return httpapi.LoadKeyFile(path) }

// SetAPIKeys replaces the HTTP API's keys at once, without dropping a
// connection: requests admitted afterwards are checked against keys. It
// fails, and the old keys stay, when keys is empty or holds a malformed
// key, or when the node was started without the API (Config.APIKeys).
func (n *Node) SetAPIKeys(keys [][]byte) error {
	if n.api == nil {
		return errNoAPI
	}
	k, err := httpapi.NewKeys(keys)
	if err != nil {
		return fmt.Errorf("API keys: %w", err)
	}
	n.api.SetKeys(k)
	n.log.Info("HTTP API keys replaced", "keys", k.Len())
	return nil
}

// APIEnabled reports whether the node serves the HTTP API (it was started
// with Config.APIKeys).
func (n *Node) APIEnabled() bool { return n.api != nil }

// APIAddr is the address of the API's own listener (Config.APIListen),
// "" when the API has none.
func (n *Node) APIAddr() string {
	if n.apiLn == nil {
		return ""
	}
	return n.apiLn.Addr().String()
}

// newAPI makes the node's API when Config.APIKeys enables it.
func (n *Node) newAPI() error {
	if len(n.cfg.APIKeys) == 0 {
		if n.cfg.APIListen != "" {
			return errors.New("an API listen address without API keys")
		}
		return nil
	}
	keys, err := httpapi.NewKeys(n.cfg.APIKeys)
	if err != nil {
		return fmt.Errorf("API keys: %w", err)
	}
	n.api, err = httpapi.New(httpapi.Config{
		Router:      n.router,
		Keys:        keys,
		MaxBodySize: n.cfg.MaxMessageSize,
		Concurrency: n.cfg.APIConcurrency,
		Server:      "wampgate/" + Version,
		Logger:      n.log,
	})
	return err
}

// listenAPI opens the API's own listener, when Config.APIListen asks for
// one.
func (n *Node) listenAPI() error {
	if n.api == nil || n.cfg.APIListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", n.cfg.APIListen)
	if err != nil {
		return fmt.Errorf("API listener: %w", err)
	}
	n.apiLn = ln
	return nil
}

// closeAPIListener closes the API's listener when Start fails.
func (n *Node) closeAPIListener() {
	if n.apiLn != nil {
		_ = n.apiLn.Close()
	}
}

// serveAPI serves the API on its own listener until stopAPI.
func (n *Node) serveAPI() {
	if n.apiLn == nil {
		if n.api != nil {
			n.log.Info("HTTP API served on the node's port", "addr", n.Addr(), "paths", "/api/")
		}
		return
	}
	idle := n.cfg.IdleTimeout
	if idle <= 0 { // "never" is for WebSocket sessions, not for idle HTTP connections
		idle = DefaultConfig().IdleTimeout
	}
	n.apiSrv = n.api.NewServer(n.cfg.MaxHeaderSize, n.cfg.HandshakeTimeout, idle)
	n.apiDone = make(chan struct{})
	go func() {
		defer close(n.apiDone)
		if err := n.apiSrv.Serve(n.apiLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("HTTP API listener failed", "addr", n.APIAddr(), "err", err)
		}
	}()
	n.log.Info("HTTP API listening", "addr", n.APIAddr())
}

// stopAPI stops the API's listener and waits, until ctx ends, for the
// requests in flight to be answered (their calls end as their callees'
// sessions close); then the API's sessions leave.
func (n *Node) stopAPI(ctx context.Context) {
	if n.api == nil {
		return
	}
	if n.apiSrv != nil {
		if err := n.apiSrv.Shutdown(ctx); err != nil {
			_ = n.apiSrv.Close()
		}
		<-n.apiDone
	}
	n.api.Close()
}

// startAPI turns the connection over to the API: the request head (and
// whatever followed it) is in c.head.
func (c *conn) startAPI() {
	buffered := c.head
	c.head = nil
	c.api = c.node.api.NewConn((*apiTransport)(c), c.node.cfg.MaxHeaderSize, time.Unix(0, c.acceptedAt))
	c.phase.Store(phaseAPI)
	c.api.Feed(buffered)
}

// apiTransport is a connection as the API's httpapi.Sender.
type apiTransport conn

// Send implements httpapi.Sender; a client that lets its answers pile up
// past the write queue limit is dropped.
func (t *apiTransport) Send(b []byte) {
	if err := t.nc.Send(b); errors.Is(err, netpoll.ErrQueueFull) {
		(*conn)(t).abort(err)
	}
}

// Other implements httpapi.Sender: a request outside the API on a
// connection the API kept alive gets the node's plain HTTP answer.
func (t *apiTransport) Other(method, target string) { (*conn)(t).answerPlain(method, target) }

// SendAndClose implements httpapi.Sender.
func (t *apiTransport) SendAndClose(b []byte) {
	t.phase.Store(phaseClosing)
	t.nc.Close(b)
}
