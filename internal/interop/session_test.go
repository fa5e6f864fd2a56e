package interop

// Joining and leaving: HELLO/WELCOME, GOODBYE from either side, a new
// HELLO on the same connection, ABORT for an unknown realm.

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// wantFeatures are the router features the scenarios below rely on; the
// WELCOME must announce each of them as true.
var wantFeatures = map[string][]string{
	"broker": {"pattern_based_subscription", "publisher_exclusion", "publisher_identification", "subscriber_blackwhite_listing"},
	"dealer": {"call_canceling", "call_timeout", "caller_identification", "progressive_call_results"},
}

// joined is what the join scenarios report about one WELCOME.
type joined struct {
	Session    json.Number         `json:"session"`
	Realm      string              `json:"realm"`
	Authid     string              `json:"authid"`
	Authrole   string              `json:"authrole"`
	Authmethod string              `json:"authmethod"`
	Roles      map[string][]string `json:"roles"`
}

func checkWelcome(t *testing.T, what string, j joined) uint64 {
	t.Helper()
	sid := id(t, what+" session", j.Session)
	if j.Realm != realm || j.Authrole != "anonymous" || j.Authmethod != "anonymous" || j.Authid == "" {
		t.Errorf("%s: realm %q authid %q authrole %q authmethod %q; want %q, an authid, anonymous, anonymous",
			what, j.Realm, j.Authid, j.Authrole, j.Authmethod, realm)
	}
	for role, features := range wantFeatures {
		got, ok := j.Roles[role]
		if !ok {
			t.Errorf("%s: WELCOME announces no %s role (roles %v)", what, role, j.Roles)
			continue
		}
		for _, f := range features {
			if !slices.Contains(got, f) {
				t.Errorf("%s: WELCOME %s features %v lack %s", what, role, got, f)
			}
		}
	}
	return sid
}

func TestJoinAndLeave(t *testing.T) {
	n := startNode(t)
	forEach(t, func(t *testing.T, lib *library, ser, _ string) func(*testing.T) {
		c := lib.run(t, wsURL(n), realm, ser, "join", obj{})
		return func(t *testing.T) {
			var res struct {
				First         joined `json:"first"`
				FirstGoodbye  string `json:"first_goodbye"`
				Second        joined `json:"second"`
				SecondGoodbye string `json:"second_goodbye"`
				Close         string `json:"close"`
			}
			c.in(t).result(&res)
			first := checkWelcome(t, "first WELCOME", res.First)
			if res.FirstGoodbye != "wamp.close.goodbye_and_out" {
				t.Errorf("GOODBYE answered with %q, want wamp.close.goodbye_and_out", res.FirstGoodbye)
			}
			switch lib {
			case python:
				// Autobahn|Python keeps the connection open after GOODBYE and
				// sends a new HELLO on it: a new session, a new id.
				second := checkWelcome(t, "WELCOME to the second HELLO", res.Second)
				if second == first {
					t.Errorf("the second HELLO on the connection got the first session's id %d", first)
				}
				if res.SecondGoodbye != "wamp.close.goodbye_and_out" {
					t.Errorf("second GOODBYE answered with %q, want wamp.close.goodbye_and_out", res.SecondGoodbye)
				}
			case js:
				// Autobahn|JS closes the connection once the router answered
				// its GOODBYE: a clean close.
				if res.Close != "closed" {
					t.Errorf("connection ended %q after GOODBYE, want a clean close (\"closed\")", res.Close)
				}
			}
		}
	})
}

func TestJoinUnknownRealmAborts(t *testing.T) {
	n := startNode(t)
	forEach(t, func(t *testing.T, lib *library, ser, _ string) func(*testing.T) {
		c := lib.run(t, wsURL(n), "no.such.realm", ser, "join", obj{})
		return func(t *testing.T) {
			var res struct {
				Aborted struct {
					Reason  string `json:"reason"`
					Message any    `json:"message"`
				} `json:"aborted"`
			}
			c.in(t).result(&res)
			if res.Aborted.Reason != "wamp.error.no_such_realm" {
				t.Errorf("HELLO for an unknown realm: ABORT reason %q, want wamp.error.no_such_realm", res.Aborted.Reason)
			}
		}
	})
}

// TestRouterGoodbyeOnShutdown: a node shutting down says GOODBYE
// (wamp.close.system_shutdown) to every v2 session, whatever its library
// and serializer, and the clients see it as such.
func TestRouterGoodbyeOnShutdown(t *testing.T) {
	n := startNode(t)
	type running struct {
		c    *client
		desc string
	}
	var clients []running
	for _, lib := range libraries {
		for _, ser := range lib.serializers {
			c := lib.run(t, wsURL(n), realm, ser, "await-goodbye", obj{})
			clients = append(clients, running{c, lib.name + "/" + ser})
		}
	}
	for _, r := range clients {
		r.c.ready(nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, r := range clients {
		var res struct {
			Reason string `json:"reason"`
		}
		r.c.result(&res)
		if res.Reason != "wamp.close.system_shutdown" {
			t.Errorf("%s: left with %q, want wamp.close.system_shutdown", r.desc, res.Reason)
		}
	}
}
