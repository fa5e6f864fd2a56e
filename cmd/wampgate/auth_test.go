package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wampgate/wampgate/internal/wstest"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// jwtSecret is an HS256 secret for the tests below.
const jwtSecret = "a test secret of at least thirty-two bytes"

// authFrom loads the --config file at path (none when "") and builds the
// authentication of `wampgate run args...` serving realms.
func authFrom(t *testing.T, path string, realms []string, args ...string) (string, error) {
	t.Helper()
	if path != "" {
		args = append(args, "--config", path)
	}
	c := parseRun(t, args...)
	file, err := loadConfigFile(c.String("config"), quietLog)
	if err != nil {
		return "", err
	}
	a, err := authenticatorFrom(c, file, realms, quietLog)
	if err != nil {
		return "", err
	}
	return strings.Join(a.Methods(), ","), nil
}

func TestEveryAuthFlagHasAnEnvironmentVariable(t *testing.T) {
	for _, f := range authFlags() {
		name := f.Names()[0]
		want := "WAMPGATE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if env := f.(interface{ GetEnvVars() []string }).GetEnvVars(); len(env) != 1 || env[0] != want {
			t.Errorf("--%s: env %v, want %s", name, env, want)
		}
	}
}

func TestAuthenticationSettings(t *testing.T) {
	secret := writeFile(t, "jwt.secret", jwtSecret+"\n", 0o600)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	public := writeFile(t, "jwt.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), 0o644)
	pub := hex.EncodeToString(priv.Public().(ed25519.PublicKey))
	users := writeFile(t, "users.yaml", `users:
  - {authid: alice, role: admin, realm: realm1, secret: s3cr3t}
  - authid: bob
    role: user
    secret: ZGVyaXZlZA==
    salt: pepper
    iterations: 1000
    keylen: 32
  - {authid: dev, role: device, pubkey: `+pub+`}
`, 0o600)
	for _, tc := range []struct {
		name string
		path string
		args []string
		env  map[string]string
		want string
	}{
		{"nothing: anonymous", "", nil, nil, "anonymous"},
		{"secret file", "", []string{"--jwt-secret-file", secret}, nil, "ticket"},
		{"public key from the environment", "", nil, map[string]string{"WAMPGATE_JWT_PUBLIC_KEY_FILE": public}, "ticket"},
		{"anonymous too", "", []string{"--jwt-secret-file", secret, "--allow-anonymous"}, nil, "ticket,anonymous"},
		{"users", users, nil, nil, "wampcra,cryptosign"},
		{"users and key in the file", writeFile(t, "all.yaml", "jwt_secret_file: "+secret+"\njwt_cookie: jwt\nallow_anonymous: true\nusers: [{authid: a, role: r, secret: s}]\n", 0o600),
			nil, nil, "ticket,wampcra,anonymous"},
		{"the flag wins over the file", writeFile(t, "anon.yaml", "jwt_secret_file: "+secret+"\nallow_anonymous: true\n", 0o600),
			[]string{"--allow-anonymous=false"}, nil, "ticket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			got, err := authFrom(t, tc.path, []string{"realm1"}, tc.args...)
			if err != nil || got != tc.want {
				t.Fatalf("methods %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func TestAuthenticationErrors(t *testing.T) {
	secret := writeFile(t, "jwt.secret", jwtSecret, 0o600)
	short := writeFile(t, "short.secret", "tiny\n", 0o600)
	private := writeFile(t, "private.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0o600)
	for _, tc := range []struct {
		name, file string
		args       []string
		want       string
	}{
		{"both keys", "", []string{"--jwt-secret-file", secret, "--jwt-public-key-file", secret}, "both a JWT secret file and a JWT public key file"},
		{"short secret", "", []string{"--jwt-secret-file", short}, "--jwt-secret-file " + short + ": HS256 secret of 4 bytes: at least 32"},
		{"missing secret", "", []string{"--jwt-secret-file", short + ".none"}, "--jwt-secret-file: open"},
		{"private key", "", []string{"--jwt-public-key-file", private}, "give the public key"},
		{"cookie without key", "", []string{"--jwt-cookie", "jwt"}, "no JWT key is configured"},
		{"nobody may connect", "", []string{"--allow-anonymous=false"}, "no client could connect"},
		{"users not a list", "users: {alice: x}\n", nil, "line 1: users: want a list of users"},
		{"user not a mapping", "users: [alice]\n", nil, "user 1 (line 1): want a mapping"},
		{"unknown user key", "users:\n  - authid: a\n    rol: r\n", nil, `user 1 line 3: unknown key "rol"`},
		{"user key twice", "users:\n  - {authid: a, authid: b}\n", nil, `user 1 line 2: key "authid" given twice`},
		{"iterations not a number", "users: [{authid: a, role: r, secret: s, salt: x, iterations: many, keylen: 32}]\n", nil, "user 1 line 1: iterations"},
		{"no role", "users: [{authid: a, secret: s}]\n", nil, `--config users: user 1 ("a"): role is missing`},
		{"bad pubkey", "users: [{authid: a, role: r, pubkey: abc}]\n", nil, "pubkeys[0]: an Ed25519 public key is 64 hex digits"},
		{"realm not served", "users: [{authid: a, role: r, secret: s, realm: realm9}]\n", nil, `realm "realm9" is not one this node serves (realm1)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.file != "" {
				path = writeFile(t, "c.yaml", tc.file, 0o600)
			}
			_, err := authFrom(t, path, nil, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestAuthenticatedProcess runs a node with a JWT secret file (through
// its environment variable) and a users table: a v1 client with a token
// gets in, one without gets 401, a v2 client signs in with WAMP-CRA.
func TestAuthenticatedProcess(t *testing.T) {
	secret := writeFile(t, "jwt.secret", jwtSecret+"\n", 0o600)
	config := writeFile(t, "users.yaml", "users: [{authid: alice, role: admin, secret: s3cr3t}]\n", 0o600)
	addr := freeAddr(t)
	p := startNodeProcess(t, addr, []string{"WAMPGATE_JWT_SECRET_FILE=" + secret}, "--config", config)
	waitHealthy(t, p, 10*time.Second)

	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice"}).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	req := wstest.UpgradeRequest(addr, "wamp")
	req.Target = "/?token=" + tok
	c, err := wstest.Connect(addr, req)
	if err != nil {
		t.Fatalf("v1 with a token: %v", err)
	}
	defer c.Close()
	if msg, err := c.ReadText(5 * time.Second); err != nil || !strings.HasPrefix(msg, "[0,") {
		t.Fatalf("v1 WELCOME: %q %v", msg, err)
	}
	refused, err := wstest.Connect(addr, nil)
	if refused != nil {
		defer refused.Close()
	}
	if err == nil || refused.Response == nil || refused.Response.StatusCode != 401 {
		t.Fatalf("v1 without a token: %v", err)
	}
	v2 := dialJSON(t, addr)
	send(t, v2, `[1,"realm1",{"roles":{"subscriber":{}},"authmethods":["wampcra"],"authid":"alice"}]`)
	got, err := v2.ReadText(5 * time.Second)
	var challenge []any
	if err != nil || json.Unmarshal([]byte(got), &challenge) != nil || len(challenge) != 3 || challenge[1] != "wampcra" {
		t.Fatalf("CHALLENGE: %q %v", got, err)
	}
	text, _ := challenge[2].(map[string]any)["challenge"].(string)
	mac := hmac.New(sha256.New, []byte("s3cr3t"))
	mac.Write([]byte(text))
	send(t, v2, `[5,"`+base64.StdEncoding.EncodeToString(mac.Sum(nil))+`",{}]`)
	if got, err := v2.ReadText(5 * time.Second); err != nil || !welcomeRE.MatchString(got) ||
		!strings.Contains(got, `"authid":"alice","authmethod":"wampcra","authprovider":"static","authrole":"admin"`) {
		t.Fatalf("WELCOME: %q %v", got, err)
	}
	if strings.Contains(p.logs.String(), tok) || !strings.Contains(p.logs.String(), "msg=authentication jwt=HS256") {
		t.Fatalf("logs:\n%s", p.logs.String())
	}
}
