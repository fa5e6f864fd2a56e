package v1

import (
	"encoding/json"
	"testing"
	"testing/quick"
)

func TestAppendPHPString(t *testing.T) {
	tests := map[string]string{
		"":                                     `""`,
		"Ratchet/0.4.4":                        `"Ratchet\/0.4.4"`,
		"http://example.com/event#myevent1":    `"http:\/\/example.com\/event#myevent1"`,
		"unicode \u00e9 é ✓ 😀":                 `"unicode \u00e9 \u00e9 \u2713 \ud83d\ude00"`,
		"slash / backslash \\ quote \" tab \t": `"slash \/ backslash \\ quote \" tab \t"`,
		"<tag>&amp;'":                          `"<tag>&amp;'"`,
		"\b\f\n\r\x00\x01\x1f\x7f":             `"\b\f\n\r\u0000\u0001\u001f` + "\x7f" + `"`,
		"bad \xff utf8":                        `"bad \ufffd utf8"`,
		"\U0010FFFF":                           `"\udbff\udfff"`,
	}
	for in, want := range tests {
		if got := string(AppendPHPString(nil, in)); got != want {
			t.Errorf("AppendPHPString(%q) = %s, want %s", in, got, want)
		}
		if n := PHPStringLen(in); n != len(want) {
			t.Errorf("PHPStringLen(%q) = %d, want %d", in, n, len(want))
		}
	}
}

// TestPHPStringRoundTrip checks that any string encodes to JSON that
// decodes back to it (invalid UTF-8 aside) and that PHPStringLen is exact.
func TestPHPStringRoundTrip(t *testing.T) {
	f := func(s string) bool {
		enc := AppendPHPString([]byte("x"), s)[1:]
		if PHPStringLen(s) != len(enc) {
			return false
		}
		for _, c := range enc {
			if c >= 0x80 {
				return false // PHP output is pure ASCII
			}
		}
		var back string
		if err := json.Unmarshal(enc, &back); err != nil {
			return false
		}
		return back == s || !validUTF8(s)
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Error(err)
	}
}

func validUTF8(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' {
			return false
		}
	}
	return true
}
