package v2

import (
	"testing"

	"github.com/wampgate/wampgate/wamp"
)

// TestKilledSession: a session killed through wamp.session.kill gets
// GOODBYE (reason, message) in its serializer and its connection is
// closed with 1000; the client's GOODBYE in reply ends the core session
// without an answer.
func TestKilledSession(t *testing.T) {
	forEachFormat(t, func(t *testing.T, p *Protocol) {
		r := newRouter(t, wamp.RouterConfig{MetaKill: true})
		admin, victim := newPeer(t, r, p), newPeer(t, r, p)
		admin.hello()
		id := victim.hello()
		admin.send(48, 1, map[string]any{}, "wamp.session.kill", []any{id}, map[string]any{"message": "bye"})
		admin.expect([]any{50, 1, map[string]any{}})
		victim.expect([]any{6, map[string]any{"message": "bye"}, "wamp.close.killed"})
		if code, reason, closed := victim.c.CloseCode(); !closed || code != 1000 || reason != "session killed" {
			t.Fatalf("victim's connection: closed %v, %d %q", closed, code, reason)
		}
		if victim.s.Core().Live() {
			t.Fatal("the killed core session is live")
		}
		victim.send(6, map[string]any{}, "wamp.close.goodbye_and_out")
		victim.expect()
		if victim.s.Core() != nil {
			t.Fatal("the core session did not leave on the client's GOODBYE")
		}
		victim.s.Closed()
		if st := r.Stats(); st.Sessions != 1 {
			t.Fatalf("%d sessions, want 1", st.Sessions)
		}
	})
}
