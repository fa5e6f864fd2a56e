package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wampgate/wampgate/authz"
	"github.com/wampgate/wampgate/wamp"
	"go.yaml.in/yaml/v3"
)

// ruleKeys are the keys of one rule in the --config file's roles.
var ruleKeys = []string{"uri", "match", "allow"}

// parseRoles reads the value of the --config file's roles key:
//
//	roles:
//	  anonymous:
//	    - {uri: "public.", match: prefix, allow: [subscribe]}
//	  trader:
//	    - uri: price.
//	      match: prefix             # exact (the default), prefix or wildcard
//	      allow: [subscribe, publish] # among subscribe, publish, call, register
//
// Every error names the line it is about.
func parseRoles(n *yaml.Node) (*authz.Roles, error) {
	if n.Kind != yaml.MappingNode {
		return nil, lineErrorAt(n, "want a mapping of role names to lists of rules")
	}
	roles := make(map[string][]authz.Rule, len(n.Content)/2)
	lines := make(map[string][]int, len(n.Content)/2) // each rule's line, for authz's errors
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, list := n.Content[i], n.Content[i+1]
		name := key.Value
		if key.Kind != yaml.ScalarNode || name == "" {
			return nil, lineErrorAt(key, "a role name must be a non-empty string")
		}
		if _, dup := roles[name]; dup {
			return nil, lineErrorAt(key, fmt.Sprintf("role %q given twice", name))
		}
		if list.Kind != yaml.SequenceNode {
			return nil, lineErrorAt(list, fmt.Sprintf("role %q: want a list of rules ([] for none)", name))
		}
		rules := make([]authz.Rule, 0, len(list.Content))
		for j, item := range list.Content {
			r, err := parseRule(item)
			if err != nil {
				err.msg = fmt.Sprintf("role %q, rule %d: %s", name, j+1, err.msg)
				return nil, err
			}
			rules = append(rules, r)
			lines[name] = append(lines[name], item.Line)
		}
		roles[name] = rules
	}
	p, err := authz.New(roles)
	if re := (*authz.RuleError)(nil); errors.As(err, &re) {
		return nil, &lineError{line: lines[re.Role][re.Index], msg: err.Error()}
	}
	return p, err
}

// parseRule reads one rule: a mapping with uri, match (optional, exact by
// default) and allow, checked by authz.Rule.Validate.
func parseRule(n *yaml.Node) (authz.Rule, *lineError) {
	var r authz.Rule
	if n.Kind != yaml.MappingNode {
		return r, lineErrorAt(n, "want a mapping with the keys "+strings.Join(ruleKeys, ", "))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if seen[key.Value] {
			return r, lineErrorAt(key, fmt.Sprintf("key %q given twice", key.Value))
		}
		seen[key.Value] = true
		switch key.Value {
		case "uri":
			if val.Kind != yaml.ScalarNode || val.Tag != "!!str" {
				return r, lineErrorAt(val, "uri: want a string")
			}
			r.URI = val.Value
		case "match":
			m, ok := wamp.ParseMatch(val.Value)
			if val.Kind != yaml.ScalarNode || !ok || val.Value == "" {
				return r, lineErrorAt(val, fmt.Sprintf("match: %q is not exact, prefix or wildcard", val.Value))
			}
			r.Match = m
		case "allow":
			if val.Kind != yaml.SequenceNode {
				return r, lineErrorAt(val, "allow: want a list of actions (subscribe, publish, call, register; [] for none)")
			}
			r.Allow = make([]wamp.Action, 0, len(val.Content))
			for _, a := range val.Content {
				action, ok := wamp.ParseAction(a.Value)
				if a.Kind != yaml.ScalarNode || !ok {
					return r, lineErrorAt(a, fmt.Sprintf("allow: unknown action %q (want subscribe, publish, call or register)", a.Value))
				}
				r.Allow = append(r.Allow, action)
			}
		default:
			return r, lineErrorAt(key, fmt.Sprintf("unknown key %q (known keys: %s)", key.Value, strings.Join(ruleKeys, ", ")))
		}
	}
	switch {
	case !seen["uri"]:
		return r, lineErrorAt(n, "no uri")
	case !seen["allow"]:
		return r, lineErrorAt(n, "no allow (allow: [] allows nothing)")
	}
	if err := r.Validate(); err != nil {
		return r, lineErrorAt(n, err.Error())
	}
	return r, nil
}

// lineError is an error about one line of the --config file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// lineErrorAt is msg about node n, at its line.
func lineErrorAt(n *yaml.Node, msg string) *lineError {
	return &lineError{line: n.Line, msg: msg}
}
