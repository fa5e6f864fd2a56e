package auth

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"slices"
)

// User is one entry of the static users table (the --config file's
// users:). It authenticates with WAMP-CRA when it has a Secret, with
// WAMP-cryptosign when it has PubKeys, or both.
type User struct {
	AuthID string // required, unique in the table
	Role   string // required: the authrole its sessions get
	Realm  string // the only realm it may join; "" any
	// Secret is the WAMP-CRA secret: the password itself or, with Salt,
	// the key derived from it (base64 PBKDF2-SHA256 of the password with
	// Salt, Iterations and KeyLen, as Autobahn's derive_key gives it),
	// so the node never holds the password.
	Secret     string
	Salt       string
	Iterations int
	KeyLen     int
	// PubKeys are the WAMP-cryptosign Ed25519 public keys the user may
	// sign with, 64 hex digits each; a key belongs to one user only.
	PubKeys []string
}

// Bounds of the salted WAMP-CRA parameters.
const (
	maxIterations = 10_000_000
	maxKeyLen     = 256
)

// Users is a validated users table, immutable and safe for concurrent
// use.
type Users struct {
	byID  map[string]*user
	byKey map[string]*user // the 32 key bytes as a string
	cra   bool             // some user has a secret
	keys  bool             // some user has a public key
}

// user is a User after validation.
type user struct {
	authid, role, realm string
	secret              []byte // the HMAC key of WAMP-CRA; nil: none
	salt                string
	iterations, keylen  int
	pubkeys             []ed25519.PublicKey
}

// NewUsers validates list: every entry has an authid (unique), a role,
// and a secret or public keys; salted secrets have Iterations and KeyLen
// in range; public keys are 64 hex digits, each in one entry only.
// Errors name the entry (its position from 1, and its authid).
func NewUsers(list []User) (*Users, error) {
	us := &Users{byID: make(map[string]*user, len(list)), byKey: map[string]*user{}}
	for i, e := range list {
		where := fmt.Sprintf("user %d", i+1)
		if e.AuthID != "" {
			where += fmt.Sprintf(" (%q)", e.AuthID)
		}
		u, err := us.add(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		us.cra = us.cra || u.secret != nil
		us.keys = us.keys || len(u.pubkeys) > 0
	}
	return us, nil
}

func (us *Users) add(e User) (*user, error) {
	switch {
	case e.AuthID == "":
		return nil, fmt.Errorf("authid is missing")
	case us.byID[e.AuthID] != nil:
		return nil, fmt.Errorf("authid %q is given twice", e.AuthID)
	case e.Role == "":
		return nil, fmt.Errorf("role is missing")
	case e.Secret == "" && len(e.PubKeys) == 0:
		return nil, fmt.Errorf("neither secret (WAMP-CRA) nor pubkeys (WAMP-cryptosign) is given: the user could never authenticate")
	case e.Secret == "" && (e.Salt != "" || e.Iterations != 0 || e.KeyLen != 0):
		return nil, fmt.Errorf("salt, iterations and keylen go with a secret")
	}
	u := &user{authid: e.AuthID, role: e.Role, realm: e.Realm}
	if e.Secret != "" {
		u.secret = []byte(e.Secret)
		if e.Salt != "" || e.Iterations != 0 || e.KeyLen != 0 {
			if e.Salt == "" || e.Iterations < 1 || e.Iterations > maxIterations || e.KeyLen < 1 || e.KeyLen > maxKeyLen {
				return nil, fmt.Errorf("a salted secret needs salt, iterations in [1, %d] and keylen in [1, %d] (got iterations %d, keylen %d)",
					maxIterations, maxKeyLen, e.Iterations, e.KeyLen)
			}
			u.salt, u.iterations, u.keylen = e.Salt, e.Iterations, e.KeyLen
		}
	}
	for j, k := range e.PubKeys {
		pub, err := parsePubKey(k)
		if err != nil {
			return nil, fmt.Errorf("pubkeys[%d]: %w", j, err)
		}
		if other := us.byKey[string(pub)]; other != nil || u.hasKey(pub) {
			owner := e.AuthID
			if other != nil {
				owner = other.authid
			}
			return nil, fmt.Errorf("pubkeys[%d] is also a key of %q: a key belongs to one user", j, owner)
		}
		u.pubkeys = append(u.pubkeys, pub)
	}
	us.byID[u.authid] = u
	for _, pub := range u.pubkeys {
		us.byKey[string(pub)] = u
	}
	return u, nil
}

// hasKey reports whether pub is one of u's public keys.
func (u *user) hasKey(pub ed25519.PublicKey) bool {
	return slices.ContainsFunc(u.pubkeys, func(k ed25519.PublicKey) bool { return k.Equal(pub) })
}

// parsePubKey decodes an Ed25519 public key written as 64 hex digits.
func parsePubKey(s string) (ed25519.PublicKey, error) {
	if len(s) != 2*ed25519.PublicKeySize {
		return nil, fmt.Errorf("an Ed25519 public key is %d hex digits, got %d characters", 2*ed25519.PublicKeySize, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("an Ed25519 public key is %d hex digits: %w", 2*ed25519.PublicKeySize, err)
	}
	return ed25519.PublicKey(b), nil
}

// Len is the number of users.
func (us *Users) Len() int {
	if us == nil {
		return 0
	}
	return len(us.byID)
}

// Realms lists the realms users are limited to, sorted, without
// duplicates (for checking them against the node's realms).
func (us *Users) Realms() []string {
	var realms []string
	if us != nil {
		for _, u := range us.byID {
			if u.realm != "" {
				realms = append(realms, u.realm)
			}
		}
	}
	slices.Sort(realms)
	return slices.Compact(realms)
}

// lookup returns the user authid may join realm as, or nil and why not
// (for the log).
func (us *Users) lookup(authid, realm string) (*user, string) {
	u := us.byID[authid]
	if u == nil {
		return nil, fmt.Sprintf("no user %.64q", authid)
	}
	if u.realm != "" && u.realm != realm {
		return nil, fmt.Sprintf("user %q may join realm %q only, not %.64q", u.authid, u.realm, realm)
	}
	return u, ""
}

// methods lists the challenge–response methods the table serves.
func (us *Users) methods() []string {
	var m []string
	if us != nil && us.cra {
		m = append(m, MethodWAMPCRA)
	}
	if us != nil && us.keys {
		m = append(m, MethodCryptosign)
	}
	return m
}
