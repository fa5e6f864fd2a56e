package gateway

import (
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wampgate/wampgate/hooks"
)

// TestHookMetrics scrapes /metrics after real hooked publications: one
// answered, one failed with HTTP 500; the requests, failures and the
// latency histogram of the publish hook are there, and no other hook's.
func TestHookMetrics(t *testing.T) {
	hs := newHookServer(t, func(_, body string) string {
		if strings.Contains(body, `"fail"`) {
			return "500 broken"
		}
		return `{"result":{}}`
	})
	n := startNode(t, hookConfig(hs.URL, hooks.Config{Publish: []string{"price."}}))
	pub := dialWAMP(t, n.Addr())
	pub.subscribe("price.x")
	pub.publish("price.x", `"ok"`)
	hs.next()
	pub.expectEvent("price.x", `"ok"`)
	pub.publish("price.x", `"fail"`)
	hs.next()
	// A v1 PUBLISH has no answer to wait for: wait for the failure to be
	// counted (the answer is read before it is recorded).
	for deadline := time.Now().Add(waitLong); n.Stats().Hooks.Kinds["publish"].Failures["status"] != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the failed publish hook was never counted: %+v", n.Stats().Hooks)
		}
	}
	pub.sync() // nothing delivered

	mfs := scrape(t, n.Addr())
	if got := metricValue(t, mfs, "wampgate_hook_requests_total", dto.MetricType_COUNTER, "hook", "publish"); got != 2 {
		t.Fatalf("publish hook requests: %v", got)
	}
	if got := metricValue(t, mfs, "wampgate_hook_failures_total", dto.MetricType_COUNTER, "hook", "publish", "reason", "status"); got != 1 {
		t.Fatalf("publish hook failures (status): %v", got)
	}
	if got := metricValue(t, mfs, "wampgate_hook_failures_total", dto.MetricType_COUNTER, "hook", "publish", "reason", "timeout"); got != 0 {
		t.Fatalf("publish hook failures (timeout): %v", got)
	}
	if got := metricValue(t, mfs, "wampgate_hook_in_flight", dto.MetricType_GAUGE); got != 0 {
		t.Fatalf("hooks in flight: %v", got)
	}
	mf := mfs["wampgate_hook_request_duration_seconds"]
	if mf == nil || mf.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("no latency histogram: %v", mf)
	}
	for _, m := range mf.GetMetric() {
		h := m.GetHistogram()
		kind := m.GetLabel()[0].GetValue()
		want := uint64(0)
		if kind == "publish" {
			want = 2 // both got an HTTP answer, the 500 too
		}
		if h.GetSampleCount() != want || len(h.GetBucket()) != len(hooks.LatencyBuckets)+1 { // the text format adds +Inf
			t.Fatalf("%s latency: count %d, %d buckets", kind, h.GetSampleCount(), len(h.GetBucket()))
		}
		if want > 0 && (h.GetSampleSum() <= 0 || h.GetBucket()[len(h.GetBucket())-2].GetCumulativeCount() != want) {
			t.Fatalf("publish latency: sum %v, 5 s bucket %d", h.GetSampleSum(), h.GetBucket()[len(h.GetBucket())-2].GetCumulativeCount())
		}
	}
}
