package v1

import (
	"errors"
	"strings"
)

// CURIEs (WAMP v1 "compact URIs") are "prefix:reference" strings that a
// session expands with the prefixes it defined with PREFIX. Resolution
// follows Ratchet's WampConnection::getUri, with one deliberate change:
//
//   - a string containing "http://" or "https://" (Ratchet's regex
//     /http(s*):\/\//, anywhere in the string) is never resolved;
//   - otherwise, when it contains ':', the part before the first ':' is
//     the prefix and the part between the first and the second ':' the
//     reference (PHP's list() over explode() drops the rest);
//   - an unknown or unresolved prefix leaves the string as it is;
//   - a known prefix gives prefixURI + reference when prefixURI ends in
//     '#' or '/' (the v1 spec's rule; Ratchet would add another '#'),
//     and prefixURI + "#" + reference otherwise (Ratchet's rule).

// maxPrefixes caps the prefixes one session may define (Ratchet has no
// limit; each costs memory for the session's lifetime).
const maxPrefixes = 64

// errTooManyPrefixes is returned when a session defines one prefix too many.
var errTooManyPrefixes = errors.New("too many CURIE prefixes")

type prefix struct {
	name, uri string
}

// prefixes is one session's CURIE table: a small slice, not a map, since
// sessions define few prefixes and there are many sessions.
type prefixes []prefix

// set defines or redefines name.
func (p *prefixes) set(name, uri string) error {
	for i := range *p {
		if (*p)[i].name == name {
			(*p)[i].uri = uri
			return nil
		}
	}
	if len(*p) >= maxPrefixes {
		return errTooManyPrefixes
	}
	*p = append(*p, prefix{name: name, uri: uri})
	return nil
}

// unset makes name unresolved (a PREFIX without a usable URI).
func (p *prefixes) unset(name string) {
	for i := range *p {
		if (*p)[i].name == name {
			last := len(*p) - 1
			(*p)[i] = (*p)[last]
			*p = (*p)[:last]
			return
		}
	}
}

// resolve expands uri when it is a CURIE with a known prefix.
func (p prefixes) resolve(uri string) string {
	if len(p) == 0 || hasHTTPScheme(uri) {
		return uri
	}
	name, ref, ok := strings.Cut(uri, ":")
	if !ok {
		return uri
	}
	ref, _, _ = strings.Cut(ref, ":")
	for _, pr := range p {
		if pr.name == name {
			return expand(pr.uri, ref)
		}
	}
	return uri
}

// expand joins a prefix URI and a reference.
func expand(base, ref string) string {
	if strings.HasSuffix(base, "#") || strings.HasSuffix(base, "/") {
		return base + ref
	}
	return base + "#" + ref
}

// hasHTTPScheme reports whether s matches Ratchet's /http(s*):\/\//.
func hasHTTPScheme(s string) bool {
	for {
		i := strings.Index(s, "http")
		if i < 0 {
			return false
		}
		rest := strings.TrimLeft(s[i+4:], "s")
		if strings.HasPrefix(rest, "://") {
			return true
		}
		s = s[i+4:]
	}
}
