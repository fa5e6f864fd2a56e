package gateway

import (
	"strings"

	"github.com/wampgate/wampgate/broadcast"
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
	// maxMessage bounds an incoming message in place of the node's
	// MaxMessageSize, and writeQueueLimit the outbound queue in place of
	// its WriteQueueLimit (the client slow-consumer rule); 0: the node's.
	maxMessage      int
	writeQueueLimit int
}

func defaultProtocols() protocolTable {
	return protocolTable{
		{name: "wamp", open: func(r *wamp.Router, c wamp.Conn) wamp.ProtocolSession { return v1.NewSession(r, c) }},
	}
}

// peerProtocols are the cluster's peer-link subprotocols: the current
// one, whose connections carry batches up to the mesh's link bound and
// are held to the link's own in-flight bound instead of the client
// slow-consumer limit, and the older ones, accepted only to be refused
// with a clear log line.
func peerProtocols(mesh *broadcast.Mesh) protocolTable {
	t := protocolTable{{
		name:            broadcast.Protocol,
		open:            func(_ *wamp.Router, c wamp.Conn) wamp.ProtocolSession { return mesh.Accept(c) },
		maxMessage:      mesh.MaxLinkMessage(),
		writeQueueLimit: mesh.LinkWriteQueueLimit(),
	}}
	for _, old := range broadcast.OldProtocols {
		t = append(t, protocolEntry{name: old,
			open: func(_ *wamp.Router, c wamp.Conn) wamp.ProtocolSession { return mesh.RefuseOld(c, old) }})
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

// names lists the protocols for Sec-WebSocket-Protocol in refusals.
func (t protocolTable) names() string {
	n := make([]string, len(t))
	for i, p := range t {
		n[i] = p.name
	}
	return strings.Join(n, ", ")
}
