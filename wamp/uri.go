package wamp

import "strings"

// Match is how a subscription (or, later, a registration) matches URIs.
type Match uint8

// The match policies of the WAMP spec. A prefix pattern matches every URI
// that starts with it (plain string prefix: "com.app" matches "com.app",
// "com.app.x" and "com.apple"); a wildcard pattern matches URIs with the
// same number of '.'-separated components whose components equal the
// pattern's non-empty ones ("com..update" matches "com.a.update").
const (
	MatchExact Match = iota
	MatchPrefix
	MatchWildcard
)

var matchNames = [...]string{"exact", "prefix", "wildcard"}

// String is the match policy's name in the WAMP spec.
func (m Match) String() string {
	if int(m) < len(matchNames) {
		return matchNames[m]
	}
	return "invalid"
}

// ParseMatch reads the `match` option of SUBSCRIBE or REGISTER: "" (the
// option absent) and "exact" are MatchExact.
func ParseMatch(s string) (Match, bool) {
	switch s {
	case "", "exact":
		return MatchExact, true
	case "prefix":
		return MatchPrefix, true
	case "wildcard":
		return MatchWildcard, true
	}
	return 0, false
}

// ValidURI reports whether uri is a WAMP URI (or a pattern, for prefix and
// wildcard) under the spec's rules:
//
//   - loose (strict false): components are separated by '.' and contain
//     no whitespace, '.' or '#';
//   - strict: components contain only [0-9a-z_].
//
// An exact URI has no empty component; a prefix may end with an empty
// component ("com.app." or ""); a wildcard may have empty components
// anywhere ("com..update"). v1 topics (full URLs such as
// "http://example.com/event#a") are not WAMP v2 URIs; the v1 session does
// not check them.
func ValidURI(uri string, match Match, strict bool) bool {
	start := 0
	for i := 0; i <= len(uri); i++ {
		if i < len(uri) && uri[i] != '.' {
			if !uriByte(uri[i], strict) {
				return false
			}
			continue
		}
		if i == start { // empty component
			last := i == len(uri)
			switch {
			case match == MatchWildcard:
			case match == MatchPrefix && last:
			default:
				return false
			}
		}
		start = i + 1
	}
	return true
}

// uriByte reports whether c may appear in a URI component.
func uriByte(c byte, strict bool) bool {
	if strict {
		return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	switch c {
	case ' ', '\t', '\n', '\f', '\r', '#':
		return false
	}
	return true
}

// Matches reports whether uri is matched by pattern under policy m.
func Matches(uri, pattern string, m Match) bool {
	switch m {
	case MatchExact:
		return uri == pattern
	case MatchPrefix:
		return strings.HasPrefix(uri, pattern)
	case MatchWildcard:
		return wildcardMatches(uri, pattern)
	}
	return false
}

// wildcardMatches compares uri with a wildcard pattern component by
// component, without allocating.
func wildcardMatches(uri, pattern string) bool {
	for {
		p, prest, pmore := strings.Cut(pattern, ".")
		u, urest, umore := strings.Cut(uri, ".")
		if p != "" && p != u {
			return false
		}
		if !pmore || !umore {
			return pmore == umore
		}
		pattern, uri = prest, urest
	}
}

// components counts the '.'-separated components of s.
func components(s string) int { return strings.Count(s, ".") + 1 }
