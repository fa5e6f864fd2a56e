// Package latency records durations in a fixed-size log-linear histogram
// (about 3 % relative error, no allocation per sample) that workers can
// merge and ship to the coordinating process as JSON.
package latency

import (
	"math/bits"
	"time"
)

const (
	subBits  = 5 // 32 sub-buckets per power of two: ≤ 3.1 % error
	subCount = 1 << subBits
	// values below 2*subCount ns are recorded exactly
	linear   = 2 * subCount
	maxShift = 40 // up to 2^46 ns ≈ 19.5 h; longer values are clamped
	nBuckets = linear + maxShift*subCount
)

// Histogram counts durations in nanoseconds. The zero value is ready to
// use. It is not safe for concurrent use.
type Histogram struct {
	counts   [nBuckets]uint64
	total    uint64
	sum      uint64 // ns
	max      int64
	negative uint64
}

func bucketOf(v uint64) int {
	if v < linear {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1 // ≥ 1
	if shift > maxShift {
		return nBuckets - 1
	}
	return linear + (shift-1)*subCount + int(v>>uint(shift)) - subCount
}

// upperBound returns the largest value that falls in bucket i.
func upperBound(i int) uint64 {
	if i < linear {
		return uint64(i)
	}
	shift := (i-linear)/subCount + 1
	mant := uint64((i-linear)%subCount + subCount)
	return (mant+1)<<uint(shift) - 1
}

// Record adds one duration in nanoseconds. Negative values (a receive
// stamped before its send, i.e. clock trouble) are counted as zero and
// reported by Negative.
func (h *Histogram) Record(ns int64) {
	if ns < 0 {
		h.negative++
		ns = 0
	}
	h.counts[bucketOf(uint64(ns))]++
	h.total++
	h.sum += uint64(ns)
	if ns > h.max {
		h.max = ns
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Negative is the number of negative values recorded as zero.
func (h *Histogram) Negative() uint64 { return h.negative }

// Max is the largest recorded value.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the average recorded value.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / h.total)
}

// Quantile returns the value below which a fraction q (0…1) of the
// recorded values fall, as the upper bound of its bucket (never above Max).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	if rank > h.total {
		rank = h.total
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(int64(upperBound(i)), h.max))
		}
	}
	return time.Duration(h.max)
}

// Merge adds the values of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.negative += o.negative
	h.max = max(h.max, o.max)
}

// Reset forgets every recorded value.
func (h *Histogram) Reset() { *h = Histogram{} }

// Snapshot is the JSON form of a Histogram: only non-empty buckets, as
// [index, count] pairs.
type Snapshot struct {
	Buckets  [][2]uint64 `json:"buckets,omitempty"`
	Sum      uint64      `json:"sum_ns"`
	Max      int64       `json:"max_ns"`
	Negative uint64      `json:"negative,omitempty"`
}

// Snapshot returns the JSON form of h.
func (h *Histogram) Snapshot() Snapshot {
	s := Snapshot{Sum: h.sum, Max: h.max, Negative: h.negative}
	for i, c := range h.counts {
		if c != 0 {
			s.Buckets = append(s.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return s
}

// MergeSnapshot adds the values of a Snapshot to h, ignoring buckets out
// of range.
func (h *Histogram) MergeSnapshot(s Snapshot) {
	for _, b := range s.Buckets {
		if b[0] < nBuckets {
			h.counts[b[0]] += b[1]
			h.total += b[1]
		}
	}
	h.sum += s.Sum
	h.negative += s.Negative
	h.max = max(h.max, s.Max)
}

// Summary is the usual digest of a latency distribution, in milliseconds
// for reading and JSON alike.
type Summary struct {
	Count  uint64  `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// Summary digests h.
func (h *Histogram) Summary() Summary {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return Summary{
		Count:  h.total,
		MeanMs: ms(h.Mean()),
		P50Ms:  ms(h.Quantile(0.50)),
		P90Ms:  ms(h.Quantile(0.90)),
		P99Ms:  ms(h.Quantile(0.99)),
		P999Ms: ms(h.Quantile(0.999)),
		MaxMs:  ms(h.Max()),
	}
}
