package auth

import (
	"crypto/ed25519"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
)

// testPubKey returns a new Ed25519 key pair, the public key in hex.
func testPubKey(t testing.TB) (string, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(pub), priv
}

func TestNewUsersRefusesBadEntries(t *testing.T) {
	key, _ := testPubKey(t)
	for _, tc := range []struct {
		name  string
		users []User
		want  string
	}{
		{"no authid", []User{{Role: "r", Secret: "s"}}, "user 1: authid is missing"},
		{"twice", []User{{AuthID: "a", Role: "r", Secret: "s"}, {AuthID: "a", Role: "r", Secret: "t"}}, `user 2 ("a"): authid "a" is given twice`},
		{"no role", []User{{AuthID: "a", Secret: "s"}}, "role is missing"},
		{"no credentials", []User{{AuthID: "a", Role: "r"}}, "neither secret"},
		{"salt without secret", []User{{AuthID: "a", Role: "r", Salt: "x", PubKeys: []string{key}}}, "go with a secret"},
		{"salt without iterations", []User{{AuthID: "a", Role: "r", Secret: "s", Salt: "x", KeyLen: 32}}, "iterations in [1, 10000000]"},
		{"keylen without salt", []User{{AuthID: "a", Role: "r", Secret: "s", Iterations: 10, KeyLen: 32}}, "a salted secret needs salt"},
		{"short key", []User{{AuthID: "a", Role: "r", PubKeys: []string{"abcd"}}}, "pubkeys[0]: an Ed25519 public key is 64 hex digits, got 4"},
		{"not hex", []User{{AuthID: "a", Role: "r", PubKeys: []string{strings.Repeat("z", 64)}}}, "pubkeys[0]: an Ed25519 public key is 64 hex digits: encoding/hex"},
		{"shared key", []User{{AuthID: "a", Role: "r", PubKeys: []string{key}}, {AuthID: "b", Role: "r", PubKeys: []string{key}}}, `user 2 ("b"): pubkeys[0] is also a key of "a"`},
		{"key twice", []User{{AuthID: "a", Role: "r", PubKeys: []string{key, key}}}, `pubkeys[1] is also a key of "a"`},
	} {
		if _, err := NewUsers(tc.users); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestNewUsers(t *testing.T) {
	key, _ := testPubKey(t)
	us, err := NewUsers([]User{
		{AuthID: "alice", Role: "admin", Realm: "realm1", Secret: "s"},
		{AuthID: "bob", Role: "user", Secret: "derived", Salt: "salt", Iterations: 100, KeyLen: 32},
		{AuthID: "dev", Role: "device", Realm: "realm2", PubKeys: []string{key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if us.Len() != 3 || !slices.Equal(us.Realms(), []string{"realm1", "realm2"}) || !slices.Equal(us.methods(), []string{"wampcra", "cryptosign"}) {
		t.Fatalf("Len %d, Realms %v, methods %v", us.Len(), us.Realms(), us.methods())
	}
	if u, why := us.lookup("alice", "realm2"); u != nil || !strings.Contains(why, `may join realm "realm1" only`) {
		t.Fatalf("alice in realm2: %v %q", u, why)
	}
	if u, _ := us.lookup("bob", "any"); u == nil || u.role != "user" {
		t.Fatalf("bob: %v", u)
	}
}
