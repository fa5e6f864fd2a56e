package gateway

import (
	"bytes"
	"io"
	"strconv"

	"github.com/gobwas/ws"
)

var headEnd = []byte("\r\n\r\n")

// handshakeIO is the io.ReadWriter the gobwas Upgrader runs over: it reads
// the request head that has already arrived (so the upgrade never waits on
// the network) and writes the response into a buffer that leaves in one
// write together with the first WAMP message.
type handshakeIO struct {
	r   bytes.Reader
	out []byte
}

func (h *handshakeIO) Read(p []byte) (int, error) { return h.r.Read(p) }

func (h *handshakeIO) Write(p []byte) (int, error) {
	h.out = append(h.out, p...)
	return len(p), nil
}

var _ io.ReadWriter = (*handshakeIO)(nil)

// newUpgrader builds the node's Upgrader: subprotocol negotiation over the
// registered protocols (in the client's order of preference), the origin
// policy, and an X-Powered-By header like Ratchet's.
func newUpgrader(cfg Config, protocols protocolTable) ws.Upgrader {
	u := ws.Upgrader{
		Protocol: func(p []byte) bool { return protocols.lookup(p) != nil },
		Header:   ws.HandshakeHeaderString("X-Powered-By: wampgate/" + Version + "\r\n"),
	}
	if origins := cfg.AllowedOrigins; len(origins) > 0 {
		allowed := make(map[string]bool, len(origins))
		for _, o := range origins {
			allowed[o] = true
		}
		if !allowed["*"] {
			refuse := ws.RejectConnectionError(ws.RejectionStatus(403), ws.RejectionReason("origin not allowed"))
			u.OnHeader = func(key, value []byte) error {
				if string(key) == "Origin" && !allowed[string(value)] {
					return refuse
				}
				return nil
			}
		}
	}
	return u
}

// requestLine is the part of a plain HTTP request the node looks at.
type requestLine struct {
	method, target string
	upgrade        bool // an Upgrade header is present
}

// parseHead reads the request line and whether the head asks for an
// upgrade; gobwas does the full validation for upgrade requests.
func parseHead(head []byte) requestLine {
	var rl requestLine
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	fields := bytes.Fields(line)
	if len(fields) >= 2 {
		rl.method, rl.target = string(fields[0]), string(fields[1])
	}
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if k, _, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(bytes.TrimSpace(k), []byte("Upgrade")) {
			rl.upgrade = true
			break
		}
	}
	return rl
}

// httpResponse renders a complete HTTP/1.1 response that closes the
// connection.
func httpResponse(status int, reason, contentType string, extra string, body []byte) []byte {
	b := make([]byte, 0, 256+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, reason...)
	b = append(b, "\r\nServer: wampgate/"+Version+"\r\nConnection: close\r\n"...)
	b = append(b, extra...)
	if contentType != "" {
		b = append(b, "Content-Type: "...)
		b = append(b, contentType...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// upgradeRequired answers a request that is not a usable WAMP upgrade.
func upgradeRequired(reason, protocols string) []byte {
	return httpResponse(426, reason, "text/plain; charset=utf-8",
		"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: "+protocols+"\r\n",
		[]byte("wampgate: this endpoint speaks WAMP over WebSocket; connect with subprotocol "+protocols+"\n"))
}
