package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wampgate/wampgate/hooks"
)

// The HTTP hooks' metrics, derived from hooks.Stats at scrape time.
var (
	descHookRequests = metric("hook_requests_total", "Requests sent to the application's hooks, by hook.", "hook")
	descHookFailures = metric("hook_failures_total", "Hook requests that failed (timeout, refused, status, junk, overload), by hook and reason.", "hook", "reason")
	descHookLatency  = metric("hook_request_duration_seconds", "Time from sending a hook request to its HTTP answer, by hook.", "hook")
	descHookInFlight = metric("hook_in_flight", "Hook requests sent and not answered yet.")
	descHookQueued   = metric("hook_queued", "Hook requests waiting for a free slot (over --hook-concurrency).")
)

// collectHooks sends the hooks' metrics of hs (nil: no hooks) to ch.
func collectHooks(hs *hooks.Stats, ch chan<- prometheus.Metric) {
	if hs == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descHookInFlight, prometheus.GaugeValue, float64(hs.InFlight))
	ch <- prometheus.MustNewConstMetric(descHookQueued, prometheus.GaugeValue, float64(hs.Queued))
	for kind, ks := range hs.Kinds {
		ch <- prometheus.MustNewConstMetric(descHookRequests, prometheus.CounterValue, float64(ks.Requests), kind)
		for reason, n := range ks.Failures {
			ch <- prometheus.MustNewConstMetric(descHookFailures, prometheus.CounterValue, float64(n), kind, reason)
		}
		buckets := make(map[float64]uint64, len(hooks.LatencyBuckets))
		for i, bound := range hooks.LatencyBuckets {
			buckets[bound] = ks.LatencyBuckets[i]
		}
		ch <- prometheus.MustNewConstHistogram(descHookLatency, ks.Answered, ks.LatencySeconds, buckets, kind)
	}
}
