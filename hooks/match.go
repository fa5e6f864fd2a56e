package hooks

import "strings"

// prefixes is one kind's URI prefixes; all is set by "*".
type prefixes struct {
	all  bool
	list []string
}

func newPrefixes(list []string) prefixes {
	var p prefixes
	for _, s := range list {
		if s == "*" {
			return prefixes{all: true}
		}
		p.list = append(p.list, s)
	}
	return p
}

// match reports whether uri starts with one of the prefixes.
func (p *prefixes) match(uri string) bool {
	if p.all {
		return true
	}
	for _, s := range p.list {
		if strings.HasPrefix(uri, s) {
			return true
		}
	}
	return false
}

// any reports whether some URI matches.
func (p *prefixes) any() bool { return p.all || len(p.list) > 0 }
