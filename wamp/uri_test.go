package wamp_test

import (
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

func TestValidURI(t *testing.T) {
	tests := []struct {
		uri    string
		match  wamp.Match
		strict bool
		want   bool
	}{
		{"com.myapp.mytopic1", wamp.MatchExact, true, true},
		{"com.myapp.my_topic", wamp.MatchExact, true, true},
		{"com.myapp.MyTopic", wamp.MatchExact, true, false},
		{"com.myapp.MyTopic", wamp.MatchExact, false, true},
		{"com.myapp.my-topic/é", wamp.MatchExact, false, true},
		{"price/channel", wamp.MatchExact, false, true},
		{"com.myapp.my topic", wamp.MatchExact, false, false},
		{"com.myapp.\ttopic", wamp.MatchExact, false, false},
		{"com.myapp.#topic", wamp.MatchExact, false, false},
		{"http://example.com/event#a", wamp.MatchExact, false, false},
		{"", wamp.MatchExact, false, false},
		{"com..topic", wamp.MatchExact, false, false},
		{".com", wamp.MatchExact, false, false},
		{"com.", wamp.MatchExact, false, false},
		{"com.myapp.", wamp.MatchPrefix, true, true},
		{"com.myapp", wamp.MatchPrefix, true, true},
		{"", wamp.MatchPrefix, false, true},
		{"com..app", wamp.MatchPrefix, false, false},
		{".com", wamp.MatchPrefix, false, false},
		{"com.myapp..userevent", wamp.MatchWildcard, true, true},
		{"..", wamp.MatchWildcard, true, true},
		{".a.", wamp.MatchWildcard, false, true},
		{"com.my app..x", wamp.MatchWildcard, false, false},
		{"com.A..x", wamp.MatchWildcard, true, false},
	}
	for _, tt := range tests {
		if got := wamp.ValidURI(tt.uri, tt.match, tt.strict); got != tt.want {
			t.Errorf("ValidURI(%q, %v, strict %v) = %v, want %v", tt.uri, tt.match, tt.strict, got, tt.want)
		}
	}
}

// TestMatchesSpecExamples uses the examples of the WAMP spec's pattern
// based subscriptions.
func TestMatchesSpecExamples(t *testing.T) {
	tests := []struct {
		pattern string
		match   wamp.Match
		yes, no []string
	}{
		{"com.myapp.topic.emergency", wamp.MatchPrefix,
			[]string{"com.myapp.topic.emergency.11", "com.myapp.topic.emergency-low",
				"com.myapp.topic.emergency.category.severe", "com.myapp.topic.emergency"},
			[]string{"com.myapp.topic.emergenc", "com.myapp.topic", "org.myapp.topic.emergency"}},
		{"com.myapp..userevent", wamp.MatchWildcard,
			[]string{"com.myapp.foo.userevent", "com.myapp.bar.userevent", "com.myapp.a12.userevent"},
			[]string{"com.myapp.foo.userevent.bar", "com.myapp.foo.user", "com.myapp2.foo.userevent", "com.myapp.userevent"}},
		{"..", wamp.MatchWildcard, []string{"a.b.c", "..", "a..c"}, []string{"a.b", "a.b.c.d"}},
		{"a.b", wamp.MatchExact, []string{"a.b"}, []string{"a.b.c", "a"}},
	}
	for _, tt := range tests {
		for _, u := range tt.yes {
			if !wamp.Matches(u, tt.pattern, tt.match) {
				t.Errorf("%v %q does not match %q", tt.match, tt.pattern, u)
			}
		}
		for _, u := range tt.no {
			if wamp.Matches(u, tt.pattern, tt.match) {
				t.Errorf("%v %q matches %q", tt.match, tt.pattern, u)
			}
		}
	}
}

func TestParseMatch(t *testing.T) {
	for s, want := range map[string]wamp.Match{"": wamp.MatchExact, "exact": wamp.MatchExact,
		"prefix": wamp.MatchPrefix, "wildcard": wamp.MatchWildcard} {
		if m, ok := wamp.ParseMatch(s); !ok || m != want || (s != "" && m.String() != s) {
			t.Errorf("ParseMatch(%q) = %v, %v", s, m, ok)
		}
	}
	if _, ok := wamp.ParseMatch("regex"); ok {
		t.Errorf("ParseMatch accepted regex")
	}
}
