package wamp

import "sync"

// shardCount is the number of independently locked shards of the session
// registry and of the topic table. A power of two.
const shardCount = 64

// registry maps session ids to the live sessions of this node, in every
// realm: one id space, so an id is unique on the node whatever the realm,
// and a realm finds its own sessions by checking Session.realm. It is
// sharded so that joins, leaves and the eligible-list lookups of
// concurrent publications rarely contend.
type registry struct {
	shards [shardCount]registryShard
}

type registryShard struct {
	mu sync.RWMutex
	m  map[ID]*Session
	_  [32]byte // pad to 64 bytes: shards on separate cache lines
}

func newRegistry() *registry {
	g := &registry{}
	for i := range g.shards {
		g.shards[i].m = make(map[ID]*Session)
	}
	return g
}

// shard picks by the random bits of id: its low bits are the node slot,
// the same for every session of this node.
func (g *registry) shard(id ID) *registryShard {
	return &g.shards[(id>>slotBits)&(shardCount-1)]
}

// insert registers s under s.id unless that id is live already.
func (g *registry) insert(s *Session) bool {
	sh := g.shard(s.id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, taken := sh.m[s.id]; taken {
		return false
	}
	sh.m[s.id] = s
	return true
}

func (g *registry) remove(s *Session) {
	sh := g.shard(s.id)
	sh.mu.Lock()
	if sh.m[s.id] == s {
		delete(sh.m, s.id)
	}
	sh.mu.Unlock()
}

func (g *registry) get(id ID) *Session {
	sh := g.shard(id)
	sh.mu.RLock()
	s := sh.m[id]
	sh.mu.RUnlock()
	return s
}

// appendRealm appends the live sessions of realm r to dst.
func (g *registry) appendRealm(dst []*Session, r *Realm) []*Session {
	for i := range g.shards {
		sh := &g.shards[i]
		sh.mu.RLock()
		for _, s := range sh.m {
			if s.realm == r && s.Live() {
				dst = append(dst, s)
			}
		}
		sh.mu.RUnlock()
	}
	return dst
}
