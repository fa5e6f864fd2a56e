package authz

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

const (
	sub  = wamp.ActionSubscribe
	pub  = wamp.ActionPublish
	call = wamp.ActionCall
	reg  = wamp.ActionRegister
)

const (
	exact    = wamp.MatchExact
	prefix   = wamp.MatchPrefix
	wildcard = wamp.MatchWildcard
)

func mustNew(t testing.TB, roles map[string][]Rule) *Roles {
	t.Helper()
	p, err := New(roles)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// check is one question to a Roles and the answer it must give.
type check struct {
	role   string
	action wamp.Action
	uri    string
	match  wamp.Match
	want   bool
}

func (c check) String() string {
	return fmt.Sprintf("%s %s %s %q", c.role, c.action, c.match, c.uri)
}

// runChecks asks p each question three times: decided anew (p's roles
// are small), then with every role cached, twice (the second answer
// comes from the cache).
func runChecks(t *testing.T, p *Roles, checks []check) {
	t.Helper()
	for i, pass := range []string{"decided", "cached, first", "cached, second"} {
		if i == 1 {
			p.cacheAbove = -1
		}
		for _, c := range checks {
			if got := p.Authorize(c.role, c.action, c.uri, c.match); got != c.want {
				t.Errorf("%v (%s): %v, want %v", c, pass, got, c.want)
			}
		}
	}
	p.cacheAbove = uncachedRules
}

func TestMostSpecificRuleDecides(t *testing.T) {
	p := mustNew(t, map[string][]Rule{
		"trader": {
			{URI: "price.", Match: prefix, Allow: []wamp.Action{sub, pub}},
			{URI: "price.admin", Match: prefix, Allow: []wamp.Action{sub}},
			{URI: "price.admin.reset", Match: exact, Allow: nil},
			{URI: "price..usd", Match: wildcard, Allow: []wamp.Action{call}},
			{URI: "com.example..get", Match: wildcard, Allow: []wamp.Action{call}},
			{URI: "com.example.add", Match: exact, Allow: []wamp.Action{call, reg}},
			{URI: "http://example.com/calc#add", Match: exact, Allow: []wamp.Action{call}},
		},
		"anonymous": {{URI: "public.", Match: prefix, Allow: []wamp.Action{sub}}},
		"nobody":    {},
	})
	runChecks(t, p, []check{
		{"trader", sub, "price.eur", exact, true},
		{"trader", pub, "price.eur", exact, true},
		{"trader", call, "price.eur", exact, false},
		{"trader", pub, "price.admin.x", exact, false}, // the longer prefix narrows
		{"trader", sub, "price.admin.x", exact, true},
		{"trader", sub, "price.administrator", exact, true}, // a prefix is a string prefix
		{"trader", sub, "price.admin.reset", exact, false},  // the exact rule: nothing
		{"trader", call, "price.x.usd", exact, false},       // a prefix beats a wildcard
		{"trader", call, "com.example.item.get", exact, true},
		{"trader", call, "com.example.item.put", exact, false},
		{"trader", reg, "com.example.add", exact, true},
		{"trader", call, "http://example.com/calc#add", exact, true},
		{"trader", sub, "pricey", exact, false},
		{"anonymous", sub, "public.news", exact, true},
		{"anonymous", pub, "public.news", exact, false},
		{"nobody", sub, "public.news", exact, false},
		{"stranger", sub, "public.news", exact, false}, // not listed: nothing
		{"", sub, "public.news", exact, false},
	})
}

func TestPatternsAreAllowedOnlyWhenEveryURIIs(t *testing.T) {
	p := mustNew(t, map[string][]Rule{
		"r": {
			{URI: "a.", Match: prefix, Allow: []wamp.Action{sub, reg}},
			{URI: "a.secret", Match: prefix, Allow: []wamp.Action{reg}},
			{URI: "a.b.c", Match: exact, Allow: []wamp.Action{reg}},
			{URI: "w..x", Match: wildcard, Allow: []wamp.Action{sub}},
			{URI: "w.y.x", Match: exact, Allow: nil},
			{URI: "", Match: wildcard, Allow: []wamp.Action{sub}},
		},
		"admin": {{URI: "", Match: prefix, Allow: []wamp.Action{sub, pub, call, reg}}},
	})
	runChecks(t, p, []check{
		// Prefix subscriptions.
		{"r", sub, "a.", prefix, false},  // reaches a.secret…, and a.b.c
		{"r", sub, "a.p.", prefix, true}, // under a., nothing narrower inside
		{"r", sub, "a.b.", prefix, false},
		{"r", reg, "a.b.", prefix, true},
		{"r", sub, "a.s", prefix, false}, // a.secret starts with a.s
		{"r", sub, "a.secret.", prefix, false},
		{"r", reg, "a.secret.", prefix, true},
		{"r", sub, "a", prefix, false}, // "a" and "ab" are not under "a."
		{"r", sub, "b.", prefix, false},
		{"r", sub, "w.", prefix, false}, // wildcards never cover a prefix
		{"admin", sub, "", prefix, true},
		// Wildcard subscriptions.
		{"r", sub, "a..z", wildcard, false}, // a.secret.z: only reg
		{"r", sub, "a.p..z", wildcard, true},
		{"r", sub, "a..c", wildcard, false}, // a.b.c: only reg
		{"r", sub, "a.b.", wildcard, false},
		{"r", sub, "a.sec.", wildcard, true},      // a.sec.x does not start with a.secret
		{"r", sub, "a.secretx.", wildcard, false}, // a.secretx.y does
		{"r", sub, ".b", wildcard, false},         // b.b is not under a.
		{"r", sub, "w..x", wildcard, false},       // w.y.x: nothing
		{"r", sub, "w.z.x", wildcard, true},       // a wildcard without wildcards
		{"r", sub, "w.y.x", wildcard, false},
		{"r", sub, "q", wildcard, true}, // the one-component wildcard rule ""
		// Exact topics against the same rules.
		{"r", sub, "w.z.x", exact, true},
		{"r", sub, "w.y.x", exact, false},
		{"r", sub, "zzz", exact, true},
	})
}

func TestGeometry(t *testing.T) {
	for _, tc := range []struct {
		w, head string
	}{{"a.b..d", "a.b."}, {".b", ""}, {"a.b.", "a.b."}, {"a.b", "a.b"}, {"", ""}, {"a..", "a."}} {
		if got := literalHead(tc.w); got != tc.head {
			t.Errorf("literalHead(%q) = %q, want %q", tc.w, got, tc.head)
		}
	}
	for _, tc := range []struct {
		p, w string
		want bool
	}{
		{"a.", "a..c", true}, {"a.x", "a..c", true}, {"a.b.c.d", "a..c", false}, {"a.b.c", "a..c", true},
		{"a.b.cd", "a..c", false}, {"b", "a..c", false}, {"", ".", true}, {"a.b.", "a.b", false},
		{"x.", "..", true}, {"x.y.z.", "..", false},
	} {
		if got := prefixMeetsWildcard(tc.p, tc.w); got != tc.want {
			t.Errorf("prefixMeetsWildcard(%q, %q) = %v", tc.p, tc.w, got)
		}
	}
	for _, tc := range []struct {
		a, b          string
		covers, meets bool
	}{
		{"a..", "a.b.", true, true}, {"a.b.", "a..", false, true}, {"a..c", "a.b.", false, true},
		{"a..c", "a.b.d", false, false}, {"a.", "a..b", false, false}, {"..", "a.b.c", true, true},
	} {
		if got := wildcardCovers(tc.a, tc.b); got != tc.covers {
			t.Errorf("wildcardCovers(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := wildcardsMeet(tc.a, tc.b); got != tc.meets {
			t.Errorf("wildcardsMeet(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestNewRefusesBadRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		roles map[string][]Rule
		want  string
	}{
		{"empty exact uri", map[string][]Rule{"r": {{URI: "", Match: exact}}}, `role "r", rule 1: uri "" is not a valid exact URI`},
		{"empty component", map[string][]Rule{"r": {{URI: "a", Match: exact}, {URI: "a..b", Match: prefix}}}, `role "r", rule 2: uri "a..b" is not a valid prefix URI`},
		{"whitespace", map[string][]Rule{"r": {{URI: "a b", Match: wildcard}}}, `uri "a b" is not a valid wildcard URI`},
		{"unknown match", map[string][]Rule{"r": {{URI: "a", Match: 7}}}, "match 7: want exact, prefix or wildcard"},
		{"unknown action", map[string][]Rule{"r": {{URI: "a", Allow: []wamp.Action{9}}}}, "action 9: want subscribe"},
		{"repeated", map[string][]Rule{"r": {{URI: "a"}, {URI: "a.", Match: prefix}, {URI: "a.", Match: prefix}}}, `role "r", rule 3: prefix uri "a." repeats rule 2`},
		{"no name", map[string][]Rule{"": nil}, "a role without a name"},
	} {
		_, err := New(tc.roles)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		var re *RuleError
		if tc.name != "no name" && !errors.As(err, &re) {
			t.Errorf("%s: %T is not a *RuleError", tc.name, err)
		}
	}
}

// manyRules is a role large enough for the cache: under t. publish only.
func manyRules() []Rule {
	rules := []Rule{{URI: "t.", Match: prefix, Allow: []wamp.Action{pub}}}
	for i := range uncachedRules {
		rules = append(rules, Rule{URI: fmt.Sprintf("other%d", i), Allow: []wamp.Action{sub}})
	}
	return rules
}

func TestSmallRolesAreNotCached(t *testing.T) {
	p := mustNew(t, map[string][]Rule{"small": manyRules()[:uncachedRules], "large": manyRules()})
	for _, role := range []string{"small", "large"} {
		if !p.Authorize(role, pub, "t.x", exact) {
			t.Fatalf("%s: refused", role)
		}
	}
	n := 0
	for i := range p.cache.shards {
		for k := range p.cache.shards[i].m {
			if k.role != p.roles["large"] {
				t.Fatalf("a decision of a role of %d rules is cached", len(k.role.rules))
			}
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d decisions cached, want 1", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	p := mustNew(t, map[string][]Rule{"r": manyRules()})
	for i := range 3 * CacheSize {
		if !p.Authorize("r", pub, fmt.Sprintf("t.%d", i), exact) {
			t.Fatalf("t.%d refused", i)
		}
	}
	long := "t." + strings.Repeat("x", maxCachedURI)
	if !p.Authorize("r", pub, long, exact) || p.Authorize("r", sub, long, exact) {
		t.Fatal("long URI decided wrongly")
	}
	n := 0
	for i := range p.cache.shards {
		n += len(p.cache.shards[i].m)
		if len(p.cache.shards[i].m) > CacheSize/cacheShards {
			t.Fatalf("shard %d holds %d decisions", i, len(p.cache.shards[i].m))
		}
	}
	if n == 0 || n > CacheSize {
		t.Fatalf("%d cached decisions", n)
	}
	for i := range p.cache.shards {
		for k := range p.cache.shards[i].m {
			if len(k.uri) > maxCachedURI {
				t.Fatalf("a %d-byte URI is cached", len(k.uri))
			}
		}
	}
}

func TestConcurrentAuthorize(t *testing.T) {
	p := mustNew(t, map[string][]Rule{"r": manyRules()})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				uri := fmt.Sprintf("t.%d", (i*7+g)%3000)
				if !p.Authorize("r", pub, uri, exact) || p.Authorize("r", sub, uri, exact) {
					t.Errorf("%s decided wrongly", uri)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestRolesAreAnAuthorizer(t *testing.T) {
	p := mustNew(t, map[string][]Rule{"b": nil, "a": nil})
	if got := p.Names(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("Names %v", got)
	}
	if p.Authorize("a", wamp.NumActions, "x", exact) {
		t.Fatal("an unknown action allowed")
	}
}

// TestPatternDecisionsAreSound checks, over random rule sets, that a
// pattern allowed for an action never reaches a URI that is refused it:
// every URI of a small universe that the pattern matches is checked on
// its own.
func TestPatternDecisionsAreSound(t *testing.T) {
	words := []string{"a", "b", "ab", "ba"}
	var universe []string // every URI of 1 to 4 components over words
	var grow func(prefix string, depth int)
	grow = func(prefix string, depth int) {
		for _, w := range words {
			u := prefix + w
			universe = append(universe, u)
			if depth < 4 {
				grow(u+".", depth+1)
			}
		}
	}
	grow("", 1)
	var patterns []string // candidate rule and pattern URIs, with wildcards and partial prefixes
	for _, u := range universe {
		if strings.Count(u, ".") < 3 {
			patterns = append(patterns, u, u+".", strings.Replace(u, "b", "", 1))
		}
	}
	rng := uint64(1)
	next := func(n int) int { // xorshift: reproducible
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(n))
	}
	checked := 0
	for range 150 {
		var rules []Rule
		seen := map[string]bool{}
		for range 1 + next(6) {
			r := Rule{URI: patterns[next(len(patterns))], Match: wamp.Match(next(3))}
			if next(3) > 0 {
				r.Allow = []wamp.Action{sub}
			}
			if r.Validate() != nil || seen[r.Match.String()+r.URI] {
				continue
			}
			seen[r.Match.String()+r.URI] = true
			rules = append(rules, r)
		}
		p := mustNew(t, map[string][]Rule{"r": rules})
		for _, pat := range patterns {
			for _, m := range []wamp.Match{prefix, wildcard} {
				if !wamp.ValidURI(pat, m, false) || !p.Authorize("r", sub, pat, m) {
					continue
				}
				for _, u := range universe {
					if wamp.Matches(u, pat, m) && !p.Authorize("r", sub, u, exact) {
						t.Fatalf("rules %+v allow %s %q, which reaches %q, refused", rules, m, pat, u)
					}
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no pattern was allowed: the test checks nothing")
	}
	t.Logf("%d (pattern, URI) pairs checked", checked)
}
