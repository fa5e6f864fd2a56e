package gateway

import (
	"log/slog"
	"strings"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/broadcast"
	"github.com/wampgate/wampgate/wamp"
	v1 "github.com/wampgate/wampgate/wamp/v1"
	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// sessionFactory starts a protocol session on a new WebSocket connection
// whose handshake carried token (nil: none).
type sessionFactory func(r *wamp.Router, c wamp.Conn, token *auth.Token) wamp.ProtocolSession

// protocolTable maps WebSocket subprotocol names to WAMP versions: WAMP v1
// is "wamp", v2 is "wamp.2.json", "wamp.2.msgpack" and "wamp.2.cbor". The
// client's order of preference decides among those it offers.
type protocolTable []protocolEntry

// protocolEntry is one negotiable subprotocol.
type protocolEntry struct {
	name string
	open sessionFactory
	// maxMessage bounds an incoming message in place of the node's
	// MaxMessageSize, and writeQueueLimit the outbound queue in place of
	// its WriteQueueLimit (the client slow-consumer rule); 0: the node's.
	maxMessage      int
	writeQueueLimit int
	// v2 is the WAMP v2 protocol of a v2 entry, nil for the others.
	v2 *v2.Protocol
	// version is the WAMP version of a client protocol (1 or 2), 0 for
	// the peer links: client handshakes are authenticated.
	version int
}

// defaultProtocols are the WAMP subprotocols a node speaks, all at once:
// v1 and v2 over each serializer. The v2 protocols are the node's own
// (they count the events a serializer could not express); log receives
// their reports. A v1 session is who its handshake's token says, else
// anonymous; a v2 session asks gate at each HELLO.
func defaultProtocols(log *slog.Logger, gate *auth.Gate) protocolTable {
	t := protocolTable{{name: v1.Subprotocol, version: 1,
		open: func(r *wamp.Router, c wamp.Conn, token *auth.Token) wamp.ProtocolSession {
			if token == nil {
				return v1.NewSession(r, c)
			}
			return v1.NewAuthSession(r, c, token.Auth(auth.MethodJWT))
		}}}
	for _, f := range []value.Format{value.JSON, value.MsgPack, value.CBOR} {
		p := v2.NewProtocol(f, log)
		t = append(t, protocolEntry{name: p.Name, v2: p, version: 2,
			open: func(r *wamp.Router, c wamp.Conn, token *auth.Token) wamp.ProtocolSession {
				return v2.NewAuthSession(r, c, p, gate.Conn(token))
			}})
	}
	return t
}

// peerProtocols are the cluster's peer-link subprotocols: the current
// one, whose connections carry batches up to the mesh's link bound and
// are held to the link's own in-flight bound instead of the client
// slow-consumer limit, and the older ones, accepted only to be refused
// with a clear log line.
func peerProtocols(mesh *broadcast.Mesh) protocolTable {
	t := protocolTable{{
		name:            broadcast.Protocol,
		open:            func(_ *wamp.Router, c wamp.Conn, _ *auth.Token) wamp.ProtocolSession { return mesh.Accept(c) },
		maxMessage:      mesh.MaxLinkMessage(),
		writeQueueLimit: mesh.LinkWriteQueueLimit(),
	}}
	for _, old := range broadcast.OldProtocols {
		t = append(t, protocolEntry{name: old,
			open: func(_ *wamp.Router, c wamp.Conn, _ *auth.Token) wamp.ProtocolSession { return mesh.RefuseOld(c, old) }})
	}
	return t
}

// lookup finds a protocol by its exact (case-sensitive) name.
func (t protocolTable) lookup(name []byte) *protocolEntry {
	for i := range t {
		if string(name) == t[i].name {
			return &t[i]
		}
	}
	return nil
}

// v2Protocols returns the table's WAMP v2 protocols.
func (t protocolTable) v2Protocols() []*v2.Protocol {
	var ps []*v2.Protocol
	for _, p := range t {
		if p.v2 != nil {
			ps = append(ps, p.v2)
		}
	}
	return ps
}

// names lists the protocols for Sec-WebSocket-Protocol in refusals.
func (t protocolTable) names() string {
	n := make([]string, len(t))
	for i, p := range t {
		n[i] = p.name
	}
	return strings.Join(n, ", ")
}
