package hooks

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeAnswer(t *testing.T) {
	a, err := DecodeAnswer([]byte(`{"result":{"skip":true,"reply":{"args":[false]},"future":1}}`))
	if err != nil || !a.Skip || !a.Reply || string(a.ReplyArgs.Raw) != "[false]" || a.Args.Present() {
		t.Fatalf("skip+reply: %+v, %v", a, err)
	}
	a, err = DecodeAnswer([]byte(`{"result":{"args":[1,"\u0000AQI="],"kwargs":{"k":null},"authid":"u","authrole":"r","extra":{"x":[1]}}}`))
	if err != nil || string(a.Args.Raw) != `[1,"\u0000AQI="]` || string(a.Kwargs.Raw) != `{"k":null}` ||
		a.AuthID != "u" || a.AuthRole != "r" || a.Extra["x"] == nil {
		t.Fatalf("rewrite: %+v, %v", a, err)
	}
	a, err = DecodeAnswer([]byte(` {"error":{"uri":"app.error.no","message":"bid too low","args":[3],"kwargs":{"min":4}}} `))
	if err != nil || a.Error == nil || a.Error.URI != "app.error.no" || a.Error.Message != "bid too low" ||
		string(a.Error.Args.Raw) != "[3]" || string(a.Error.Kwargs.Raw) != `{"min":4}` {
		t.Fatalf("error: %+v, %v", a, err)
	}
	for _, body := range []string{
		``, `null`, `[]`, `{}`, `{"result":{},"error":{"uri":"a.b"}}`, `{"result":[]}`, `{"result":1}`,
		`{"error":{}}`, `{"error":{"uri":1}}`, `{"error":{"uri":"not a uri"}}`, `{"result":{"args":{}}}`,
		`{"result":{"kwargs":[]}}`, `{"result":{"skip":"yes"}}`, `{"result":{"reply":[]}}`,
		`{"result":{"authid":5}}`, `{"result":{"extra":"x"}}`, `{"result":{}} x`, "{\"result\":{\"a\":\"\xff\"}}",
		strings.Repeat("[", 200) + strings.Repeat("]", 200), `{"result":{"args":["\u0000!!"]}}`,
	} {
		if _, err := DecodeAnswer([]byte(body)); !errors.Is(err, ErrJunk) {
			t.Errorf("DecodeAnswer(%.40q) = %v, want junk", body, err)
		}
	}
	if _, err := DecodeAnswer(make([]byte, MaxAnswer+1)); !errors.Is(err, ErrJunk) {
		t.Errorf("oversized answer: %v", err)
	}
}

// FuzzAnswer: any body decodes to an answer or a junk error, never a
// panic; an accepted answer's payloads are lists and dicts.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{`{"result":{}}`, `{"result":{"skip":true,"reply":{"args":[false]}}}`,
		`{"error":{"uri":"a.b","message":"m","args":[1],"kwargs":{}}}`, `{"result":{"args":[1],"kwargs":{"a":{"b":[]}},"extra":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := DecodeAnswer(body)
		if err != nil {
			if !errors.Is(err, ErrJunk) {
				t.Fatalf("error not junk: %v", err)
			}
			return
		}
		for _, p := range [][]byte{a.Args.Raw, a.ReplyArgs.Raw} {
			if p != nil && p[0] != '[' {
				t.Fatalf("args %q not a list", p)
			}
		}
		for _, p := range [][]byte{a.Kwargs.Raw, a.ReplyKwargs.Raw} {
			if p != nil && p[0] != '{' {
				t.Fatalf("kwargs %q not a dict", p)
			}
		}
	})
}
