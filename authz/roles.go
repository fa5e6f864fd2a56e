package authz

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wampgate/wampgate/wamp"
)

// Rule is one entry of a role's list: the actions the role may perform on
// the URIs that URI matches under Match.
type Rule struct {
	URI   string
	Match wamp.Match
	Allow []wamp.Action
}

// Validate checks the rule on its own: a known match policy, a URI valid
// for it under WAMP's loose rules ('#' allowed, for WAMP v1 topics such
// as http://example.com/calc#add), known actions.
func (r Rule) Validate() error {
	if r.Match > wamp.MatchWildcard {
		return fmt.Errorf("match %d: want exact, prefix or wildcard", r.Match)
	}
	if !wamp.ValidURI(strings.ReplaceAll(r.URI, "#", "_"), r.Match, false) {
		return fmt.Errorf("uri %q is not a valid %s URI (%s)", r.URI, r.Match, uriRules[r.Match])
	}
	for _, a := range r.Allow {
		if a >= wamp.NumActions {
			return fmt.Errorf("action %d: want subscribe, publish, call or register", a)
		}
	}
	return nil
}

// uriRules says what each match policy wants of a rule's URI.
var uriRules = [...]string{
	"components separated by '.', none empty, no whitespace",
	"components separated by '.', none empty but the last, no whitespace",
	"components separated by '.', an empty one a wildcard, no whitespace",
}

// RuleError is a rule New refused: rule Index (from 0) of Role.
type RuleError struct {
	Role  string
	Index int
	Err   error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("role %q, rule %d: %v", e.Role, e.Index+1, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// Roles is a set of roles compiled from their rules: a wamp.Authorizer
// (decisions of roles of more than uncachedRules rules are cached). Its
// methods are safe for concurrent use; it never changes after New (a
// reload makes a new one, with an empty cache).
//
// Semantics: a role that is not in the set may do nothing. For an exact
// URI, the most specific rule of the role that matches it decides (WAMP's
// own precedence: exact, then the longest prefix, then the wildcard with
// the longest runs of concrete components), so a more specific rule can
// narrow a broader one, down to allow: [] (nothing). A pattern (a prefix
// or wildcard subscription or registration) is allowed only when every
// URI it can match would be: the most specific rule covering all of them
// allows the action, and no more specific rule that may match some of
// them refuses it.
type Roles struct {
	roles map[string]*role
	cache cache
	// cacheAbove is the rule count above which a role's decisions are
	// cached: uncachedRules (tests lower it to cache every role).
	cacheAbove int
}

var _ wamp.Authorizer = (*Roles)(nil)

// role is one role's rules, most specific first.
type role struct {
	rules []rule
}

// rule is a compiled Rule.
type rule struct {
	uri   string
	match wamp.Match
	allow uint8 // 1 << Action for each allowed action
	runs  []int // a wildcard's runs of concrete components
}

// New compiles roles (role name → rules). Errors: an empty role name,
// and a *RuleError for a rule that fails Validate or repeats the URI and
// match of an earlier rule of its role.
func New(roles map[string][]Rule) (*Roles, error) {
	p := &Roles{roles: make(map[string]*role, len(roles)), cacheAbove: uncachedRules}
	p.cache.init()
	for name, rules := range roles {
		if name == "" {
			return nil, errors.New("a role without a name")
		}
		rl := &role{rules: make([]rule, 0, len(rules))}
		for i, r := range rules {
			if err := r.Validate(); err != nil {
				return nil, &RuleError{Role: name, Index: i, Err: err}
			}
			if j := slices.IndexFunc(rules[:i], func(o Rule) bool { return o.URI == r.URI && o.Match == r.Match }); j >= 0 {
				return nil, &RuleError{Role: name, Index: i, Err: fmt.Errorf("%s uri %q repeats rule %d", r.Match, r.URI, j+1)}
			}
			c := rule{uri: r.URI, match: r.Match}
			for _, a := range r.Allow {
				c.allow |= 1 << a
			}
			if c.match == wamp.MatchWildcard {
				c.runs = wildcardRuns(c.uri)
			}
			rl.rules = append(rl.rules, c)
		}
		slices.SortFunc(rl.rules, compareSpecificity)
		p.roles[name] = rl
	}
	return p, nil
}

// Names returns the role names, sorted.
func (p *Roles) Names() []string {
	names := make([]string, 0, len(p.roles))
	for name := range p.roles {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// uncachedRules is the most rules a role may have for its decisions to
// be made anew each time rather than cached: deciding over this many
// rules costs about as much as a cache lookup (BenchmarkAuthorize: about
// 6 ns a rule, about 40 ns a lookup), so the cache only serves roles
// where it saves time.
const uncachedRules = 6

// Authorize reports whether role may perform action on uri (a pattern
// when match is not wamp.MatchExact). The decisions of roles of more
// than uncachedRules rules are cached.
func (p *Roles) Authorize(roleName string, action wamp.Action, uri string, match wamp.Match) bool {
	rl := p.roles[roleName]
	if rl == nil || action >= wamp.NumActions {
		return false
	}
	if len(rl.rules) <= p.cacheAbove {
		return rl.allows(action, uri, match)
	}
	key := cacheKey{role: rl, uri: uri, action: action, match: match}
	if allowed, ok := p.cache.get(key); ok {
		return allowed
	}
	allowed := rl.allows(action, uri, match)
	p.cache.put(key, allowed)
	return allowed
}

// allows decides, uncached, whether the role may perform action on uri
// under match.
func (rl *role) allows(action wamp.Action, uri string, match wamp.Match) bool {
	bit := uint8(1) << action
	for i := range rl.rules {
		c := &rl.rules[i]
		if !c.covers(uri, match) {
			continue
		}
		if c.allow&bit == 0 {
			return false
		}
		if match == wamp.MatchExact {
			return true // no rule before c matches uri
		}
		for j := range rl.rules[:i] {
			if o := &rl.rules[j]; o.allow&bit == 0 && o.meets(uri, match) {
				return false
			}
		}
		return true
	}
	return false
}

// covers reports whether every URI that uri matches under m is matched by
// the rule.
func (c *rule) covers(uri string, m wamp.Match) bool {
	switch m {
	case wamp.MatchExact:
		return wamp.Matches(uri, c.uri, c.match)
	case wamp.MatchPrefix:
		return c.match == wamp.MatchPrefix && strings.HasPrefix(uri, c.uri)
	}
	switch c.match { // a wildcard pattern uri
	case wamp.MatchExact:
		return uri == c.uri // a wildcard without wildcards is that URI
	case wamp.MatchPrefix:
		return strings.HasPrefix(literalHead(uri), c.uri)
	}
	return wildcardCovers(c.uri, uri)
}

// meets reports whether some URI that uri matches under m (a pattern) is
// matched by the rule.
func (c *rule) meets(uri string, m wamp.Match) bool {
	if m == wamp.MatchPrefix {
		switch c.match {
		case wamp.MatchExact:
			return strings.HasPrefix(c.uri, uri)
		case wamp.MatchPrefix:
			return strings.HasPrefix(c.uri, uri) || strings.HasPrefix(uri, c.uri)
		}
		return prefixMeetsWildcard(uri, c.uri)
	}
	switch c.match { // a wildcard pattern uri
	case wamp.MatchExact:
		return wamp.Matches(c.uri, uri, wamp.MatchWildcard)
	case wamp.MatchPrefix:
		return prefixMeetsWildcard(c.uri, uri)
	}
	return wildcardsMeet(c.uri, uri)
}

// literalHead is the part of wildcard pattern w before its first wildcard
// (empty component), with the '.' before it: every URI w matches starts
// with it. "a.b..d" gives "a.b.", ".b" gives "", a pattern without
// wildcards itself.
func literalHead(w string) string {
	start := 0
	for i := 0; i <= len(w); i++ {
		if i < len(w) && w[i] != '.' {
			continue
		}
		if i == start {
			return w[:start]
		}
		start = i + 1
	}
	return w
}

// wildcardCovers reports whether wildcard pattern v matches every URI that
// wildcard pattern w matches: as many components, and each of v's is a
// wildcard or equals w's.
func wildcardCovers(v, w string) bool {
	for {
		vc, vrest, vmore := strings.Cut(v, ".")
		wc, wrest, wmore := strings.Cut(w, ".")
		if vc != "" && vc != wc {
			return false
		}
		if !vmore || !wmore {
			return vmore == wmore
		}
		v, w = vrest, wrest
	}
}

// wildcardsMeet reports whether some URI matches both wildcard patterns:
// as many components, and at each place a wildcard or the same component.
func wildcardsMeet(a, b string) bool {
	for {
		ac, arest, amore := strings.Cut(a, ".")
		bc, brest, bmore := strings.Cut(b, ".")
		if ac != "" && bc != "" && ac != bc {
			return false
		}
		if !amore || !bmore {
			return amore == bmore
		}
		a, b = arest, brest
	}
}

// prefixMeetsWildcard reports whether some URI matched by wildcard
// pattern w starts with p: p's complete components agree with w's, and
// its last, partial component starts w's component at that place (or
// that is a wildcard).
func prefixMeetsWildcard(p, w string) bool {
	for {
		pc, prest, pmore := strings.Cut(p, ".")
		wc, wrest, wmore := strings.Cut(w, ".")
		if !pmore {
			return wc == "" || strings.HasPrefix(wc, pc)
		}
		if wc != "" && wc != pc || !wmore {
			return false
		}
		p, w = prest, wrest
	}
}

// compareSpecificity orders rules most specific first, as WAMP routes:
// exact rules, then prefixes longest first, then wildcards by their runs
// of concrete components (greatest first, then fewer wildcards); ties
// (which never match a URI in common) by URI.
func compareSpecificity(a, b rule) int {
	if a.match != b.match {
		return int(a.match) - int(b.match)
	}
	switch a.match {
	case wamp.MatchPrefix:
		if len(a.uri) != len(b.uri) {
			return len(b.uri) - len(a.uri)
		}
	case wamp.MatchWildcard:
		for i := range min(len(a.runs), len(b.runs)) {
			if a.runs[i] != b.runs[i] {
				return b.runs[i] - a.runs[i]
			}
		}
		if len(a.runs) != len(b.runs) {
			return len(a.runs) - len(b.runs)
		}
	}
	return strings.Compare(a.uri, b.uri)
}

// wildcardRuns returns the lengths of the runs of concrete components of
// wildcard pattern uri, split at each wildcard: "a.b..d" gives [2 1],
// "..c" gives [0 0 1] (the dealer ranks wildcard registrations the same
// way).
func wildcardRuns(uri string) []int {
	runs := []int{0}
	start := 0
	for i := 0; i <= len(uri); i++ {
		if i < len(uri) && uri[i] != '.' {
			continue
		}
		if i == start {
			runs = append(runs, 0)
		} else {
			runs[len(runs)-1]++
		}
		start = i + 1
	}
	return runs
}
