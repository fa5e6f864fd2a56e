package httpapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseKeyFile(t *testing.T) {
	keys, err := ParseKeyFile([]byte("# the backend\n  key-one-0123456789  \r\n\n\t# old one:\nkey-two-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || string(keys[0]) != "key-one-0123456789" || string(keys[1]) != "key-two-0123456789" {
		t.Fatalf("keys %q", keys)
	}
	for _, tc := range []struct{ file, err string }{
		{"", "no key in the file (one key a line; blank lines and # comments are ignored)"},
		{"# only a comment\n\n", "no key in the file (one key a line; blank lines and # comments are ignored)"},
		{"key-one-0123456789\nshort-secret\n", "line 2: the key shorter than 16 characters"},
		{"key with spaces 0123456789", "line 1: the key holds a character that is not visible ASCII (spaces included)"},
		{"clé-0123456789abcdef", "line 1: the key holds a character that is not visible ASCII (spaces included)"},
	} {
		_, err := ParseKeyFile([]byte(tc.file))
		if err == nil || err.Error() != tc.err {
			t.Errorf("%q: error %v, want %q", tc.file, err, tc.err)
		}
		// The error never shows the key.
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error shows the key: %v", tc.file, err)
		}
	}
}

func TestLoadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("key-one-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if keys, err := LoadKeyFile(path); err != nil || len(keys) != 1 {
		t.Fatalf("%q %v", keys, err)
	}
	if _, err := LoadKeyFile(path + ".missing"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("a missing file: %v", err)
	}
}

func TestKeysCheck(t *testing.T) {
	k, err := NewKeys([][]byte{[]byte("key-one-0123456789"), []byte("key-two-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	for header, want := range map[string]bool{
		"Bearer key-one-0123456789":      true,
		"Bearer key-two-0123456789":      true,
		"bearer key-two-0123456789":      true,
		"  BEARER   key-one-0123456789 ": true,
		"":                               false,
		"Bearer":                         false,
		"Bearer ":                        false,
		"key-one-0123456789":             false,
		"Basic key-one-0123456789":       false,
		"Bearer key-one-012345678":       false, // a prefix
		"Bearer key-one-01234567890":     false, // longer
		"Bearer key-three-0123456789":    false,
	} {
		if got := k.Check(header); got != want {
			t.Errorf("Check(%q) = %v, want %v", header, got, want)
		}
	}
	if _, err := NewKeys(nil); err == nil {
		t.Error("an empty key set was accepted")
	}
	if _, err := NewKeys([][]byte{[]byte("short")}); err == nil || err.Error() != "API key 1: shorter than 16 characters" {
		t.Errorf("a short key: %v", err)
	}
}
