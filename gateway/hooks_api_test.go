package gateway

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/hooks"
)

// POST /api/publish goes through the publish hook like a client's
// publication: the hook's body names the API's session, its answer
// decides (rewritten, skipped: 200 and nothing delivered, refused: 403
// with its error, a failure under deny: 502), and a request waiting for
// the hook holds no worker: other sessions are served meanwhile.
func TestHookAPIPublish(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		release := make(chan struct{})
		hs := newHookServer(t, func(path, body string) string {
			if strings.Contains(body, `"args":["hold"]`) {
				<-release
			}
			return answerByEvent(path, body)
		})
		cfg := apiConfig("epoll", tg)
		cfg.Hooks = hooks.Config{URL: hs.URL, Publish: []string{"price."}}
		n := startNode(t, cfg)
		sub := dialWAMP(t, n.Addr())
		sub.subscribe("price.x")
		api := newAPIClient(t, tg.addr(n))

		api.post("/api/publish", `{"topic":"price.x","args":["plain"]}`).publication(t)
		r := hs.next()
		want := regexp.MustCompile(`^\{"session":[0-9]+,"protocol":"http-api","realm":"realm1","authid":"api","authrole":"api","node":"` +
			regexp.QuoteMeta(n.Addr()) + `","remote":"api","topic":"price.x","args":\["plain"\],"kwargs":\{\},"exclude":\[\],"eligible":null\}$`)
		if r.path != "/publish" || !want.MatchString(r.body) {
			t.Fatalf("hook request %s %s", r.path, r.body)
		}
		sub.expectEvent("price.x", `"plain"`)

		api.post("/api/publish", `{"topic":"price.x","args":["rewrite"]}`).publication(t)
		hs.next()
		sub.expectEvent("price.x", `"rewritten"`)

		api.post("/api/publish", `{"topic":"price.x","args":["skip"]}`).publication(t)
		hs.next()
		api.post("/api/publish", `{"topic":"price.x","args":["refuse"]}`).expect(t, http.StatusForbidden, errorBody("app.error.refused", "no way"))
		hs.next()
		sub.sync() // neither was delivered

		held := postAsync(t, tg.addr(n), "/api/publish", `{"topic":"price.x","args":["hold"]}`)
		hs.next()
		other := dialWAMP(t, n.Addr()) // served while the API's publication waits for its hook
		other.subscribe("other")
		other.publish("other", `1`)
		other.expectEvent("other", `1`)
		close(release)
		await(t, held).publication(t)
		sub.expectEvent("price.x", `"hold"`)
		if st := n.Stats().API; st.Publications != 4 || st.Refused != 1 {
			t.Fatalf("API publications %d, refused %d; want 4 and 1", st.Publications, st.Refused)
		}
	})
}

func TestHookAPIPublishFailure(t *testing.T) {
	for _, policy := range []hooks.Policy{hooks.Deny, hooks.Allow} {
		t.Run(policy.String(), func(t *testing.T) {
			cfg := apiConfig("epoll", "node-port")
			cfg.Hooks = hooks.Config{URL: closedURL(t), Publish: []string{"*"}, Failure: policy}
			n := startNode(t, cfg)
			sub := dialWAMP(t, n.Addr())
			sub.subscribe("t")
			r := newAPIClient(t, n.Addr()).post("/api/publish", `{"topic":"t","args":[1]}`)
			if policy == hooks.Deny {
				r.expect(t, http.StatusBadGateway, errorBody(hooks.ErrorHookFailed, "hook unavailable"))
				sub.sync()
			} else {
				r.publication(t)
				sub.expectEvent("t", `1`)
			}
			if got := n.Stats().Hooks.Kinds["publish"].Failures["refused"]; got != 1 {
				t.Fatalf("%d publish hook failures, want 1 (%s)", got, fmt.Sprint(n.Stats().Hooks))
			}
		})
	}
}

// POST /api/call goes through the call hook: the hook's body names the
// API's session and the call's arguments; its result is the answer's
// (200), its error a 502 with the application's uri, message and
// arguments (the message first, as for every wampgate error), and a hook
// failure under deny a 502 wamp.error.hook_failed.
func TestHookAPICall(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		hs := newHookServer(t, func(_, body string) string {
			switch {
			case strings.Contains(body, `"procedure":"app.add"`):
				return `{"result":{"args":[3],"kwargs":{"exact":true}}}`
			case strings.Contains(body, `"procedure":"app.fail"`):
				return `{"error":{"uri":"app.error.bad","message":"bad input","args":[7],"kwargs":{"k":"v"}}}`
			}
			return "500 broken"
		})
		cfg := apiConfig("epoll", tg)
		cfg.Hooks = hooks.Config{URL: hs.URL, Call: []string{"app."}}
		n := startNode(t, cfg)
		api := newAPIClient(t, tg.addr(n))

		api.post("/api/call", `{"procedure":"app.add","args":[1,2],"kwargs":{"x":true}}`).
			expect(t, http.StatusOK, `{"args":[3],"kwargs":{"exact":true}}`+"\n")
		r := hs.next()
		want := regexp.MustCompile(`^\{"session":[0-9]+,"protocol":"http-api","realm":"realm1","authid":"api","authrole":"api","node":"` +
			regexp.QuoteMeta(n.Addr()) + `","remote":"api","procedure":"app.add","args":\[1,2\],"kwargs":\{"x":true\}\}$`)
		if r.path != "/call" || !want.MatchString(r.body) {
			t.Fatalf("hook request %s %s", r.path, r.body)
		}

		api.post("/api/call", `{"procedure":"app.fail"}`).expect(t, http.StatusBadGateway,
			`{"error":{"uri":"app.error.bad","message":"bad input","args":["bad input",7],"kwargs":{"k":"v"}}}`+"\n")
		hs.next()
		api.post("/api/call", `{"procedure":"app.broken"}`).expect(t, http.StatusBadGateway,
			`{"error":{"uri":"wamp.error.hook_failed","message":"hook unavailable","args":["hook unavailable"],"kwargs":{}}}`+"\n")
		hs.next()
		if got := n.Stats().Hooks.Kinds["call"]; got.Requests != 3 || got.Failures["status"] != 1 {
			t.Fatalf("call hook: %+v", got)
		}
	})
}
