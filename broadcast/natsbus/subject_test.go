package natsbus

import (
	"strings"
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

// subjectMatches reports whether a NATS subject matches a subscription
// subject with wildcards, as the server matches them.
func subjectMatches(subject, sub string) bool {
	st, pt := strings.Split(subject, "."), strings.Split(sub, ".")
	for i, p := range pt {
		if p == ">" {
			return len(st) > i
		}
		if i >= len(st) || (p != "*" && p != st[i]) {
			return false
		}
	}
	return len(st) == len(pt)
}

// validSubject reports whether s is a valid NATS publish subject.
func validSubject(s string) bool {
	for _, t := range strings.Split(s, ".") {
		if t == "" || t == "*" || t == ">" || strings.ContainsAny(t, " \t\r\n") {
			return false
		}
	}
	return true
}

// TestPatternSubjectsCoverMatches: for every topic a WAMP subscription
// matches (exact, prefix, wildcard), one of the subjects the node
// subscribes to matches the topic's subject — so the NATS server sends
// the node every publication its subscribers want; v1 topics with
// characters subjects forbid are valid subjects.
func TestPatternSubjectsCoverMatches(t *testing.T) {
	s := subjects{prefix: "wampgate"}
	topics := []string{
		"com.example.a", "com.example.ab", "com.example.a.b", "com.example", "com.example.", "com..x",
		"http://example.com/chat", "broadcast/channel", "a b.c*d.>", "ünïcode.tøpic", "~7E.x", "",
		strings.Repeat("long.", 300) + "end",
	}
	patterns := []struct {
		uri string
		m   wamp.Match
	}{
		{"com.example.a", wamp.MatchExact}, {"com.example.a", wamp.MatchPrefix}, {"com.example.", wamp.MatchPrefix},
		{"com", wamp.MatchPrefix}, {"", wamp.MatchPrefix}, {"com..a", wamp.MatchWildcard}, {"com.example.", wamp.MatchWildcard},
		{"http://example.com/chat", wamp.MatchExact}, {"http://example", wamp.MatchPrefix}, {"a b.c*d.>", wamp.MatchExact},
		{"long.long", wamp.MatchPrefix}, {strings.Repeat("long.", 300) + "end", wamp.MatchExact},
	}
	for _, topic := range topics {
		subject := s.publication("realm1", topic)
		if !validSubject(subject) || len(subject) > maxTopicSubject {
			t.Errorf("topic %q: subject %q invalid", topic, subject)
		}
		for _, p := range patterns {
			if !wamp.Matches(topic, p.uri, p.m) {
				continue
			}
			covered := false
			for _, sub := range s.patternSubjects("realm1", p.uri, p.m) {
				covered = covered || subjectMatches(subject, sub)
			}
			if !covered {
				t.Errorf("topic %q matches %q (%v) but its subject %q is not in %v", topic, p.uri, p.m, subject, s.patternSubjects("realm1", p.uri, p.m))
			}
		}
	}
	// Distinct topics, distinct subjects; other realms apart.
	if s.publication("realm1", "a.b") == s.publication("realm1", "a~2Eb") || s.publication("realm1", "a.b") == s.publication("realm2", "a.b") {
		t.Error("distinct topics or realms share a subject")
	}
	if got := s.publication("com.example.realm", "a.b"); got != "wampgate.pub.com~2Eexample~2Erealm.t.a.b" {
		t.Errorf("subject %q", got)
	}
}

// TestHeaderRoundTrip: every kind's fields come back; truncated and
// unknown messages are errors, never a panic.
func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []header{
		{kind: kindHeartbeat, node: "127.0.0.1:8095", boot: 7, slot: 1023},
		{kind: kindGoodbye, node: "n", boot: 1 << 63},
		{kind: kindHello, node: "n", boot: 1, half: 99},
		{kind: kindWelcome, node: "n", boot: 1, half: 3, yourHalf: 4},
		{kind: kindReset, node: "n", boot: 1, yourHalf: 4},
		{kind: kindControl, node: "n", boot: 1, half: 3, yourHalf: 4, seq: 5},
		{kind: kindPublication, node: "n", boot: 1, seq: 1 << 40},
	} {
		b := appendHeader(nil, h)
		got, rest, err := parseHeader(append(b, "rest"...))
		if err != nil || got != h || string(rest) != "rest" {
			t.Errorf("%c: got %+v %q %v, want %+v", h.kind, got, rest, err, h)
		}
		for n := range len(b) {
			if _, _, err := parseHeader(b[:n]); err == nil {
				t.Errorf("%c: %d of %d bytes parsed", h.kind, n, len(b))
			}
		}
	}
	if _, _, err := parseHeader([]byte{'x', 1, 'n', 1}); err == nil {
		t.Error("unknown kind parsed")
	}
}

// TestConfigValidate: the settings an operator can get wrong are refused
// with a reason.
func TestConfigValidate(t *testing.T) {
	ok := Config{Node: "n", URLs: []string{"nats://127.0.0.1:4222"}, Slot: 1}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"no node":     func(c *Config) { c.Node = "" },
		"no url":      func(c *Config) { c.URLs = nil },
		"creds+token": func(c *Config) { c.Creds, c.Token = "f", "t" },
		"cert no key": func(c *Config) { c.TLSCert = "c" },
		"bad prefix":  func(c *Config) { c.SubjectPrefix = "a..b" },
		"wild prefix": func(c *Config) { c.SubjectPrefix = "a.*" },
		"slot":        func(c *Config) { c.Slot = 1024 },
	} {
		c := ok
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
