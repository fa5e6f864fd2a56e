package latency

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsAreMonotonicAndTight(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 66, 127, 128, 1000, 1 << 20, 123456789, 1 << 45} {
		b := bucketOf(v)
		if b <= prev && v != 0 {
			t.Fatalf("bucket of %d = %d not above %d", v, b, prev)
		}
		prev = b
		ub := upperBound(b)
		if ub < v || float64(ub-v) > 0.032*float64(v)+1 {
			t.Fatalf("value %d: bucket %d upper bound %d", v, b, ub)
		}
		if b > 0 && upperBound(b-1) >= v {
			t.Fatalf("value %d also fits bucket %d", v, b-1)
		}
	}
	if bucketOf(1<<62) != nBuckets-1 {
		t.Fatal("huge value not clamped")
	}
}

func TestQuantilesMatchSorted(t *testing.T) {
	var h Histogram
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]int64, 100000)
	for i := range vals {
		vals[i] = int64(r.ExpFloat64() * float64(2*time.Millisecond))
		h.Record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := float64(vals[int(q*float64(len(vals)))-1])
		got := float64(h.Quantile(q))
		if got < exact*0.99 || got > exact*1.05 {
			t.Fatalf("q%.3f: got %.0f want ≈%.0f", q, got, exact)
		}
	}
	if h.Max() != time.Duration(vals[len(vals)-1]) || h.Quantile(1) != h.Max() {
		t.Fatalf("max %v", h.Max())
	}
}

func TestSnapshotMergeRoundTrip(t *testing.T) {
	var a, b Histogram
	for i := int64(0); i < 1000; i++ {
		a.Record(i * 1000)
		b.Record(i * 7000)
	}
	a.Record(-5)
	raw, err := json.Marshal(a.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	var m Histogram
	m.MergeSnapshot(s)
	m.Merge(&b)
	var direct Histogram
	direct.Merge(&a)
	direct.Merge(&b)
	if m.Summary() != direct.Summary() || m.Count() != 2001 || m.Negative() != 1 {
		t.Fatalf("merged %+v, direct %+v", m.Summary(), direct.Summary())
	}
	var empty Histogram
	if empty.Summary() != (Summary{}) {
		t.Fatal("empty summary")
	}
}
