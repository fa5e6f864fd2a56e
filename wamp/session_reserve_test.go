package wamp_test

import (
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// A reserved id is the one Join keeps; the reserved session is not live
// (no lookup finds it, eligible lists skip it); Leave before Join frees
// the id; Admit sets the hook's identity.
func TestSessionReserve(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	p := newTestProto("p")
	realm := r.V1Realm()
	s := realm.NewSession(wamptest.NewConn("a"), &p.Protocol, nil)
	id := s.Reserve()
	if id == 0 || s.Reserve() != id || r.Registered() != 1 {
		t.Fatalf("Reserve: id %d, again %d, registered %d", id, s.Reserve(), r.Registered())
	}
	if realm.Session(id) != nil || r.Stats().Sessions != 0 {
		t.Fatal("a reserved session is live")
	}
	s.Admit("alice", "trader")
	s.Join()
	if s.ID() != id || realm.Session(id) != s || s.AuthID() != "alice" || s.AuthRole() != "trader" ||
		s.AuthMethod() != wamp.Anonymous || s.AuthProvider() != wamp.HookProvider {
		t.Fatalf("joined as %d %s %s %s %s", s.ID(), s.AuthID(), s.AuthRole(), s.AuthMethod(), s.AuthProvider())
	}
	s.Leave()

	gone := realm.NewSession(wamptest.NewConn("b"), &p.Protocol, nil)
	gone.Reserve()
	gone.Admit("", "") // nothing to change: stays anonymous
	gone.Leave()
	if r.Registered() != 0 || gone.AuthRole() != wamp.Anonymous || gone.AuthProvider() != wamp.StaticProvider {
		t.Fatalf("registered %d after Leave; role %s provider %s", r.Registered(), gone.AuthRole(), gone.AuthProvider())
	}
}
