package jsonscan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	valid := []string{
		`null`, `true`, `false`, `0`, `-0`, `1.5`, `-1.5e-3`, `1E+9`, `12345678901234567890`,
		`""`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\uD83D\uDE00"`, `"é✓😀"`,
		`[]`, `{}`, ` [ 1 , [ 2 ] , { "a" : [ ] } ] `, "\t\r\n[1]\n",
		`{"a":1,"a":2}`, `"\u0000"`, "\"\x7f\"",
	}
	for _, s := range valid {
		if err := Validate([]byte(s)); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", s, err)
		}
		if !json.Valid([]byte(s)) {
			t.Errorf("test bug: %q is not valid for encoding/json", s)
		}
	}
	invalid := []string{
		``, ` `, `nul`, `True`, `NULL`, `01`, `-`, `1.`, `.5`, `1e`, `+1`, `0x10`, `NaN`, `Infinity`,
		`"abc`, `"\x"`, `"\u12"`, `"\u12G4"`, "\"a\nb\"", "\"\x01\"",
		`"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"\ud800x"`, "\"\xff\"", "\"\xed\xa0\x80\"", "\"\xc3\"",
		`[1,]`, `[,1]`, `[1 2]`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1,}`, `{1:2}`,
		`[1]]`, `[1] x`, "\xef\xbb\xbf[1]", `[1`, `{"a":1`,
	}
	for _, s := range invalid {
		if err := Validate([]byte(s)); err == nil {
			t.Errorf("Validate(%q) = nil, want an error", s)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
	}
	if err := Validate(nest(MaxDepth)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	if err := Validate(nest(MaxDepth + 1)); err == nil {
		t.Errorf("depth %d accepted", MaxDepth+1)
	}
	objs := []byte(strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1))
	if err := Validate(objs); err == nil {
		t.Errorf("object depth %d accepted", MaxDepth+1)
	}
	if _, err := Elements(nest(600), nil); err == nil {
		t.Errorf("Elements accepted depth 600")
	}
	if _, err := Elements(nest(MaxDepth), nil); err != nil {
		t.Errorf("Elements depth %d: %v", MaxDepth, err)
	}
}

func TestElements(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error // nil, ErrNotList, or errSyntax for a *SyntaxError
	}{
		{`[5,"t"]`, []string{`5`, `"t"`}, nil},
		{` [ 7 , "t" , { "a" : 1 } , [ ] ] `, []string{`7`, `"t"`, `{ "a" : 1 }`, `[ ]`}, nil},
		{`[]`, nil, nil},
		{`{}`, nil, nil},
		{`{"0":5,"1":"t"}`, []string{`5`, `"t"`}, nil},
		{`{"\u0030":5}`, []string{`5`}, nil},
		{`{"1":"t","0":5}`, nil, ErrNotList},
		{`{"0":5,"0":6}`, nil, ErrNotList},
		{`{"a":1}`, nil, ErrNotList},
		{`{"00":1}`, nil, ErrNotList},
		{`"hello"`, nil, ErrNotList},
		{`42`, nil, ErrNotList},
		{`null`, nil, ErrNotList},
		{`[5,"price/channel"`, nil, errSyntax},
		{`{"0":5,"1":}`, nil, errSyntax},
		{`"abc`, nil, errSyntax},
		{``, nil, errSyntax},
		{`[1] [2]`, nil, errSyntax},
	}
	for _, tt := range tests {
		got, err := Elements([]byte(tt.in), nil)
		switch {
		case tt.err == errSyntax:
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("Elements(%q) error = %v, want a *SyntaxError", tt.in, err)
			}
			continue
		case err != tt.err:
			t.Errorf("Elements(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		case err != nil:
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("Elements(%q) = %q, want %q", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if string(got[i]) != tt.want[i] {
				t.Errorf("Elements(%q)[%d] = %q, want %q", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

var errSyntax = errors.New("syntax")

func TestAppendCompact(t *testing.T) {
	tests := map[string]string{
		`1.0`:                      `1.0`,
		` { "a" : [ 1 , 2 ] } `:    `{"a":[1,2]}`,
		`"a b \" c  "`:             `"a b \" c  "`,
		"[\n\t\"x\\\\\" ,\r 1e3 ]": `["x\\",1e3]`,
		`{"0":"a","1":"b"}`:        `{"0":"a","1":"b"}`,
		`"\/ é \u00e9"`:            `"\/ é \u00e9"`,
	}
	for in, want := range tests {
		if got := string(AppendCompact(nil, []byte(in))); got != want {
			t.Errorf("AppendCompact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := map[string]string{
		`""`:                      "",
		`"plain"`:                 "plain",
		`"a\"b\\c\/d"`:            `a"b\c/d`,
		`"\b\f\n\r\t"`:            "\b\f\n\r\t",
		`"\u00e9\u2713"`:          "é✓",
		`"\ud83d\ude00 x"`:        "😀 x",
		`"\uD83D\uDE00"`:          "😀",
		`"mixed é \u00e9 \u0000"`: "mixed é é \x00",
	}
	for in, want := range tests {
		if err := Validate([]byte(in)); err != nil {
			t.Fatalf("test bug: %q: %v", in, err)
		}
		if got := Unquote([]byte(in)); got != want {
			t.Errorf("Unquote(%s) = %q, want %q", in, got, want)
		}
		var std string
		if err := json.Unmarshal([]byte(in), &std); err != nil || std != want {
			t.Errorf("encoding/json disagrees on %s: %q, %v", in, std, err)
		}
	}
}

func TestValues(t *testing.T) {
	tests := map[string][]string{
		`[]`:                   nil,
		`{}`:                   nil,
		`[ "a" , 1 , [ 2 ] ]`:  {`"a"`, `1`, `[ 2 ]`},
		`{"x":"a", "y" : {} }`: {`"a"`, `{}`},
		`"not a container"`:    nil,
	}
	for in, want := range tests {
		got := Values([]byte(in), nil)
		if len(got) != len(want) {
			t.Errorf("Values(%s) = %q, want %q", in, got, want)
			continue
		}
		for i := range got {
			if string(got[i]) != want[i] {
				t.Errorf("Values(%s)[%d] = %q, want %q", in, i, got[i], want[i])
			}
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := map[string]Kind{`null`: Null, `true`: True, `false`: False, `-1`: Number, `2`: Number,
		`""`: String, `[]`: Array, `{}`: Object, ``: Invalid}
	for in, want := range tests {
		if got := KindOf([]byte(in)); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestElementsAllocations(t *testing.T) {
	msg := []byte(`[7,"price/channel",{"price":100,"lot":"a/b"},false,[]]`)
	allocs := testing.AllocsPerRun(100, func() {
		var buf [6][]byte
		if _, err := Elements(msg, buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Elements allocates %v times per message, want 0", allocs)
	}
}

func TestFirst(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`[]`, ``, true},
		{` [ ] `, ``, true},
		{`["a b",2]`, `"a b"`, true},
		{`[ {"x" : [1]} ]`, `{"x" : [1]}`, true},
		{`[null]`, `null`, true},
		{`{"a":1}`, ``, false},
		{`[1`, ``, false},
		{`[1 2]`, ``, false},
		{`[tru]`, ``, false},
		{``, ``, false},
	}
	for _, tt := range tests {
		got, ok := First([]byte(tt.in))
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("First(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCompact(t *testing.T) {
	compact := []byte(`{"a":[1,"x y"]}`)
	if got := Compact(compact); &got[0] != &compact[0] {
		t.Errorf("Compact copied a compact value")
	}
	spaced := []byte(` { "a" : [ 1 , "x y" ] } `)
	if got := Compact(spaced); string(got) != string(compact) || &got[0] == &spaced[0] {
		t.Errorf("Compact(%q) = %q", spaced, got)
	}
	if allocs := testing.AllocsPerRun(100, func() { Compact(compact) }); allocs != 0 {
		t.Errorf("Compact of a compact value allocates %v times", allocs)
	}
}
