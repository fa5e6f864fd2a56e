package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wampgate/wampgate/auth"
	"github.com/wampgate/wampgate/authz"
)

// configKeys are the keys a --config file may hold.
var configKeys = []string{"pool", "node", "cluster_secret", "peer_queue", "peer_queue_bytes", "realms", "v1_realm",
	"jwt_secret_file", "jwt_public_key_file", "jwt_cookie", "allow_anonymous", "users", "roles",
	"hook_url", "hook_connect", "hook_subscribe", "hook_publish", "hook_call", "hook_timeout", "hook_concurrency", "hook_failure",
	"bus", "nats_url", "nats_creds", "nats_token", "nats_tls_ca", "nats_tls_cert", "nats_tls_key", "nats_subject_prefix", "node_slot"}

// fileConfig is the content of a --config file, for example
//
//	pool:
//	  - 10.0.0.1:8095
//	  - 10.0.0.2:8095
//	node: 10.0.0.1:8095
//	cluster_secret: s3cr3t
//	peer_queue: 65536
//	peer_queue_bytes: 67108864
//	realms:
//	  - realm1
//	  - com.example.admin
//	v1_realm: realm1
//	jwt_secret_file: /etc/wampgate/jwt.secret
//	jwt_cookie: jwt
//	allow_anonymous: false
//	users:
//	  - {authid: alice, role: admin, realm: realm1, secret: s3cr3t}
//	  - {authid: sensor-7, role: device, pubkey: 4f2a…(64 hex digits)}
//	roles:
//	  anonymous:
//	    - {uri: "public.", match: prefix, allow: [subscribe]}
//
// (roles: see parseRoles).
type fileConfig struct {
	Pool             []string
	Node             string
	ClusterSecret    string
	PeerQueue        int
	PeerQueueBytes   int
	Realms           []string
	V1Realm          string
	JWTSecretFile    string
	JWTPublicKeyFile string
	JWTCookie        string
	AllowAnonymous   *bool // nil: not given
	Users            userEntries
	// Roles are the compiled roles; nil when the file has no roles key
	// (everything is allowed).
	Roles *authz.Roles
	// Hooks are the hook_* keys.
	Hooks fileHooks
	// Bus are the bus and nats_* keys.
	Bus fileBus
}

// loadConfigFile reads the YAML file at path (nothing when path is
// empty). Unknown and repeated keys are errors, so a misspelt key cannot
// be silently ignored.
func loadConfigFile(path string, log *slog.Logger) (fileConfig, error) {
	if path == "" {
		return fileConfig{}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fileConfig{}, fmt.Errorf("--config: %w", err)
	}
	return parseConfig(path, b, log)
}

// parseConfig reads b, the content of the --config file at path.
func parseConfig(path string, b []byte, log *slog.Logger) (fileConfig, error) {
	var fc fileConfig
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fc, fmt.Errorf("--config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return fc, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fc, fmt.Errorf("--config %s: want a mapping with the keys %s", path, strings.Join(configKeys, ", "))
	}
	fields := map[string]any{
		"pool":                &fc.Pool,
		"node":                &fc.Node,
		"cluster_secret":      &fc.ClusterSecret,
		"peer_queue":          &fc.PeerQueue,
		"peer_queue_bytes":    &fc.PeerQueueBytes,
		"realms":              &fc.Realms,
		"v1_realm":            &fc.V1Realm,
		"jwt_secret_file":     &fc.JWTSecretFile,
		"jwt_public_key_file": &fc.JWTPublicKeyFile,
		"jwt_cookie":          &fc.JWTCookie,
		"allow_anonymous":     &fc.AllowAnonymous,
		"users":               &fc.Users,
		"roles":               &fc.Roles, // parsed by parseRoles
	}
	fc.Hooks.fields(fields)
	fc.Bus.fields(fields)
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i], root.Content[i+1]
		field, ok := fields[key.Value]
		if !ok {
			return fc, fmt.Errorf("--config %s line %d: unknown key %q (known keys: %s)",
				path, key.Line, key.Value, strings.Join(configKeys, ", "))
		}
		if seen[key.Value] {
			return fc, fmt.Errorf("--config %s line %d: key %q given twice", path, key.Line, key.Value)
		}
		seen[key.Value] = true
		if key.Value == "roles" {
			roles, err := parseRoles(value)
			if le := (*lineError)(nil); errors.As(err, &le) {
				return fc, fmt.Errorf("--config %s line %d: roles: %s", path, le.line, le.msg)
			} else if err != nil {
				return fc, fmt.Errorf("--config %s line %d: roles: %w", path, value.Line, err)
			}
			fc.Roles = roles
			continue
		}
		if err := value.Decode(field); err != nil {
			return fc, fmt.Errorf("--config %s line %d: %s: %w", path, value.Line, key.Value, err)
		}
	}
	if fc.ClusterSecret != "" {
		warnIfShared(path, "the --config file holds the cluster secret and", log)
	}
	if slices.ContainsFunc(fc.Users, func(u auth.User) bool { return u.Secret != "" }) {
		warnIfShared(path, "the --config file holds WAMP-CRA secrets and", log)
	}
	return fc, nil
}
