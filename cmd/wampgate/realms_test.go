package main

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

func TestRealmsFromConfigFile(t *testing.T) {
	path := writeFile(t, "realms.yaml", "realms:\n  - com.example.a\n  - com.example.b\nv1_realm: com.example.b\n", 0o600)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	file, err := loadConfigFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	realms, v1 := realmsFrom(parseRun(t, "--config", path), file)
	if strings.Join(realms, " ") != "com.example.a com.example.b" || v1 != "com.example.b" {
		t.Errorf("from the file: realms %q, v1 realm %q", realms, v1)
	}
	// Flags and environment variables win, each on its own.
	realms, v1 = realmsFrom(parseRun(t, "--config", path, "--realm", "x,com.example.b"), file)
	if strings.Join(realms, " ") != "x com.example.b" || v1 != "com.example.b" {
		t.Errorf("--realm over the file: realms %q, v1 realm %q", realms, v1)
	}
	t.Setenv("WAMPGATE_V1_REALM", "com.example.a")
	realms, v1 = realmsFrom(parseRun(t, "--config", path), file)
	if strings.Join(realms, " ") != "com.example.a com.example.b" || v1 != "com.example.a" {
		t.Errorf("WAMPGATE_V1_REALM over the file: realms %q, v1 realm %q", realms, v1)
	}
}

// TestRealmsOfAConfiguredProcess runs a node whose realms come from its
// --config file and checks them with a WAMP v2 client and a v1 client.
func TestRealmsOfAConfiguredProcess(t *testing.T) {
	path := writeFile(t, "realms.yaml", "realms: [com.example.a, com.example.b]\nv1_realm: com.example.b\n", 0o600)
	addr := freeAddr(t)
	p := startNodeProcess(t, addr, nil, "--config", path)
	waitHealthy(t, p, 10*time.Second)

	v1 := subscriber(t, addr, "com.example.t")
	inA, inB := helloJSON(t, addr, "com.example.a"), helloJSON(t, addr, "com.example.b")
	send(t, inA, `[16,1,{},"com.example.t",["from a"]]`)
	send(t, inB, `[16,1,{},"com.example.t",["from b"]]`)
	expectEvent(t, v1, "com.example.t", `"from b"`)
	if frames, err := v1.Sync(5 * time.Second); err != nil || len(frames) > 0 {
		t.Fatalf("the v1 session in com.example.b got %v (%v)", frames, err)
	}
	// realm1 is not configured.
	c := dialJSON(t, addr)
	send(t, c, `[1,"realm1",{"roles":{"subscriber":{}}}]`)
	if got, err := c.ReadText(5 * time.Second); err != nil || got != `[3,{"message":"no realm \"realm1\" on this node"},"wamp.error.no_such_realm"]` {
		t.Fatalf("HELLO realm1: %q %v", got, err)
	}
}

// dialJSON connects a WAMP v2 JSON client.
func dialJSON(t *testing.T, addr string) *wstest.Client {
	t.Helper()
	c, err := wstest.Connect(addr, wstest.UpgradeRequest(addr, "wamp.2.json"))
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// welcomeRE matches a WAMP v2 JSON WELCOME.
var welcomeRE = regexp.MustCompile(`^\[2,[0-9]+,\{.*\}\]$`)

// helloJSON connects a WAMP v2 JSON client and joins realm.
func helloJSON(t *testing.T, addr, realm string) *wstest.Client {
	t.Helper()
	c := dialJSON(t, addr)
	send(t, c, `[1,"`+realm+`",{"roles":{"publisher":{}}}]`)
	if got, err := c.ReadText(5 * time.Second); err != nil || !welcomeRE.MatchString(got) {
		t.Fatalf("HELLO %s: %q %v", realm, got, err)
	}
	return c
}

func send(t *testing.T, c *wstest.Client, msg string) {
	t.Helper()
	if err := c.SendText(msg); err != nil {
		t.Fatal(err)
	}
}
