package httpapi

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

func TestDecodePublish(t *testing.T) {
	req, err := DecodePublish([]byte(` {"topic":"com.example.t","args":["a",1],"kwargs":{"k":true},` +
		`"exclude":[1,"9007199254740992"],"eligible":["0",7],"retain":true,"realm":"realm2"} `))
	if err != nil {
		t.Fatal(err)
	}
	if req.Topic != "com.example.t" || req.Realm != "realm2" || !req.Retain ||
		string(req.Args.Raw) != `["a",1]` || req.Args.Format != value.JSON ||
		string(req.Kwargs.Raw) != `{"k":true}` ||
		!slices.Equal(req.Exclude, []wamp.ID{1, 1 << 53}) || !slices.Equal(req.Eligible, []wamp.ID{0, 7}) {
		t.Fatalf("%+v", req)
	}
	// null is an absent field; an empty list is PHP's empty kwargs.
	req, err = DecodePublish([]byte(`{"topic":"t","args":null,"kwargs":[ ],"exclude":null,"eligible":null,"retain":null,"realm":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Args.Raw != nil || req.Kwargs.Raw != nil || req.Exclude != nil || req.Eligible != nil || req.Retain || req.Realm != "" {
		t.Fatalf("%+v", req)
	}
}

func TestDecodeCall(t *testing.T) {
	req, err := DecodeCall([]byte(`{"procedure":"com.example.add","args":[1,2],"kwargs":{"x":null},"timeout":2500}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Procedure != "com.example.add" || req.Timeout != 2500*time.Millisecond ||
		string(req.Args.Raw) != `[1,2]` || string(req.Kwargs.Raw) != `{"x":null}` {
		t.Fatalf("%+v", req)
	}
	for _, body := range []string{`{"procedure":"p"}`, `{"procedure":"p","timeout":0}`, `{"procedure":"p","timeout":null}`} {
		if req, err := DecodeCall([]byte(body)); err != nil || req.Timeout != DefaultCallTimeout {
			t.Errorf("%s: %+v %v, want the default timeout", body, req, err)
		}
	}
	if req, err := DecodeCall([]byte(`{"procedure":"wamp.session.count","timeout":300000}`)); err != nil || req.Timeout != MaxCallTimeout {
		t.Errorf("a meta procedure with the largest timeout: %+v %v", req, err)
	}
}

// badBodies are refused bodies and the exact error (URI: message) they
// get, for publish (p) or call (c).
var badBodies = []struct {
	kind, body, err string
}{
	{"p", ``, `wamp.error.invalid_argument: the body is empty: want a JSON object`},
	{"p", `{"topic":"t"`, `wamp.error.invalid_argument: the body is not acceptable JSON: unexpected end of JSON in object at offset 12`},
	{"p", `{"topic":"t"} x`, `wamp.error.invalid_argument: the body is not acceptable JSON: unexpected data after JSON value at offset 14`},
	{"p", `["t"]`, `wamp.error.invalid_argument: the body must be a JSON object`},
	{"p", `"t"`, `wamp.error.invalid_argument: the body must be a JSON object`},
	{"p", `{"topic":"\ud800"}`, `wamp.error.invalid_argument: the body is not acceptable JSON: unpaired UTF-16 surrogate in string at offset 10`},
	{"p", `{"topic":"t","args":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`,
		`wamp.error.invalid_argument: the body is not acceptable JSON: nesting deeper than 64 at offset 83`},
	{"p", `{"topic":"t","args":[1e999]}`, `wamp.error.invalid_argument: the body is not acceptable JSON: number out of range at offset 21`},
	{"p", `{}`, `wamp.error.invalid_argument: "topic" is missing`},
	{"p", `{"topic":null}`, `wamp.error.invalid_argument: "topic" is missing`},
	{"p", `{"topic":5}`, `wamp.error.invalid_argument: "topic" must be a string`},
	{"p", `{"topic":""}`, `wamp.error.invalid_uri: "" is not a valid topic URI: dot-separated non-empty components without spaces or #`},
	{"p", `{"topic":"a..b"}`, `wamp.error.invalid_uri: "a..b" is not a valid topic URI: dot-separated non-empty components without spaces or #`},
	{"p", `{"topic":"a b"}`, `wamp.error.invalid_uri: "a b" is not a valid topic URI: dot-separated non-empty components without spaces or #`},
	{"p", `{"topic":"wamp.session.on_join"}`, `wamp.error.invalid_uri: the topic prefix wamp. is reserved for the router's own topics`},
	{"p", `{"topic":"t","topic":"u"}`, `wamp.error.invalid_argument: field "topic" is given twice`},
	{"p", `{"topic":"t","acknowledge":true}`, `wamp.error.invalid_argument: unknown field "acknowledge" (known fields: topic, args, kwargs, exclude, eligible, retain, realm)`},
	{"p", `{"topic":"t","args":{"a":1}}`, `wamp.error.invalid_argument: "args" must be a list`},
	{"p", `{"topic":"t","args":"a"}`, `wamp.error.invalid_argument: "args" must be a list`},
	{"p", `{"topic":"t","kwargs":[1]}`, `wamp.error.invalid_argument: "kwargs" must be an object`},
	{"p", `{"topic":"t","kwargs":1}`, `wamp.error.invalid_argument: "kwargs" must be an object`},
	{"p", `{"topic":"t","exclude":1}`, `wamp.error.invalid_argument: "exclude" must be a list of session ids`},
	{"p", `{"topic":"t","exclude":[1.5]}`, `wamp.error.invalid_argument: "exclude" element 0 must be a session id (an integer in [0, 2^53], or its decimal string), got 1.5`},
	{"p", `{"topic":"t","eligible":[1,-2]}`, `wamp.error.invalid_argument: "eligible" element 1 must be a session id (an integer in [0, 2^53], or its decimal string), got -2`},
	{"p", `{"topic":"t","eligible":[9007199254740993]}`, `wamp.error.invalid_argument: "eligible" element 0 must be a session id (an integer in [0, 2^53], or its decimal string), got 9007199254740993`},
	{"p", `{"topic":"t","eligible":["x1"]}`, `wamp.error.invalid_argument: "eligible" element 0 must be a session id (an integer in [0, 2^53], or its decimal string), got "x1"`},
	{"p", `{"topic":"t","eligible":[true]}`, `wamp.error.invalid_argument: "eligible" element 0 must be a session id (an integer in [0, 2^53], or its decimal string), got true`},
	{"p", `{"topic":"t","retain":1}`, `wamp.error.invalid_argument: "retain" must be a boolean`},
	{"p", `{"topic":"t","realm":""}`, `wamp.error.invalid_argument: "realm" must not be empty`},
	{"p", `{"topic":"t","realm":["r"]}`, `wamp.error.invalid_argument: "realm" must be a string`},
	{"c", `{"args":[]}`, `wamp.error.invalid_argument: "procedure" is missing`},
	{"c", `{"procedure":"a#b"}`, `wamp.error.invalid_uri: "a#b" is not a valid procedure URI: dot-separated non-empty components without spaces or #`},
	{"c", `{"procedure":"p","topic":"t"}`, `wamp.error.invalid_argument: unknown field "topic" (known fields: procedure, args, kwargs, timeout, realm)`},
	{"c", `{"procedure":"p","timeout":-1}`, `wamp.error.invalid_argument: "timeout" must be an integer number of milliseconds in [0, 300000], got -1`},
	{"c", `{"procedure":"p","timeout":1.5}`, `wamp.error.invalid_argument: "timeout" must be an integer number of milliseconds in [0, 300000], got 1.5`},
	{"c", `{"procedure":"p","timeout":"100"}`, `wamp.error.invalid_argument: "timeout" must be an integer number of milliseconds in [0, 300000], got "100"`},
	{"c", `{"procedure":"p","timeout":300001}`, `wamp.error.invalid_argument: "timeout" must be an integer number of milliseconds in [0, 300000], got 300001`},
	{"c", `{"procedure":"p","args":5}`, `wamp.error.invalid_argument: "args" must be a list`},
}

func TestDecodeRefusesBadBodies(t *testing.T) {
	for _, tc := range badBodies {
		var err error
		if tc.kind == "p" {
			_, err = DecodePublish([]byte(tc.body))
		} else {
			_, err = DecodeCall([]byte(tc.body))
		}
		var be *BodyError
		if !errors.As(err, &be) {
			t.Errorf("%s: got %v, want a *BodyError", tc.body, err)
			continue
		}
		if got := be.Error(); got != tc.err {
			t.Errorf("%s:\n got %s\nwant %s", tc.body, got, tc.err)
		}
	}
}

// FuzzAPIPublishBody: whatever the body, DecodePublish returns a valid
// request or a *BodyError, never panics, and what it accepts holds: a
// valid topic outside wamp., args a list, kwargs an object, ids in range.
func FuzzAPIPublishBody(f *testing.F) {
	f.Add([]byte(`{"topic":"com.example.t","args":["a",1],"kwargs":{"k":true},"exclude":[1,"2"],"eligible":[3],"retain":true,"realm":"r"}`))
	f.Add([]byte(`{"topic":"t","kwargs":[]}`))
	for _, tc := range badBodies {
		if tc.kind == "p" {
			f.Add([]byte(tc.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodePublish(body)
		if err != nil {
			var be *BodyError
			if !errors.As(err, &be) || be.URI == "" || be.Message == "" {
				t.Fatalf("%q: error %v is not a complete *BodyError", body, err)
			}
			return
		}
		if !wamp.ValidURI(req.Topic, wamp.MatchExact, false) || strings.HasPrefix(req.Topic, "wamp.") {
			t.Fatalf("%q: accepted topic %q", body, req.Topic)
		}
		checkPayload(t, body, req.Args, req.Kwargs)
		for _, id := range append(slices.Clone(req.Exclude), req.Eligible...) {
			if id > 1<<53 {
				t.Fatalf("%q: accepted id %d", body, id)
			}
		}
	})
}

// FuzzAPICallBody is FuzzAPIPublishBody for DecodeCall: a valid
// procedure and a timeout in (0, MaxCallTimeout].
func FuzzAPICallBody(f *testing.F) {
	f.Add([]byte(`{"procedure":"com.example.add","args":[1,2],"kwargs":{"x":null},"timeout":2500,"realm":"r"}`))
	for _, tc := range badBodies {
		if tc.kind == "c" {
			f.Add([]byte(tc.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeCall(body)
		if err != nil {
			var be *BodyError
			if !errors.As(err, &be) || be.URI == "" || be.Message == "" {
				t.Fatalf("%q: error %v is not a complete *BodyError", body, err)
			}
			return
		}
		if !wamp.ValidURI(req.Procedure, wamp.MatchExact, false) {
			t.Fatalf("%q: accepted procedure %q", body, req.Procedure)
		}
		if req.Timeout <= 0 || req.Timeout > MaxCallTimeout {
			t.Fatalf("%q: accepted timeout %v", body, req.Timeout)
		}
		checkPayload(t, body, req.Args, req.Kwargs)
	})
}

// checkPayload requires accepted args to be a valid JSON list and kwargs
// a valid JSON object.
func checkPayload(t *testing.T, body []byte, args, kwargs wamp.Payload) {
	t.Helper()
	if args.Raw != nil && (value.Validate(value.JSON, args.Raw) != nil || !value.IsList(value.JSON, args.Raw)) {
		t.Fatalf("%q: accepted args %q", body, args.Raw)
	}
	if kwargs.Raw != nil && (value.Validate(value.JSON, kwargs.Raw) != nil || !value.IsDict(value.JSON, kwargs.Raw)) {
		t.Fatalf("%q: accepted kwargs %q", body, kwargs.Raw)
	}
}
