package main

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/wampgate/wampgate/gateway"
	"github.com/wampgate/wampgate/wamp"
)

// syncBuffer is a log destination tests read while the node writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// rewrite replaces the content of the file at path.
func rewrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// mayPublish asks the node's roles whether anonymous may publish to topic.
func mayPublish(node *gateway.Node, topic string) bool {
	a := node.Router().Authorizer()
	return a == nil || a.Authorize(wamp.Anonymous, wamp.ActionPublish, topic, wamp.MatchExact)
}

func TestReloadSwapsRolesAllOrNothing(t *testing.T) {
	path := writeFile(t, "c.yaml", "roles:\n  anonymous:\n    - {uri: a, allow: [publish]}\n", 0o600)
	file, err := loadConfigFile(path, discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg := gateway.DefaultConfig()
	cfg.Addr, cfg.Logger, cfg.Roles = "127.0.0.1:0", discard, file.Roles
	node, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	r := &reloader{c: parseRun(t, "--config", path), path: path, last: file, parts: reloadables(node, nil, discard),
		log: slog.New(slog.NewTextHandler(&logs, nil))}
	if !mayPublish(node, "a") || mayPublish(node, "b") {
		t.Fatal("the roles at start do not apply")
	}

	rewrite(t, path, "roles:\n  anonymous:\n    - {uri: b, allow: [publish]}\n")
	if err := r.reload(); err != nil {
		t.Fatal(err)
	}
	if mayPublish(node, "a") || !mayPublish(node, "b") {
		t.Fatal("the reloaded roles do not apply")
	}
	if got := logs.take(); !strings.Contains(got, `msg="SIGHUP: configuration reloaded" config=`+path+` reloaded=roles,authentication roles=anonymous`) {
		t.Fatalf("log: %s", got)
	}

	// A broken file is refused with one line; the roles stay.
	rewrite(t, path, "roles:\n  anonymous:\n    - {uri: c, allow: [publsh]}\n")
	if err := r.reload(); err == nil {
		t.Fatal("a broken file was accepted")
	}
	got := logs.take()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, `level=ERROR msg="SIGHUP: configuration refused, the running one stays" err="--config `+path+` line 3: roles: role \"anonymous\", rule 1: allow: unknown action \"publsh\"`) {
		t.Fatalf("log: %s", got)
	}
	if !mayPublish(node, "b") || mayPublish(node, "c") {
		t.Fatal("a refused file changed the roles")
	}

	// All or nothing: a part that fails keeps every part as it was.
	rewrite(t, path, "roles:\n  anonymous:\n    - {uri: d, allow: [publish]}\n")
	r.parts = append(reloadables(node, nil, discard), reloadable{"keys", func(*cli.Context, fileConfig) (func(), error) {
		return nil, errors.New("keys: no such file")
	}})
	if err := r.reload(); err == nil || !strings.Contains(logs.take(), "keys: no such file") {
		t.Fatalf("a failing part: %v", err)
	}
	if !mayPublish(node, "b") || mayPublish(node, "d") {
		t.Fatal("a failing part let the roles change")
	}
	r.parts = reloadables(node, nil, discard)

	// Without a roles key everything is allowed again; keys that need a
	// restart are named.
	rewrite(t, path, "realms: [realm1, realm2]\n")
	if err := r.reload(); err != nil {
		t.Fatal(err)
	}
	if node.Router().Authorizer() != nil {
		t.Fatal("roles without a roles key")
	}
	if got := logs.take(); !strings.Contains(got, `roles="none: everything allowed"`) ||
		!strings.Contains(got, `level=WARN msg="SIGHUP: these --config keys changed but apply only at the next start" keys=realms`) {
		t.Fatalf("log: %s", got)
	}
}

// waitLog waits until the process has logged want n times.
func waitLog(t *testing.T, p *nodeProcess, want string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); strings.Count(p.logs.String(), want) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q (%d) in the logs:\n%s", want, n, p.logs.String())
		}
	}
}

// TestSighupReloadsRolesOfARunningProcess runs a node whose roles refuse
// a publication, rewrites its --config file and sends SIGHUP: the same
// sessions' next publications are delivered; a broken file is then
// refused with a log line and the roles in force stay.
func TestSighupReloadsRolesOfARunningProcess(t *testing.T) {
	path := writeFile(t, "roles.yaml", "roles:\n  anonymous:\n    - {uri: t, allow: [subscribe]}\n    - {uri: other, allow: [subscribe]}\n", 0o600)
	addr := freeAddr(t)
	p := startNodeProcess(t, addr, nil, "--config", path)
	waitHealthy(t, p, 10*time.Second)

	sub := subscriber(t, addr, "t")
	v1pub := subscriber(t, addr, "other")
	v2pub := helloJSON(t, addr, "realm1")
	refused := `[8,16,%d,{},"wamp.error.not_authorized",["role \"anonymous\" is not authorized to publish \"t\""]]`
	send(t, v2pub, `[16,1,{"acknowledge":true},"t",["v2 refused"]]`)
	if got, err := v2pub.ReadText(5 * time.Second); err != nil || got != strings.Replace(refused, "%d", "1", 1) {
		t.Fatalf("refused PUBLISH: %q %v", got, err)
	}
	send(t, v1pub, `[7,"t","v1 refused"]`)
	if _, err := v1pub.Sync(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if frames, err := sub.Sync(5 * time.Second); err != nil || len(frames) > 0 {
		t.Fatalf("refused publications delivered: %v %v", frames, err)
	}

	rewrite(t, path, "roles:\n  anonymous:\n    - {uri: t, allow: [subscribe, publish]}\n    - {uri: other, allow: [subscribe]}\n")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, p, "SIGHUP: configuration reloaded", 1)
	send(t, v2pub, `[16,2,{"acknowledge":true},"t",["v2 allowed"]]`)
	if got, err := v2pub.ReadText(5 * time.Second); err != nil || !strings.HasPrefix(got, "[17,2,") {
		t.Fatalf("PUBLISHED: %q %v", got, err)
	}
	expectEvent(t, sub, "t", `"v2 allowed"`)
	send(t, v1pub, `[7,"t","v1 allowed"]`)
	expectEvent(t, sub, "t", `"v1 allowed"`)

	// A broken file: one log line, the roles in force stay.
	rewrite(t, path, "roles:\n  anonymous:\n    - {uri: t, allow: [subscribe, publish]}\n    - {uri: other, allow: [sub]}\n")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, p, `SIGHUP: configuration refused, the running one stays" err="--config `+path+` line 4: roles: role \"anonymous\", rule 2: allow: unknown action \"sub\"`, 1)
	send(t, v1pub, `[7,"t","still allowed"]`)
	expectEvent(t, sub, "t", `"still allowed"`)
	send(t, v2pub, `[16,3,{"acknowledge":true},"other",["still refused"]]`)
	if got, err := v2pub.ReadText(5 * time.Second); err != nil ||
		got != `[8,16,3,{},"wamp.error.not_authorized",["role \"anonymous\" is not authorized to publish \"other\""]]` {
		t.Fatalf("refused PUBLISH after the broken file: %q %v", got, err)
	}
	if !strings.Contains(p.logs.String(), `msg="wamp: not authorized" realm=realm1 role=anonymous action=publish uri=t`) {
		t.Fatalf("the first refusal was not logged:\n%s", p.logs.String())
	}
}
