package wamp

import (
	"crypto/rand"
	"strconv"
	"sync/atomic"
)

// Session ids are short ASCII strings, unique across a cluster:
//
//	<node>.<boot>.<seq>   with RouterConfig.NodeID set, e.g. "node1.x7k2p.2s"
//	<random>.<seq>        without it,                  e.g. "k3x9q2ab.2s"
//
// <node> is the configured node id (letters, digits, '_' and '-' only),
// <boot> five random base-36 characters drawn at start so that a restarted
// node never reissues the ids of its previous run, <random> eight random
// base-36 characters, and <seq> a per-process counter in base 36. Ids
// never contain ']' (the Gos PHP client cuts the WELCOME at the first ']')
// or anything JSON escapes, so they are written into frames as they are.

// maxNodeIDLen bounds the node id, which is part of every session id.
const maxNodeIDLen = 32

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

// idGenerator issues session ids; next is safe for concurrent use.
type idGenerator struct {
	prefix string // ends with '.'
	seq    atomic.Uint64
}

// newIDGenerator builds the generator for nodeID. It returns the node id
// as actually used, which differs from nodeID when characters had to be
// replaced or the id was cut.
func newIDGenerator(nodeID string) (*idGenerator, string) {
	if nodeID == "" {
		return &idGenerator{prefix: randomBase36(8) + "."}, ""
	}
	clean := sanitizeNodeID(nodeID)
	return &idGenerator{prefix: clean + "." + randomBase36(5) + "."}, clean
}

func (g *idGenerator) next() string {
	var buf [64]byte
	b := append(buf[:0], g.prefix...)
	b = strconv.AppendUint(b, g.seq.Add(1), 36)
	return string(b)
}

// sanitizeNodeID keeps letters, digits, '_' and '-', replaces anything
// else with '_', and cuts the result to maxNodeIDLen bytes.
func sanitizeNodeID(id string) string {
	if len(id) > maxNodeIDLen {
		id = id[:maxNodeIDLen]
	}
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// randomBase36 returns n random characters from [0-9a-z].
func randomBase36(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics on an unusable source)
	for i, c := range b {
		b[i] = base36[int(c)%len(base36)]
	}
	return string(b)
}
