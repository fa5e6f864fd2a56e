package authz

import (
	"strconv"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

// BenchmarkAuthorize is one decision for roles of 4 to 200 rules, on a
// topic only the least specific rule matches (every rule is looked at):
// through Authorize (the cache, for roles large enough to use it), from
// the cache, and decided anew (what a role too small for the cache, or
// a cache miss, costs).
func BenchmarkAuthorize(b *testing.B) {
	for _, n := range []int{4, 8, 16, 32, 200} {
		rules := []Rule{{URI: "", Match: wamp.MatchPrefix, Allow: []wamp.Action{wamp.ActionPublish}}} // ranked last
		for i := range n - 1 {
			rules = append(rules, Rule{URI: "app" + strconv.Itoa(i) + ".", Match: wamp.MatchPrefix, Allow: []wamp.Action{wamp.ActionPublish}})
		}
		p, err := New(map[string][]Rule{"r": rules})
		if err != nil {
			b.Fatal(err)
		}
		const topic = "zz.prices.eur"
		rl := p.roles["r"]
		b.Run("rules="+strconv.Itoa(n)+"/authorize", func(b *testing.B) {
			for b.Loop() {
				if !p.Authorize("r", wamp.ActionPublish, topic, wamp.MatchExact) {
					b.Fatal("refused")
				}
			}
		})
		b.Run("rules="+strconv.Itoa(n)+"/cached", func(b *testing.B) {
			key := cacheKey{role: rl, uri: topic, action: wamp.ActionPublish}
			p.cache.put(key, true)
			for b.Loop() {
				if allowed, ok := p.cache.get(key); !allowed || !ok {
					b.Fatal("not cached")
				}
			}
		})
		b.Run("rules="+strconv.Itoa(n)+"/decided", func(b *testing.B) {
			for b.Loop() {
				if !rl.allows(wamp.ActionPublish, topic, wamp.MatchExact) {
					b.Fatal("refused")
				}
			}
		})
	}
}
