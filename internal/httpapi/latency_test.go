package httpapi

import (
	"testing"
	"time"
)

// TestLatencyBuckets files durations in the first bucket whose bound is
// not below them (Prometheus's le), beyond the last in +Inf only, and by
// endpoint and status class.
func TestLatencyBuckets(t *testing.T) {
	a := &API{}
	a.latency.observe(endpointPublish, 200, 500*time.Microsecond) // on the first bound
	a.latency.observe(endpointPublish, 204, 700*time.Microsecond) // second bucket
	a.latency.observe(endpointPublish, 200, 2*time.Minute)        // +Inf only
	a.latency.observe(endpointCall, 504, time.Second)
	a.latency.observe(endpointOther, 999, time.Millisecond) // no such class
	got := a.Latencies()
	if len(got) != 3 {
		t.Fatalf("%d series: %+v", len(got), got)
	}
	pub := got[0]
	if pub.Endpoint != "publish" || pub.StatusClass != "2xx" || pub.Count != 3 {
		t.Fatalf("publish series %+v", pub)
	}
	if pub.Buckets[0] != 1 || pub.Buckets[1] != 2 || pub.Buckets[len(pub.Buckets)-1] != 2 {
		t.Errorf("publish buckets %v", pub.Buckets)
	}
	if want := 120.0012; pub.Sum < want-1e-9 || pub.Sum > want+1e-9 {
		t.Errorf("publish sum %v, want %v", pub.Sum, want)
	}
	if c := got[1]; c.Endpoint != "call" || c.StatusClass != "5xx" || c.Count != 1 || c.Buckets[9] != 0 || c.Buckets[10] != 1 {
		t.Errorf("call series %+v", c)
	}
	if o := got[2]; o.Endpoint != "other" || o.StatusClass != "other" || o.Count != 1 {
		t.Errorf("other series %+v", o)
	}
}
