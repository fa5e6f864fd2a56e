package jsonscan

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
	"unicode/utf8"
)

// surrogateEscape finds \u escapes in the surrogate range, which PHP (and
// this package) reject unless they form a pair and encoding/json accepts.
var surrogateEscape = regexp.MustCompile(`\\u[dD][89a-fA-F][0-9a-fA-F]{2}`)

// FuzzValidate checks Validate against encoding/json: whatever Validate
// accepts, encoding/json accepts, compacts the same way and decodes
// strings the same way; whatever encoding/json accepts that is valid UTF-8,
// has no surrogate escapes and is not too deep, Validate accepts.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{`[1,"a",{"b":[true,false,null]}]`, ` { "x" : "\u00e9\ud83d\ude00" } `, `"\/"`, `-0.5e+3`, `[[[]]]`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Validate(b)
		std := json.Valid(b)
		if err == nil {
			if !std {
				t.Fatalf("accepted %q, which encoding/json rejects", b)
			}
			var want bytes.Buffer
			_ = json.Compact(&want, b)
			if got := AppendCompact(nil, bytes.TrimSpace(b)); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("AppendCompact(%q) = %q, want %q", b, got, want.Bytes())
			}
			if v := bytes.TrimSpace(b); KindOf(v) == String {
				var s string
				if json.Unmarshal(v, &s) != nil || s != Unquote(v) {
					t.Fatalf("Unquote(%q) = %q, encoding/json %q", v, Unquote(v), s)
				}
			}
			return
		}
		if std && utf8.Valid(b) && !surrogateEscape.Match(b) && bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) <= MaxDepth {
			t.Fatalf("rejected %q (%v), which encoding/json accepts", b, err)
		}
	})
}
