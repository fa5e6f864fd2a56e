package wamp_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// joinAs joins a session with auth on a recording connection.
func joinAs(realm *wamp.Realm, proto *wamp.Protocol, auth *wamp.Auth) (*wamp.Session, *wamptest.Conn) {
	c := wamptest.NewConn("test:1")
	s := realm.NewSession(c, proto, auth)
	s.Join()
	return s, c
}

func TestDiscloseMeCarriesAuthIDAndRole(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	var got []*wamp.Publication
	r2 := newRouter(t, wamp.RouterConfig{Relay: func(p *wamp.Publication) {
		if p.Topic == "t" {
			got = append(got, p)
		}
	}})
	for _, rt := range []*wamp.Router{r, r2} {
		s, _ := joinAs(rt.V1Realm(), &newTestProto("t").Protocol, &wamp.Auth{ID: "alice", Role: "trader"})
		anon, _ := joinAs(rt.V1Realm(), &newTestProto("t").Protocol, nil)
		p := event("t", "1")
		p.DiscloseMe = true
		if err := s.Publish(p); err != nil {
			t.Fatal(err)
		}
		if p.Auth == nil || p.Auth.PublisherAuthID != "alice" || p.Auth.PublisherAuthRole != "trader" {
			t.Fatalf("disclosed %+v", p.Auth)
		}
		p = event("t", "1")
		p.DiscloseMe = true
		if err := anon.Publish(p); err != nil {
			t.Fatal(err)
		}
		if p.Auth == nil || p.Auth.PublisherAuthID != strconv.FormatUint(uint64(anon.ID()), 10) || p.Auth.PublisherAuthRole != "anonymous" {
			t.Fatalf("anonymous disclosed %+v", p.Auth)
		}
		p = event("t", "1")
		if err := s.Publish(p); err != nil {
			t.Fatal(err)
		}
		if p.Auth != nil {
			t.Fatalf("not disclosed, yet %+v", p.Auth)
		}
	}
	if len(got) != 3 || got[0].Auth.PublisherAuthID != "alice" {
		t.Fatalf("relayed %d publications", len(got))
	}
}

// authOf returns p.Auth, making it when nil.
func authOf(p *wamp.Publication) *wamp.PublicationAuth {
	if p.Auth == nil {
		p.Auth = &wamp.PublicationAuth{}
	}
	return p.Auth
}

func TestAuthIDAndAuthRoleFilters(t *testing.T) {
	r := newRouter(t, wamp.RouterConfig{})
	realm := r.V1Realm()
	proto := newTestProto("test")
	type member struct {
		name string
		s    *wamp.Session
		c    *wamptest.Conn
	}
	var members []member
	for _, a := range []struct{ name, id, role string }{
		{"alice", "alice", "trader"}, {"bob", "bob", "trader"}, {"carol", "carol", "viewer"},
		{"dave", "", "viewer"}, {"anon", "", ""},
	} {
		auth := &wamp.Auth{ID: a.id, Role: a.role}
		if a.role == "" {
			auth = nil
		}
		s, c := joinAs(realm, &proto.Protocol, auth)
		subscribe(t, s, "t")
		members = append(members, member{a.name, s, c})
	}
	dave, anon := members[3].s, members[4].s
	receivers := func(pub *wamp.Publication) []string {
		t.Helper()
		r.Publish(pub)
		var got []string
		for _, m := range members {
			switch n := len(m.c.Take()); n {
			case 0:
			case 1:
				got = append(got, m.name)
			default:
				t.Fatalf("%s got %d events", m.name, n)
			}
		}
		return got
	}
	id := func(s *wamp.Session) string { return strconv.FormatUint(uint64(s.ID()), 10) }
	many := make([]string, 20) // past the linear scan
	for i := range many {
		many[i] = "x" + strconv.Itoa(i)
	}
	for _, tc := range []struct {
		name string
		set  func(p *wamp.Publication)
		want []string
	}{
		{"no filter", func(*wamp.Publication) {}, []string{"alice", "bob", "carol", "dave", "anon"}},
		{"exclude_authid", func(p *wamp.Publication) { authOf(p).ExcludeAuthID = []string{"bob", id(anon)} },
			[]string{"alice", "carol", "dave"}},
		{"eligible_authid", func(p *wamp.Publication) { authOf(p).EligibleAuthID = []string{"carol", id(dave), "nobody"} },
			[]string{"carol", "dave"}},
		{"exclude_authrole", func(p *wamp.Publication) { authOf(p).ExcludeAuthRole = []string{"viewer"} },
			[]string{"alice", "bob", "anon"}},
		{"eligible_authrole", func(p *wamp.Publication) { authOf(p).EligibleAuthRole = []string{"trader", "anonymous"} },
			[]string{"alice", "bob", "anon"}},
		{"every list must pass", func(p *wamp.Publication) {
			authOf(p).EligibleAuthRole = []string{"trader", "viewer"}
			authOf(p).ExcludeAuthID = []string{"alice"}
			p.Exclude = []wamp.ID{members[2].s.ID()}
		}, []string{"bob", "dave"}},
		{"long lists", func(p *wamp.Publication) { authOf(p).EligibleAuthID = append(slices.Clone(many), "bob", id(dave)) },
			[]string{"bob", "dave"}},
		{"eligible ids with an authrole filter", func(p *wamp.Publication) {
			p.Eligible = []wamp.ID{members[0].s.ID(), dave.ID()}
			authOf(p).ExcludeAuthRole = []string{"trader"}
		}, []string{"dave"}},
		{"an empty string names nobody", func(p *wamp.Publication) { authOf(p).EligibleAuthID = []string{""} }, nil},
	} {
		pub := event("t", "1")
		tc.set(pub)
		if got := receivers(pub); !slices.Equal(got, tc.want) {
			t.Errorf("%s: delivered to %q, want %q", tc.name, got, tc.want)
		}
	}

	// Retained events keep their filters for late subscribers.
	pub := event("r", "1")
	pub.Retain, pub.Auth = true, &wamp.PublicationAuth{EligibleAuthRole: []string{"viewer"}}
	r.Publish(pub)
	for _, m := range members {
		sub := subscribe(t, m.s, "r")
		got := m.s.Retained(sub, nil)
		if want := m.name == "carol" || m.name == "dave"; (len(got) == 1) != want {
			t.Errorf("%s: %d retained events", m.name, len(got))
		}
	}
}

func TestAuthFilterNeedsNoAllocationPerSubscriber(t *testing.T) {
	allocs := func(subscribers int) float64 {
		r := newRouter(t, wamp.RouterConfig{})
		realm := r.V1Realm()
		proto := &wamp.Protocol{Name: "count", EventFrame: func(*wamp.Publication, *wamp.Subscription) []byte { return []byte{0x81, 0} }}
		for range subscribers {
			s := realm.NewSession(&countConn{}, proto, nil)
			s.Join()
			subscribe(t, s, "t")
		}
		return testing.AllocsPerRun(50, func() {
			r.Publish(&wamp.Publication{Topic: "t", Auth: &wamp.PublicationAuth{ExcludeAuthID: []string{"1"}, EligibleAuthRole: []string{"anonymous"}}})
		})
	}
	if few, many := allocs(10), allocs(500); many > few {
		t.Fatalf("%v allocations per publication to 500 subscribers, %v to 10", many, few)
	}
}
