package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// apiStatus posts a publication to the node's HTTP API with key and
// returns the status.
func apiStatus(t *testing.T, addr, key string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/publish", strings.NewReader(`{"topic":"t","args":["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// craJoin runs a WAMP-CRA HELLO for authid with secret and returns the
// node's last answer: WELCOME or ABORT.
func craJoin(t *testing.T, addr, authid, secret string) string {
	t.Helper()
	c := dialJSON(t, addr)
	send(t, c, `[1,"realm1",{"authid":"`+authid+`","authmethods":["wampcra"],"roles":{"subscriber":{}}}]`)
	got, err := c.ReadText(5 * time.Second)
	if err != nil {
		t.Fatalf("CHALLENGE: %v", err)
	}
	var challenge []any
	if err := json.Unmarshal([]byte(got), &challenge); err != nil || len(challenge) != 3 || challenge[0] != float64(4) {
		t.Fatalf("CHALLENGE: %q %v", got, err)
	}
	extra, _ := challenge[2].(map[string]any)
	text, _ := extra["challenge"].(string)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(text))
	send(t, c, `[5,"`+base64.StdEncoding.EncodeToString(mac.Sum(nil))+`",{}]`)
	got, err = c.ReadText(5 * time.Second)
	if err != nil {
		t.Fatalf("after AUTHENTICATE: %v", err)
	}
	return got
}

// TestSighupReloadsUsersAndAPIKeys rewrites a running node's users table
// and API key file and sends SIGHUP: the new secret and key work at once,
// the old ones no longer do; a broken key file is refused and the keys in
// force stay.
func TestSighupReloadsUsersAndAPIKeys(t *testing.T) {
	config := writeFile(t, "users.yaml", "allow_anonymous: true\nusers:\n  - {authid: alice, role: user, secret: first-secret}\n", 0o600)
	keys := writeFile(t, "api-keys", "first-key-0123456789\n", 0o600)
	addr := freeAddr(t)
	p := startNodeProcess(t, addr, nil, "--config", config, "--api-key-file", keys)
	waitHealthy(t, p, 10*time.Second)

	if got := apiStatus(t, addr, "first-key-0123456789"); got != http.StatusOK {
		t.Fatalf("the first key: %d", got)
	}
	if got := craJoin(t, addr, "alice", "first-secret"); !strings.HasPrefix(got, "[2,") {
		t.Fatalf("the first secret: %q", got)
	}

	rewrite(t, config, "allow_anonymous: true\nusers:\n  - {authid: alice, role: user, secret: second-secret}\n")
	rewrite(t, keys, "second-key-0123456789\n")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, p, `msg="SIGHUP: configuration reloaded" config=`+config+` reloaded=roles,authentication,api_keys`, 1)
	if got := apiStatus(t, addr, "first-key-0123456789"); got != http.StatusUnauthorized {
		t.Fatalf("the old key after the reload: %d", got)
	}
	if got := apiStatus(t, addr, "second-key-0123456789"); got != http.StatusOK {
		t.Fatalf("the new key after the reload: %d", got)
	}
	if got := craJoin(t, addr, "alice", "first-secret"); got != `[3,{"message":"wrong authid or secret"},"wamp.error.authentication_failed"]` {
		t.Fatalf("the old secret after the reload: %q", got)
	}
	if got := craJoin(t, addr, "alice", "second-secret"); !strings.HasPrefix(got, "[2,") || !strings.Contains(got, `"authid":"alice"`) {
		t.Fatalf("the new secret after the reload: %q", got)
	}

	// A broken key file refuses the whole reload: the users table stays
	// too, even though it changed.
	rewrite(t, config, "allow_anonymous: true\nusers:\n  - {authid: alice, role: user, secret: third-secret}\n")
	rewrite(t, keys, "short\n")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, p, `SIGHUP: configuration refused, the running one stays" err="--api-key-file: API key file `+keys+`: line 1: the key shorter than 16 characters"`, 1)
	if got := apiStatus(t, addr, "second-key-0123456789"); got != http.StatusOK {
		t.Fatalf("the key in force after a refused reload: %d", got)
	}
	if got := craJoin(t, addr, "alice", "second-secret"); !strings.HasPrefix(got, "[2,") {
		t.Fatalf("the secret in force after a refused reload: %q", got)
	}
	if strings.Contains(p.logs.String(), "second-key") || strings.Contains(p.logs.String(), "secret\"") {
		t.Fatalf("a key or secret was logged:\n%s", p.logs.String())
	}
}
