package v1

import "testing"

func TestCURIE(t *testing.T) {
	var p prefixes
	for name, uri := range map[string]string{
		"event": "http://example.com/event",
		"calc":  "http://example.com/simple/calc#",
		"slash": "http://example.com/api/",
		"urn":   "http://example.com/urn",
		"x":     "http://example.com/x",
		"":      "http://example.com/empty",
	} {
		if err := p.set(name, uri); err != nil {
			t.Fatal(err)
		}
	}
	tests := map[string]string{
		"event:myevent1":     "http://example.com/event#myevent1", // Ratchet's '#'
		"calc:square":        "http://example.com/simple/calc#square",
		"slash:users":        "http://example.com/api/users",
		"urn:a:b":            "http://example.com/urn#a",
		"x:http://inner":     "x:http://inner",
		"x:y https://z":      "x:y https://z",
		"x:httpsss://z":      "x:httpsss://z",
		"x:http:/z":          "http://example.com/x#http",
		"foo:bar":            "foo:bar",
		"noprefix":           "noprefix",
		":ref":               "http://example.com/empty#ref",
		"event:":             "http://example.com/event#",
		"http://example.com": "http://example.com",
		"":                   "",
	}
	for in, want := range tests {
		if got := p.resolve(in); got != want {
			t.Errorf("resolve(%q) = %q, want %q", in, got, want)
		}
	}
	p.unset("event")
	if got := p.resolve("event:a"); got != "event:a" {
		t.Errorf("unset prefix still resolves: %q", got)
	}
	if err := p.set("calc", "urn:calc"); err != nil || p.resolve("calc:add") != "urn:calc#add" {
		t.Errorf("redefined prefix: %q, %v", p.resolve("calc:add"), err)
	}
}

func TestPrefixLimit(t *testing.T) {
	var p prefixes
	for i := range maxPrefixes {
		if err := p.set(string(rune('A'+i)), "u"); err != nil {
			t.Fatalf("prefix %d: %v", i, err)
		}
	}
	if err := p.set("one-more", "u"); err == nil {
		t.Errorf("prefix %d accepted", maxPrefixes+1)
	}
	if err := p.set("A", "v"); err != nil {
		t.Errorf("redefining at the limit: %v", err)
	}
}
