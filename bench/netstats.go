package bench

import (
	"encoding/json"
)

// NetFigures are the server's write counters over a measured phase, the
// difference of two GET /healthz snapshots (wampgate's `net` object; a
// server without one, such as the naive baseline, has none).
type NetFigures struct {
	WriteCalls     uint64  `json:"write_syscalls"` // writev calls
	FramesOut      uint64  `json:"frames_out"`     // frames completely written
	BytesOut       uint64  `json:"bytes_out"`
	WriteBlocked   uint64  `json:"write_eagain"`
	FramesPerWrite float64 `json:"frames_per_write_syscall"`
	// ServerCPUMicrosPerWrite is the server's CPU time over the phase
	// divided by its writev calls: where a writev carries about one frame
	// (a fixed rate, few publications in flight), about the cost of one
	// write system call and of what leads to it.
	ServerCPUMicrosPerWrite float64 `json:"server_cpu_us_per_write_syscall"`
}

// healthzNet is the part of wampgate's /healthz body NetFigures reads.
type healthzNet struct {
	Net *struct {
		WriteCalls   uint64 `json:"write_syscalls"`
		WriteBlocked uint64 `json:"write_eagain"`
		FramesOut    uint64 `json:"frames_out"`
		BytesOut     uint64 `json:"bytes_out"`
	} `json:"net"`
}

// netBetween returns the write counters between two /healthz bodies and
// the server CPU-seconds spent in between, or nil when either body lacks
// them or the counters went backwards (a restarted server).
func netBetween(start, end json.RawMessage, cpuSeconds float64) *NetFigures {
	var a, b healthzNet
	if json.Unmarshal(start, &a) != nil || json.Unmarshal(end, &b) != nil || a.Net == nil || b.Net == nil {
		return nil
	}
	if b.Net.WriteCalls < a.Net.WriteCalls || b.Net.FramesOut < a.Net.FramesOut ||
		b.Net.BytesOut < a.Net.BytesOut || b.Net.WriteBlocked < a.Net.WriteBlocked {
		return nil
	}
	n := &NetFigures{
		WriteCalls:   b.Net.WriteCalls - a.Net.WriteCalls,
		FramesOut:    b.Net.FramesOut - a.Net.FramesOut,
		BytesOut:     b.Net.BytesOut - a.Net.BytesOut,
		WriteBlocked: b.Net.WriteBlocked - a.Net.WriteBlocked,
	}
	if n.WriteCalls > 0 {
		n.FramesPerWrite = float64(n.FramesOut) / float64(n.WriteCalls)
		n.ServerCPUMicrosPerWrite = cpuSeconds * 1e6 / float64(n.WriteCalls)
	}
	return n
}
