package suite

import "fmt"

// Floor is the single-syscall floor of fan-out: the server CPU one
// delivery costs when each delivery is its own write system call, and the
// deliveries per CPU-second that caps a server at.
type Floor struct {
	WriteMicros         float64 `json:"write_us"`
	DeliveriesPerCPUSec float64 `json:"deliveries_per_cpu_sec"` // 1e6 ÷ WriteMicros
	Measured            bool    `json:"measured"`               // from this run, not the constant
	Source              string  `json:"source"`
}

// designWriteMicros is DESIGN §3's loopback write cost on these machines
// (10–13 µs, measured with 5,000 connections and 130-byte frames), used
// when a run measured none.
const designWriteMicros = 11.5

// A backend row measures the floor when its writes carried at most
// floorMaxFrames frames each, and there were at least floorMinWrites.
const (
	floorMaxFrames = 1.1
	floorMinWrites = 10000
)

// findFloor measures the floor from the backend rows: at a fixed rate,
// few publications are in flight, so each writev carries about one frame
// and the node's CPU ÷ its writev calls is what a delivery costs without
// batching (the write itself, and the little that leads to it). It takes
// the epoll row with the most such writes, else any poller's; without
// one it falls back to DESIGN §3's constant.
func findFloor(rows []BackendRow) Floor {
	var best *BackendRow
	for i := range rows {
		row := &rows[i]
		if row.Failed() || row.Result == nil || row.Result.Fanout == nil {
			continue
		}
		n := row.Result.Fanout.Net
		if n == nil || n.WriteCalls < floorMinWrites || n.FramesPerWrite > floorMaxFrames || n.ServerCPUMicrosPerWrite <= 0 {
			continue
		}
		if best == nil || betterFloor(row, best) {
			best = row
		}
	}
	if best == nil {
		return Floor{
			WriteMicros:         designWriteMicros,
			DeliveriesPerCPUSec: 1e6 / designWriteMicros,
			Source:              "DESIGN §3: a loopback write costs 10–13 µs of CPU on these machines (no backend row of this run measured it)",
		}
	}
	n := best.Result.Fanout.Net
	return Floor{
		WriteMicros:         n.ServerCPUMicrosPerWrite,
		DeliveriesPerCPUSec: 1e6 / n.ServerCPUMicrosPerWrite,
		Measured:            true,
		Source: fmt.Sprintf("server CPU ÷ writev calls in the backend row %s, %s sessions (%s writev, %.2f frames each)",
			best.Poller, Thousands(best.Conns), Thousands(int(n.WriteCalls)), n.FramesPerWrite),
	}
}

// betterFloor prefers epoll, then more sessions (a fan-out pass as long
// as any), then more writes.
func betterFloor(a, b *BackendRow) bool {
	if (a.Poller == "epoll") != (b.Poller == "epoll") {
		return a.Poller == "epoll"
	}
	if a.Conns != b.Conns {
		return a.Conns > b.Conns
	}
	return a.Result.Fanout.Net.WriteCalls > b.Result.Fanout.Net.WriteCalls
}
