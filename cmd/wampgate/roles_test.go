package main

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

const rolesYAML = `realms: [realm1]
roles:
  anonymous:
    - {uri: "public.", match: prefix, allow: [subscribe]}
  trader:
    - uri: price.
      match: prefix
      allow: [subscribe, publish]
    - uri: price.admin
      match: prefix
      allow: []
    - {uri: "http://example.com/calc#add", allow: [call]}
    - {uri: "com..get", match: wildcard, allow: [call, register]}
  nobody: []
`

func TestRolesFromConfigFile(t *testing.T) {
	file, err := loadConfigFile(writeFile(t, "roles.yaml", rolesYAML, 0o600), discard)
	if err != nil {
		t.Fatal(err)
	}
	p := file.Roles
	if p == nil || strings.Join(p.Names(), ",") != "anonymous,nobody,trader" {
		t.Fatalf("roles %v", p)
	}
	for _, c := range []struct {
		role   string
		action wamp.Action
		uri    string
		match  wamp.Match
		want   bool
	}{
		{"anonymous", wamp.ActionSubscribe, "public.news", wamp.MatchExact, true},
		{"anonymous", wamp.ActionPublish, "public.news", wamp.MatchExact, false},
		{"trader", wamp.ActionPublish, "price.eur", wamp.MatchExact, true},
		{"trader", wamp.ActionPublish, "price.admin.reset", wamp.MatchExact, false},
		{"trader", wamp.ActionSubscribe, "price.", wamp.MatchPrefix, false},
		{"trader", wamp.ActionCall, "http://example.com/calc#add", wamp.MatchExact, true},
		{"trader", wamp.ActionRegister, "com.x.get", wamp.MatchExact, true},
		{"nobody", wamp.ActionSubscribe, "public.news", wamp.MatchExact, false},
		{"api", wamp.ActionPublish, "public.news", wamp.MatchExact, false},
	} {
		if got := p.Authorize(c.role, c.action, c.uri, c.match); got != c.want {
			t.Errorf("%s %s %s %q: %v, want %v", c.role, c.action, c.match, c.uri, got, c.want)
		}
	}
	// No roles key: no roles, everything allowed.
	file, err = loadConfigFile(writeFile(t, "none.yaml", "realms: [realm1]\n", 0o600), discard)
	if err != nil || file.Roles != nil {
		t.Fatalf("without roles: %v, %v", file.Roles, err)
	}
}

func TestRolesConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"roles:\n", "line 1: roles: want a mapping of role names to lists of rules"},
		{"roles: [a]\n", "line 1: roles: want a mapping"},
		{"roles:\n  r: {uri: a}\n", "line 2: roles: role \"r\": want a list of rules ([] for none)"},
		{"roles:\n  r: []\n  r: []\n", "line 3: roles: role \"r\" given twice"},
		{"roles:\n  r:\n    - uri: a\n", "line 3: roles: role \"r\", rule 1: no allow (allow: [] allows nothing)"},
		{"roles:\n  r:\n    - allow: []\n", "line 3: roles: role \"r\", rule 1: no uri"},
		{"roles:\n  r:\n    - {uri: a, allow: [publish]}\n    - {uri: a, allow: [publsh]}\n",
			`line 4: roles: role "r", rule 2: allow: unknown action "publsh" (want subscribe, publish, call or register)`},
		{"roles:\n  r:\n    - {uri: a, allow: publish}\n", "line 3: roles: role \"r\", rule 1: allow: want a list of actions"},
		{"roles:\n  r:\n    - {uri: a, match: glob, allow: []}\n", `line 3: roles: role "r", rule 1: match: "glob" is not exact, prefix or wildcard`},
		{"roles:\n  r:\n    - {uri: a, match: \"\", allow: []}\n", `match: "" is not exact, prefix or wildcard`},
		{"roles:\n  r:\n    - {uri: 12, allow: []}\n", "line 3: roles: role \"r\", rule 1: uri: want a string"},
		{"roles:\n  r:\n    - {uri: \"a..b\", allow: []}\n", `line 3: roles: role "r", rule 1: uri "a..b" is not a valid exact URI (components separated by '.', none empty, no whitespace)`},
		{"roles:\n  r:\n    - {uri: \"a b.\", match: prefix, allow: []}\n", `uri "a b." is not a valid prefix URI`},
		{"roles:\n  r:\n    - {uri: a, allow: [], deny: [call]}\n", `line 3: roles: role "r", rule 1: unknown key "deny" (known keys: uri, match, allow)`},
		{"roles:\n  r:\n    - {uri: a, uri: b, allow: []}\n", `key "uri" given twice`},
		{"roles:\n  r:\n    - a\n", `line 3: roles: role "r", rule 1: want a mapping with the keys uri, match, allow`},
		{"roles:\n  r:\n    - {uri: a., match: prefix, allow: []}\n    - {uri: b, allow: []}\n    - {uri: a., match: prefix, allow: [call]}\n",
			`line 5: roles: role "r", rule 3: prefix uri "a." repeats rule 1`},
		{"roles:\n  \"\": []\n", "line 2: roles: a role name must be a non-empty string"},
	} {
		_, err := parseConfig("c.yaml", []byte(tc.yaml), discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--config c.yaml line ") {
			t.Errorf("%q: %v\nwant %q", tc.yaml, err, tc.want)
		}
	}
}

// FuzzConfig feeds any text to the --config reader: it must answer with
// roles or an error, never panic, and the roles it accepts must answer.
func FuzzConfig(f *testing.F) {
	f.Add([]byte(rolesYAML))
	f.Add([]byte("roles:\n  r:\n    - {uri: \"a..b\", match: wildcard, allow: [call]}\n"))
	f.Add([]byte("pool: [a:1]\nroles: {r: [{uri: '', match: prefix, allow: [subscribe, publish, call, register]}]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := parseConfig("fuzz.yaml", b, discard)
		if err != nil || file.Roles == nil {
			return
		}
		for _, name := range append(file.Roles.Names(), "x") {
			for m := range 3 {
				file.Roles.Authorize(name, wamp.ActionSubscribe, "a.b", wamp.Match(m))
			}
		}
	})
}

// TestReadmeRoles checks what the README's Authorization section says of
// its example roles.
func TestReadmeRoles(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Authorization\n")
	_, block, _ := strings.Cut(section, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	file, err := parseConfig("README.md", []byte(block), discard)
	if err != nil {
		t.Fatal(err)
	}
	p := file.Roles
	for _, c := range []struct {
		role   string
		action wamp.Action
		uri    string
		match  wamp.Match
		want   bool
	}{
		{"trader", wamp.ActionSubscribe, "price.eur.", wamp.MatchPrefix, true},
		{"trader", wamp.ActionSubscribe, "price.fx.", wamp.MatchWildcard, true},
		{"trader", wamp.ActionSubscribe, "price.", wamp.MatchPrefix, false},
		{"trader", wamp.ActionSubscribe, "price..", wamp.MatchWildcard, false},
		{"trader", wamp.ActionSubscribe, "pri", wamp.MatchPrefix, false},
		{"trader", wamp.ActionPublish, "price.admin.x", wamp.MatchExact, false},
		{"trader", wamp.ActionCall, "com.example.item.get", wamp.MatchExact, true},
		{"trader", wamp.ActionCall, "http://example.com/calc#add", wamp.MatchExact, true},
		{"anonymous", wamp.ActionSubscribe, "public.news", wamp.MatchExact, true},
		{"anonymous", wamp.ActionCall, "wamp.session.count", wamp.MatchExact, true},
		{"anonymous", wamp.ActionCall, "wamp.session.list", wamp.MatchExact, false},
		{"backend", wamp.ActionRegister, "", wamp.MatchPrefix, true},
		{"api", wamp.ActionPublish, "notify.user.1", wamp.MatchExact, true},
		{"stranger", wamp.ActionSubscribe, "public.news", wamp.MatchExact, false},
	} {
		if got := p.Authorize(c.role, c.action, c.uri, c.match); got != c.want {
			t.Errorf("%s %s %s %q: %v, want %v", c.role, c.action, c.match, c.uri, got, c.want)
		}
	}
}
