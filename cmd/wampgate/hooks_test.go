package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/hooks"
)

func TestHookFlagsEnvAndYAML(t *testing.T) {
	file, err := parseConfig("test.yaml", []byte(`
hook_url: http://127.0.0.1:9000/hooks/
hook_connect: true
hook_subscribe: [price., counter.]
hook_publish: "price., bid."
hook_call: "*"
hook_timeout: 500ms
hook_concurrency: 8
hook_failure: allow
`), quietLog)
	if err != nil {
		t.Fatal(err)
	}
	got, err := hooksFrom(parseRun(t), file.Hooks)
	want := hooks.Config{URL: "http://127.0.0.1:9000/hooks/", Connect: true, Subscribe: []string{"price.", "counter."},
		Publish: []string{"price.", "bid."}, Call: []string{"*"}, Timeout: 500 * time.Millisecond, Concurrency: 8, Failure: hooks.Allow}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("from YAML: %+v, %v\nwant %+v", got, err, want)
	}

	t.Setenv("WAMPGATE_HOOK_URL", "http://127.0.0.1:9001")
	t.Setenv("WAMPGATE_HOOK_PUBLISH", "a.,b.")
	t.Setenv("WAMPGATE_HOOK_FAILURE", "deny")
	got, err = hooksFrom(parseRun(t, "--hook-timeout", "1s", "--hook-concurrency", "3"), file.Hooks)
	want = hooks.Config{URL: "http://127.0.0.1:9001", Connect: true, Subscribe: []string{"price.", "counter."},
		Publish: []string{"a.", "b."}, Call: []string{"*"}, Timeout: time.Second, Concurrency: 3, Failure: hooks.Deny}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("flags and env over YAML: %+v, %v\nwant %+v", got, err, want)
	}
}

func TestHookFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--hook-publish", "x."}, "without a hook URL"},
		{[]string{"--hook-url", "https://app/"}, "want http://"},
		{[]string{"--hook-url", "http://127.0.0.1:1", "--hook-failure", "maybe"}, "deny or allow"},
	} {
		_, err := hooksFrom(parseRun(t, tc.args...), fileHooks{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := parseConfig("x.yaml", []byte("hook_publish: {a: 1}\n"), quietLog); err == nil {
		t.Error("hook_publish as a mapping accepted")
	}
}
