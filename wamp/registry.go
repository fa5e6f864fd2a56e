package wamp

import (
	"hash/maphash"
	"sync"
)

// shardCount is the number of independently locked shards of the session
// registry and of the topic table. A power of two.
const shardCount = 64

// registry maps session ids to the live sessions of this node. It is
// sharded so that registration, removal and the eligible-list lookups of
// concurrent publications rarely contend.
type registry struct {
	seed   maphash.Seed
	shards [shardCount]registryShard
}

type registryShard struct {
	mu sync.RWMutex
	m  map[string]*Session
	_  [32]byte // pad to 64 bytes: shards on separate cache lines
}

func newRegistry() *registry {
	g := &registry{seed: maphash.MakeSeed()}
	for i := range g.shards {
		g.shards[i].m = make(map[string]*Session)
	}
	return g
}

func (g *registry) shard(id string) *registryShard {
	return &g.shards[maphash.String(g.seed, id)&(shardCount-1)]
}

func (g *registry) add(s *Session) {
	sh := g.shard(s.id)
	sh.mu.Lock()
	sh.m[s.id] = s
	sh.mu.Unlock()
}

func (g *registry) remove(s *Session) {
	sh := g.shard(s.id)
	sh.mu.Lock()
	if sh.m[s.id] == s {
		delete(sh.m, s.id)
	}
	sh.mu.Unlock()
}

func (g *registry) get(id string) *Session {
	sh := g.shard(id)
	sh.mu.RLock()
	s := sh.m[id]
	sh.mu.RUnlock()
	return s
}
