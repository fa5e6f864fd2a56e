package wamp

import (
	"regexp"
	"sync"
	"testing"
)

func TestSessionIDs(t *testing.T) {
	random, _ := newIDGenerator("")
	named, used := newIDGenerator("node-1")
	if used != "node-1" {
		t.Errorf("node id used = %q", used)
	}
	tests := []struct {
		g  *idGenerator
		re string
	}{
		{random, `^[0-9a-z]{8}\.[0-9a-z]+$`},
		{named, `^node-1\.[0-9a-z]{5}\.[0-9a-z]+$`},
	}
	for _, tt := range tests {
		re := regexp.MustCompile(tt.re)
		for range 100 {
			id := tt.g.next()
			if !re.MatchString(id) {
				t.Errorf("id %q does not match %s", id, tt.re)
			}
			if string(AppendPHPString(nil, id)) != `"`+id+`"` {
				t.Errorf("id %q needs JSON escaping", id)
			}
		}
	}
	if id := named.next(); len(id) > 16 {
		t.Errorf("id %q is longer than 16 bytes", id)
	}
}

func TestSessionIDsUnique(t *testing.T) {
	g, _ := newIDGenerator("")
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				id := g.next()
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate id %q", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	a, _ := newIDGenerator("n")
	b, _ := newIDGenerator("n")
	if a.prefix == b.prefix {
		t.Errorf("two boots of node n share the id prefix %q", a.prefix)
	}
}

func TestSanitizeNodeID(t *testing.T) {
	tests := map[string]string{
		"node1":                                "node1",
		"a.b]c\"d/e é":                         "a_b_c_d_e___",
		"0123456789abcdefghijklmnopqrstuvwxyz": "0123456789abcdefghijklmnopqrstuv",
	}
	for in, want := range tests {
		if got := sanitizeNodeID(in); got != want {
			t.Errorf("sanitizeNodeID(%q) = %q, want %q", in, got, want)
		}
	}
}
