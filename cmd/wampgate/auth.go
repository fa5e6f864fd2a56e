package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/wamp"
)

// authFlags are the authentication settings of `wampgate run`; the
// --config file's jwt_secret_file, jwt_public_key_file, jwt_cookie,
// allow_anonymous and users hold them too (flags and their environment
// variables win).
func authFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "jwt-secret-file", EnvVars: env("JWT_SECRET_FILE"),
			Usage: "file holding the HS256 secret JWTs are verified with (at least 32 bytes; a trailing newline is ignored)"},
		&cli.StringFlag{Name: "jwt-public-key-file", EnvVars: env("JWT_PUBLIC_KEY_FILE"),
			Usage: "PEM file holding the public key JWTs are verified with: RSA → RS256, ECDSA P-256 → ES256, Ed25519 → EdDSA"},
		&cli.StringFlag{Name: "jwt-cookie", EnvVars: env("JWT_COOKIE"),
			Usage: "name of a cookie that may carry the JWT at the WebSocket handshake"},
		&cli.BoolFlag{Name: "allow-anonymous", EnvVars: env("ALLOW_ANONYMOUS"),
			Usage: "let clients without credentials in, as role anonymous (default: on when no JWT key and no users are configured, else off)"},
	}
}

// authenticatorFrom builds the node's authentication from the flags,
// their environment variables and the --config file's content, file (in
// that order of precedence): the JWT key (the files are read now), the
// users (their realms must be among realms, the node's; empty:
// realm1), the token cookie and the anonymous policy. A reload calls it
// again with the re-read file and hands the result to
// (*gateway.Node).SetAuth.
func authenticatorFrom(c *cli.Context, file fileConfig, realms []string, log *slog.Logger) (*auth.Authenticator, error) {
	key, err := jwtKeyFrom(c, file, log)
	if err != nil {
		return nil, err
	}
	var users *auth.Users
	if len(file.Users) > 0 {
		if users, err = auth.NewUsers(file.Users); err != nil {
			return nil, fmt.Errorf("--config users: %w", err)
		}
		if len(realms) == 0 {
			realms = []string{wamp.DefaultRealm}
		}
		for _, r := range users.Realms() {
			if !slices.Contains(realms, r) {
				return nil, fmt.Errorf("--config users: realm %q is not one this node serves (%s)", r, strings.Join(realms, ", "))
			}
		}
	}
	anonymous := key == nil && users == nil
	switch {
	case c.IsSet("allow-anonymous"):
		anonymous = c.Bool("allow-anonymous")
	case file.AllowAnonymous != nil:
		anonymous = *file.AllowAnonymous
	}
	a, err := auth.New(auth.Config{JWT: key, Cookie: pick(c, "jwt-cookie", file.JWTCookie), Users: users, AllowAnonymous: anonymous})
	if err != nil {
		return nil, fmt.Errorf("authentication: %w", err)
	}
	if a.Configured() {
		alg := "none"
		if key != nil {
			alg = key.Algorithm()
		}
		log.Info("authentication", "jwt", alg, "jwt_cookie", a.TokenCookie(), "users", users.Len(),
			"methods", strings.Join(a.Methods(), ","))
	}
	return a, nil
}

// jwtKeyFrom reads the JWT key of --jwt-secret-file or
// --jwt-public-key-file (or the --config file's keys); nil when neither
// is given.
func jwtKeyFrom(c *cli.Context, file fileConfig, log *slog.Logger) (*auth.JWTKey, error) {
	secretPath := pick(c, "jwt-secret-file", file.JWTSecretFile)
	keyPath := pick(c, "jwt-public-key-file", file.JWTPublicKeyFile)
	switch {
	case secretPath != "" && keyPath != "":
		return nil, errors.New("both a JWT secret file and a JWT public key file are given: give one (the algorithm follows the key)")
	case secretPath != "":
		b, err := os.ReadFile(secretPath)
		if err != nil {
			return nil, fmt.Errorf("--jwt-secret-file: %w", err)
		}
		key, err := auth.NewHMACKey([]byte(strings.TrimRight(string(b), "\r\n")))
		if err != nil {
			return nil, fmt.Errorf("--jwt-secret-file %s: %w", secretPath, err)
		}
		warnIfShared(secretPath, "the JWT secret file", log)
		return key, nil
	case keyPath != "":
		b, err := os.ReadFile(keyPath)
		if err != nil {
			return nil, fmt.Errorf("--jwt-public-key-file: %w", err)
		}
		key, err := auth.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("--jwt-public-key-file %s: %w", keyPath, err)
		}
		return key, nil
	}
	return nil, nil
}

// userKeys are the keys of an entry of the --config file's users.
var userKeys = []string{"authid", "role", "realm", "secret", "salt", "iterations", "keylen", "pubkey", "pubkeys"}

// userEntries is the --config file's users: a list of mappings, each
// with the keys userKeys (pubkey is one key, pubkeys a list); unknown
// and repeated keys are errors. auth.NewUsers checks the values.
type userEntries []auth.User

// UnmarshalYAML implements yaml.Unmarshaler.
func (u *userEntries) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("want a list of users, each a mapping with the keys %s", strings.Join(userKeys, ", "))
	}
	for i, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			return fmt.Errorf("user %d (line %d): want a mapping with the keys %s", i+1, item.Line, strings.Join(userKeys, ", "))
		}
		var (
			e   auth.User
			one string
		)
		fields := map[string]any{"authid": &e.AuthID, "role": &e.Role, "realm": &e.Realm, "secret": &e.Secret,
			"salt": &e.Salt, "iterations": &e.Iterations, "keylen": &e.KeyLen, "pubkey": &one, "pubkeys": &e.PubKeys}
		seen := map[string]bool{}
		for j := 0; j+1 < len(item.Content); j += 2 {
			key, value := item.Content[j], item.Content[j+1]
			field, ok := fields[key.Value]
			if !ok {
				return fmt.Errorf("user %d line %d: unknown key %q (known keys: %s)", i+1, key.Line, key.Value, strings.Join(userKeys, ", "))
			}
			if seen[key.Value] {
				return fmt.Errorf("user %d line %d: key %q given twice", i+1, key.Line, key.Value)
			}
			seen[key.Value] = true
			if err := value.Decode(field); err != nil {
				return fmt.Errorf("user %d line %d: %s: %w", i+1, value.Line, key.Value, err)
			}
		}
		if one != "" {
			e.PubKeys = append([]string{one}, e.PubKeys...)
		}
		*u = append(*u, e)
	}
	return nil
}
