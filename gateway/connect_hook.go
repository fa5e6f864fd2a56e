package gateway

import (
	"bytes"
	"errors"
	"net/url"
	"sync"

	"github.com/wampgate/wampgate/hooks"
	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
	v2 "github.com/wampgate/wampgate/wamp/v2"
)

// This file is the connect hook (hooks.Config.Connect). A WAMP v1
// handshake is parked before its 101: the connection stays registered
// with no worker waiting, the session id its WELCOME will carry is drawn,
// and the hook's answer writes the 101 and the WELCOME (or a 403); the
// handshake timeout still runs meanwhile. A WAMP v2 session is decided at
// HELLO, after authentication (wamp/v2's ConnectHook), its later messages
// waiting in the connection's OpQueue.

// connectInfo is what a connect hook learns of the upgrade request.
type connectInfo struct {
	headers map[string]string // hooks.ConnectHeaders present, by those names
	query   map[string]string // the request target's query, first value of each key
}

// readConnectInfo reads a request head's connect-hook fields: the first
// of each of hooks.ConnectHeaders (names matched without regard to case)
// and the query.
func readConnectInfo(head []byte) *connectInfo {
	info := &connectInfo{headers: map[string]string{}, query: map[string]string{}}
	line, rest, _ := bytes.Cut(head, crlf)
	if fields := bytes.Fields(line); len(fields) >= 2 {
		if _, q, ok := bytes.Cut(fields[1], []byte("?")); ok {
			values, _ := url.ParseQuery(string(q)) // what decodes; the rest is dropped
			for k, v := range values {
				info.query[k] = v[0]
			}
		}
	}
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, crlf)
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		name = bytes.TrimSpace(name)
		for _, want := range hooks.ConnectHeaders {
			if _, seen := info.headers[want]; !seen && bytes.EqualFold(name, []byte(want)) {
				info.headers[want] = string(bytes.TrimSpace(value))
			}
		}
	}
	return info
}

// connectRequest is the connect hook's request about core, whose id it
// reserves.
func (c *conn) connectRequest(core *wamp.Session, info *connectInfo) *hooks.ConnectRequest {
	return &hooks.ConnectRequest{Session: core.Reserve(), Protocol: core.Protocol(), Realm: core.Realm(),
		AuthID: core.GivenAuthID(), AuthRole: core.AuthRole(), Remote: c.RemoteAddr(),
		Headers: info.headers, Query: info.query}
}

// parking is a WAMP v1 handshake waiting for the connect hook. mu orders
// the hook's answer with the connection's input and its end.
type parking struct {
	mu      sync.Mutex
	session *v1.Session // opened (joined) when the hook allows it
	out     []byte      // the 101 response
	pending []byte      // bytes the client sent meanwhile
	gone    bool        // OnClose ran
}

// errParkedInput closes a parked connection whose client sends more than
// MaxHeaderSize bytes before its 101.
var errParkedInput = errors.New("too much data before the handshake's answer")

// parkV1 parks the v1 handshake of s (101 response out, bytes after the
// head rest) and asks the connect hook.
func (c *conn) parkV1(s *v1.Session, out, rest []byte, info *connectInfo) {
	p := &parking{session: s, out: out, pending: bytes.Clone(rest)}
	c.park = p
	c.phase.Store(phaseParked)
	c.node.hooks.Connect(c.connectRequest(s.Core(), info), c.unpark)
}

// unpark answers a parked handshake as the connect hook decided: 101 and
// WELCOME, then the bytes that arrived meanwhile; or 403 with the
// application's message. A connection gone meanwhile is left alone
// (OnClose freed its session).
func (c *conn) unpark(a *hooks.ConnectAnswer) {
	p := c.park
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone || c.phase.Load() != phaseParked {
		return
	}
	n := c.node
	if e := a.Error; e != nil {
		n.stats.handshakesFailed.Add(1)
		n.log.Debug("handshake refused by the connect hook", "remote", c.RemoteAddr(), "error", e.URI, "message", e.Message)
		msg := e.Message
		if msg == "" {
			msg = e.URI
		}
		c.refuse(httpResponse(403, "Forbidden", "text/plain; charset=utf-8", "", []byte(msg)))
		return
	}
	p.session.Core().Admit(a.AuthID, a.AuthRole)
	c.session = p.session
	c.phase.Store(phaseOpen)
	n.stats.handshakes.Add(1)
	c.send(wsframe.AppendText(p.out, c.session.Open()))
	pending := p.pending
	p.out, p.pending = nil, nil
	if len(pending) > 0 {
		if err := c.parser.Feed(pending, c); err != nil {
			c.fail(err)
		}
	}
}

// parkedData keeps data that arrives while the handshake is parked and
// reports whether it did; false once the connection is no longer parked.
func (p *parking) parkedData(c *conn, data []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.phase.Load() != phaseParked {
		return false
	}
	if len(p.pending)+len(data) > c.node.cfg.MaxHeaderSize {
		c.node.stats.handshakesFailed.Add(1)
		c.abort(errParkedInput)
		return true
	}
	p.pending = append(p.pending, data...)
	return true
}

// closed notes that the connection is gone and frees the session of a
// handshake that never opened (its reserved id).
func (p *parking) closed(c *conn) {
	p.mu.Lock()
	p.gone = true
	unopened := c.session == nil
	p.mu.Unlock()
	if unopened {
		p.session.Closed()
	}
}

// connectHookV2 is the connect hook of a WAMP v2 session on c whose
// upgrade request said info: the hook's answer comes back through c's
// OpQueue, which holds the session's later messages meanwhile.
func (c *conn) connectHookV2(info *connectInfo) v2.ConnectHook {
	return func(a *v2.Admission, done func(*v2.Verdict)) {
		req := c.connectRequest(a.Session, info)
		req.AuthMethods, req.Ticket, req.HasTicket = a.AuthMethods, a.Ticket, a.HasTicket
		q := c.ops
		q.Hold()
		c.node.hooks.Connect(req, func(ans *hooks.ConnectAnswer) {
			q.Resume(func() {
				done(&v2.Verdict{Error: ans.Error, AuthID: ans.AuthID, AuthRole: ans.AuthRole, Extra: ans.Extra})
			})
		})
	}
}
