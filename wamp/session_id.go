package wamp

import "math/rand/v2"

// Session ids are random and unique across a cluster by construction:
//
//	id = r<<10 | slot
//
// r is 43 bits drawn at random for every session, slot is
// RouterConfig.NodeSlot in [0, MaxNodeSlot] (the gateway gives each node
// of a pool its index in the sorted pool). Two nodes never share a slot,
// so they never issue the same id; on one node the registry refuses an id
// that is still live, and the id is drawn again (also when it would be 0).
// Every id is in [1, 2^53 - 1]. The WAMP spec asks for random session
// ids: 43 random bits per node keep them unguessable enough that a client
// cannot name another session in an exclude or eligible list by chance.

// slotBits is how many low bits of a session id hold the node slot.
const slotBits = 10

// MaxNodeSlot is the largest RouterConfig.NodeSlot: a cluster has at most
// 1024 nodes.
const MaxNodeSlot = 1<<slotBits - 1

// drawSessionID draws a candidate session id for the node in slot.
func drawSessionID(slot uint64) ID {
	for {
		if id := ID(rand.Uint64()>>(64-53+slotBits)<<slotBits | slot); id != 0 {
			return id
		}
	}
}
