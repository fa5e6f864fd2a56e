package gateway

import (
	"math"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/wampgate/wampgate/internal/httpapi"
)

// TestAPILatencyHistogram: every API request answered, on the API's own
// listener and on the node's port, is filed once in
// wampgate_api_request_duration_seconds by endpoint and status class,
// with cumulative fixed buckets.
func TestAPILatencyHistogram(t *testing.T) {
	forEachAPITarget(t, func(t *testing.T, tg apiTarget) {
		n := startNode(t, apiConfig("epoll", tg))
		c := newAPIClient(t, tg.addr(n))
		for range 3 {
			if r := c.post(httpapi.PathPublish, `{"topic":"com.example.latency","args":[1]}`); r.status != 200 {
				t.Fatalf("publish: %d %s", r.status, r.body)
			}
		}
		if r := c.post("/api/nothing", `{}`); r.status != 404 {
			t.Fatalf("POST /api/nothing: %d %s", r.status, r.body)
		}
		bad := newAPIClient(t, tg.addr(n))
		bad.auth = "Bearer wrong"
		if r := bad.post(httpapi.PathCall, `{}`); r.status != 401 {
			t.Fatalf("call with a wrong key: %d %s", r.status, r.body)
		}

		mfs := scrape(t, n.Addr())
		mf := mfs["wampgate_api_request_duration_seconds"]
		if mf == nil || mf.GetType() != dto.MetricType_HISTOGRAM {
			t.Fatalf("wampgate_api_request_duration_seconds: %v", mf)
		}
		want := map[[2]string]uint64{{"publish", "2xx"}: 3, {"other", "4xx"}: 1, {"call", "4xx"}: 1}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			key := [2]string{labels["endpoint"], labels["status_class"]}
			h := m.GetHistogram()
			if h.GetSampleCount() != want[key] {
				t.Errorf("%v: %d requests, want %d", key, h.GetSampleCount(), want[key])
			}
			delete(want, key)
			if h.GetSampleSum() <= 0 || h.GetSampleSum() > 60 {
				t.Errorf("%v: sum %v s", key, h.GetSampleSum())
			}
			bs := h.GetBucket() // the text format ends with +Inf
			if len(bs) != len(httpapi.LatencyBuckets)+1 || !math.IsInf(bs[len(bs)-1].GetUpperBound(), 1) {
				t.Fatalf("%v: buckets %v, want %v and +Inf", key, bs, httpapi.LatencyBuckets)
			}
			for i, b := range bs[:len(bs)-1] {
				if b.GetUpperBound() != httpapi.LatencyBuckets[i] || i > 0 && b.GetCumulativeCount() < bs[i-1].GetCumulativeCount() {
					t.Errorf("%v: bucket %d is %v", key, i, b)
				}
			}
			if last := bs[len(bs)-2].GetCumulativeCount(); last != h.GetSampleCount() {
				t.Errorf("%v: %d requests within 60 s of %d", key, last, h.GetSampleCount())
			}
		}
		for key := range want {
			t.Errorf("no series for %v", key)
		}
	})
}
