package httpapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"
)

// MinKeyLength is the shortest API key accepted, in bytes.
const MinKeyLength = 16

// Keys is a set of API keys, immutable once made. Only their SHA-256
// digests are kept: a request's key is hashed once and compared in
// constant time with every digest, so neither the keys' contents nor
// their lengths show in how long a check takes.
type Keys struct {
	sums [][sha256.Size]byte
}

// NewKeys makes a key set. Every key must be at least MinKeyLength bytes
// of visible ASCII (no spaces), and there must be one at least.
func NewKeys(keys [][]byte) (*Keys, error) {
	if len(keys) == 0 {
		return nil, errors.New("no API key")
	}
	k := &Keys{sums: make([][sha256.Size]byte, len(keys))}
	for i, key := range keys {
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("API key %d: %w", i+1, err)
		}
		k.sums[i] = sha256.Sum256(key)
	}
	return k, nil
}

// Len is the number of keys.
func (k *Keys) Len() int { return len(k.sums) }

// checkKey says what is wrong with key, never showing it.
func checkKey(key []byte) error {
	if len(key) < MinKeyLength {
		return fmt.Errorf("shorter than %d characters", MinKeyLength)
	}
	for _, c := range key {
		if c < 0x21 || c > 0x7e {
			return errors.New("holds a character that is not visible ASCII (spaces included)")
		}
	}
	return nil
}

// ParseKeyFile reads API keys from the content of a key file: one key a
// line; spaces around a key, blank lines and lines starting with '#' are
// ignored. Errors name the line, never the key.
func ParseKeyFile(data []byte) ([][]byte, error) {
	var keys [][]byte
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := checkKey(line); err != nil {
			return nil, fmt.Errorf("line %d: the key %w", i+1, err)
		}
		keys = append(keys, bytes.Clone(line))
	}
	if len(keys) == 0 {
		return nil, errors.New("no key in the file (one key a line; blank lines and # comments are ignored)")
	}
	return keys, nil
}

// LoadKeyFile reads and parses the key file at path (see ParseKeyFile).
func LoadKeyFile(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("API key file: %w", err)
	}
	keys, err := ParseKeyFile(b)
	if err != nil {
		return nil, fmt.Errorf("API key file %s: %w", path, err)
	}
	return keys, nil
}

// Check reports whether authorization, an Authorization header's value,
// is "Bearer KEY" with one of the keys (the scheme in any case). It
// compares the key's digest with every key's, whatever matches first.
func (k *Keys) Check(authorization string) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range k.sums {
		match |= subtle.ConstantTimeCompare(sum[:], k.sums[i][:])
	}
	return match == 1
}
