package authz

import (
	"hash/maphash"
	"strings"
	"sync"

	"github.com/wampgate/wampgate/wamp"
)

// CacheSize bounds the decisions a Roles keeps.
const CacheSize = 10_000

// maxCachedURI is the longest URI whose decisions are cached: longer ones
// are decided each time, so the cache holds at most CacheSize short
// strings (about 3 MB) whatever clients send.
const maxCachedURI = 256

// cacheShards splits the cache so that concurrent sessions rarely take
// the same lock; each shard holds at most CacheSize/cacheShards entries
// and is emptied when full (no bookkeeping per entry: a working set that
// does not fit costs a re-decision now and then, never memory).
const cacheShards = 16

// cacheKey is one decision: (role, action, uri, match).
type cacheKey struct {
	role   *role
	uri    string
	action wamp.Action
	match  wamp.Match
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[cacheKey]bool
}

// cache holds a Roles' decisions; it lives and dies with its Roles, so a
// reload (a new Roles) starts empty.
type cache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

func (c *cache) init() {
	c.seed = maphash.MakeSeed()
	for i := range c.shards {
		c.shards[i].m = make(map[cacheKey]bool)
	}
}

func (c *cache) shard(k cacheKey) *cacheShard {
	return &c.shards[maphash.String(c.seed, k.uri)%cacheShards]
}

// get returns the cached decision of k; ok is false when there is none.
func (c *cache) get(k cacheKey) (allowed, ok bool) {
	if len(k.uri) > maxCachedURI {
		return false, false
	}
	sh := c.shard(k)
	sh.mu.RLock()
	allowed, ok = sh.m[k]
	sh.mu.RUnlock()
	return allowed, ok
}

// put caches the decision of k, emptying its shard first when full. The
// URI is copied: the caller's may share memory with a message.
func (c *cache) put(k cacheKey, allowed bool) {
	if len(k.uri) > maxCachedURI {
		return
	}
	k.uri = strings.Clone(k.uri)
	sh := c.shard(k)
	sh.mu.Lock()
	if len(sh.m) >= CacheSize/cacheShards {
		clear(sh.m)
	}
	sh.m[k] = allowed
	sh.mu.Unlock()
}
