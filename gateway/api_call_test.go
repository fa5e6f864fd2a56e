package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// POST /api/call over real sockets: a raw WAMP v2 callee of each
// serializer gets the exact INVOCATION, its YIELD or ERROR becomes the
// exact answer, and timeouts and clients that leave end the call.

// asyncAnswer is the answer to a request sent by another goroutine.
type asyncAnswer struct {
	r   apiResponse
	err error
}

// postAsync sends a request on its own client and returns the channel
// its answer arrives on.
func postAsync(t *testing.T, addr, path, body string) <-chan asyncAnswer {
	answer := make(chan asyncAnswer, 1)
	c := newAPIClient(t, addr)
	go func() {
		r, err := c.try(context.Background(), http.MethodPost, path, body)
		answer <- asyncAnswer{r, err}
	}()
	return answer
}

// await returns the answer, failing the test after waitLong.
func await(t *testing.T, answer <-chan asyncAnswer) apiResponse {
	t.Helper()
	select {
	case a := <-answer:
		if a.err != nil {
			t.Fatal(a.err)
		}
		return a.r
	case <-time.After(waitLong):
		t.Fatal("no answer")
		return apiResponse{}
	}
}

func TestAPICallReachesAV2Callee(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		for _, f := range v2Formats {
			proc := "com.example.add." + f.String()
			callee := joinRPC(t, n.Addr(), f)
			reg := callee.register(1, dict{}, proc)

			answer := postAsync(t, tg.addr(n), "/api/call",
				`{"procedure":"`+proc+`","args":[2,3.5,"x"],"kwargs":{"by":null,"round":true},"timeout":2000}`)
			callee.expect(68, 1, reg, dict{}, list{2, 3.5, "x"}, dict{"round": true, "by": nil})
			// A progressive result is not asked for: only the final one
			// is the answer.
			callee.send(70, 1, dict{"progress": true}, list{"partial"})
			callee.send(70, 1, dict{}, list{5.5, []byte{0xca, 0xfe}}, dict{"exact": false})
			await(t, answer).expect(t, http.StatusOK, "{\"args\":[5.5,\"\\u0000yv4=\"],\"kwargs\":{\"exact\":false}}\n")

			// No payload at all: empty args and kwargs.
			answer = postAsync(t, tg.addr(n), "/api/call", `{"procedure":"`+proc+`"}`)
			callee.expect(68, 2, reg, dict{})
			callee.send(70, 2, dict{})
			await(t, answer).expect(t, http.StatusOK, "{\"args\":[],\"kwargs\":{}}\n")

			// The callee's error keeps its URI, arguments and keyword
			// arguments; its status says whose fault it is.
			for j, tc := range []struct {
				uri    string
				args   list
				kwargs dict
				status int
				body   string
			}{
				{"com.example.error.bid_too_low", list{"bid too low", 3}, dict{"min": 10}, http.StatusBadGateway,
					`{"error":{"uri":"com.example.error.bid_too_low","message":"bid too low","args":["bid too low",3],"kwargs":{"min":10}}}`},
				{"wamp.error.not_authorized", nil, nil, http.StatusForbidden,
					`{"error":{"uri":"wamp.error.not_authorized","message":"wamp.error.not_authorized","args":[],"kwargs":{}}}`},
				{"wamp.error.invalid_argument", list{42}, nil, http.StatusBadRequest,
					`{"error":{"uri":"wamp.error.invalid_argument","message":"wamp.error.invalid_argument","args":[42],"kwargs":{}}}`},
				{"wamp.error.no_such_procedure", list{"gone"}, nil, http.StatusNotFound,
					`{"error":{"uri":"wamp.error.no_such_procedure","message":"gone","args":["gone"],"kwargs":{}}}`},
			} {
				answer = postAsync(t, tg.addr(n), "/api/call", `{"procedure":"`+proc+`","args":[]}`)
				inv := uint64(3 + j)
				callee.expect(68, inv, reg, dict{}, list{})
				msg := list{8, 68, inv, dict{}, tc.uri}
				if tc.args != nil || tc.kwargs != nil {
					msg = append(msg, tc.args)
				}
				if tc.kwargs != nil {
					msg = append(msg, tc.kwargs)
				}
				callee.send(msg...)
				await(t, answer).expect(t, tc.status, tc.body+"\n")
			}
			callee.sync()
		}
		waitAPIInFlight(t, n, 0)
	})
}

func TestAPICallErrorsOfTheRouter(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		api := newAPIClient(t, tg.addr(n))
		api.post("/api/call", `{"procedure":"com.example.none","args":[1]}`).expect(t, http.StatusNotFound,
			`{"error":{"uri":"wamp.error.no_such_procedure","message":"no procedure com.example.none is registered on this node",`+
				`"args":["no procedure com.example.none is registered on this node"],"kwargs":{}}}`+"\n")
		// The router's meta procedures answer the API like any caller.
		api.post("/api/call", `{"procedure":"wamp.session.count","args":[["anonymous"]]}`).expect(t, http.StatusOK,
			"{\"args\":[0],\"kwargs\":{}}\n")
		api.post("/api/call", `{"procedure":"wamp.session.count","args":[["api"]]}`).expect(t, http.StatusOK,
			"{\"args\":[1],\"kwargs\":{}}\n")
		api.post("/api/call", `{"procedure":"com.example.x","realm":"nope"}`).expect(t, http.StatusBadRequest,
			errorBody("wamp.error.no_such_realm", `no realm "nope" on this node`))
	})
}

func TestAPICallTimesOut(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		callee := joinRPC(t, n.Addr(), value.JSON)
		reg := callee.register(1, dict{}, "com.example.slow")
		answer := postAsync(t, tg.addr(n), "/api/call", `{"procedure":"com.example.slow","timeout":100}`)
		callee.expect(68, 1, reg, dict{})
		// The callee is told (it announced call canceling) and the API's
		// client gets 504.
		callee.expect(69, 1, dict{"mode": "killnowait", "reason": v2.ErrTimeout})
		await(t, answer).expect(t, http.StatusGatewayTimeout,
			`{"error":{"uri":"wamp.error.timeout","message":"the call timed out","args":["the call timed out"],"kwargs":{}}}`+"\n")
		// Its late answer is dropped.
		callee.send(70, 1, dict{}, list{"late"})
		callee.sync()
		waitAPIInFlight(t, n, 0)
	})
}

// A client that goes away while its call is in flight cancels it: the
// callee gets INTERRUPT (killnowait) and the request's slot is freed.
func TestAPICallCanceledWhenTheClientLeaves(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		callee := joinRPC(t, n.Addr(), value.MsgPack)
		reg := callee.register(1, dict{}, "com.example.long")
		raw := rawAPI(t, tg.addr(n))
		if err := raw.WriteRaw([]byte(apiRequest("POST", "/api/call", "", `{"procedure":"com.example.long","args":["x"]}`))); err != nil {
			t.Fatal(err)
		}
		callee.expect(68, 1, reg, dict{}, list{"x"})
		waitAPIInFlight(t, n, 1)
		raw.Close()
		callee.expect(69, 1, dict{"mode": "killnowait", "reason": v2.ErrCanceled})
		waitAPIInFlight(t, n, 0)
		callee.send(70, 1, dict{}, list{"too late"})
		callee.sync()
	})
}

// The API's session, killed through the meta API, is replaced by a new
// one on the next request; a call it had in flight is answered 504.
func TestAPISessionSurvivesAKill(t *testing.T) {
	cfg := apiConfig("epoll", "node-port")
	cfg.MetaKill = true
	n := startNode(t, cfg)
	api := newAPIClient(t, n.Addr())
	sessionID := func() string {
		const prefix, suffix = `{"args":[[`, `]],"kwargs":{}}` + "\n"
		r := api.post("/api/call", `{"procedure":"wamp.session.list","args":[["api"]]}`)
		id := strings.TrimSuffix(strings.TrimPrefix(r.body, prefix), suffix)
		if r.status != http.StatusOK || len(id) != len(r.body)-len(prefix)-len(suffix) || strings.Contains(id, ",") {
			t.Fatalf("wamp.session.list: %d %q, want one session", r.status, r.body)
		}
		return id
	}
	first := sessionID()
	callee := joinRPC(t, n.Addr(), value.JSON)
	reg := callee.register(1, dict{}, "com.example.slow")
	answer := postAsync(t, n.Addr(), "/api/call", `{"procedure":"com.example.slow","timeout":300}`)
	callee.expect(68, 1, reg, dict{})

	killer := joinRPC(t, n.Addr(), value.JSON)
	id, err := strconv.ParseUint(first, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	killer.send(48, 1, dict{}, "wamp.session.kill", list{id})
	killer.expect(50, 1, dict{})
	// The call in flight is ended by the session's leaving (the callee is
	// interrupted), and its client answered after the call's timeout.
	callee.expect(69, 1, dict{"mode": "killnowait", "reason": v2.ErrCanceled})
	await(t, answer).expect(t, http.StatusGatewayTimeout, errorBody("wamp.error.timeout", "the call was not answered in time"))

	second := sessionID()
	if second == first {
		t.Fatalf("API sessions before and after the kill: %s, %s", first, second)
	}
	api.post("/api/publish", `{"topic":"com.example.t"}`).publication(t)
}
