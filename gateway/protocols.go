package gateway

import (
	"strings"

	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
)

// sessionFactory starts a protocol session on a new WebSocket connection.
type sessionFactory func(r *wamp.Router, c wamp.Conn) wamp.ProtocolSession

// protocolTable maps WebSocket subprotocol names to WAMP versions. WAMP v1
// is "wamp"; v2's "wamp.2.json" and "wamp.2.msgpack" plug in here.
type protocolTable []protocolEntry

// protocolEntry is one negotiable subprotocol.
type protocolEntry struct {
	name string
	open sessionFactory
}

func defaultProtocols() protocolTable {
	return protocolTable{
		{"wamp", func(r *wamp.Router, c wamp.Conn) wamp.ProtocolSession { return v1.NewSession(r, c) }},
	}
}

// lookup finds a protocol by its exact (case-sensitive) name.
func (t protocolTable) lookup(name []byte) sessionFactory {
	for _, p := range t {
		if string(name) == p.name {
			return p.open
		}
	}
	return nil
}

// names lists the protocols for Sec-WebSocket-Protocol in refusals.
func (t protocolTable) names() string {
	n := make([]string, len(t))
	for i, p := range t {
		n[i] = p.name
	}
	return strings.Join(n, ", ")
}
