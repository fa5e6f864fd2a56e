package broadcast

import (
	"context"

	"github.com/wampgate/wampgate/wamp"
)

// Bus carries publications between the nodes of a cluster. The router
// hands it every publication that originated on this node; the bus
// delivers the other nodes' publications through the function given to
// Start, with Relayed set so they are never relayed again. Mesh (peer
// links, a full mesh) is the built-in implementation; an existing message
// broker (NATS, Redis) can implement it too.
type Bus interface {
	// Start begins relaying; deliver receives publications from other
	// nodes, in order per publishing node, from the bus's goroutines.
	Start(deliver func(*wamp.Publication)) error
	// Relay sends a local publication to every other node once. It must
	// not block, and must treat pub as read-only.
	Relay(pub *wamp.Publication)
	// Status reports the bus's state for /healthz.
	Status() Status
	// Close stops relaying and releases the bus's connections, gracefully
	// while ctx allows and at once when it ends; it returns by then.
	Close(ctx context.Context) error
}
