package netpoll

import "sync/atomic"

// counters are the reactor's atomic counters.
type counters struct {
	accepted     atomic.Uint64
	acceptErrors atomic.Uint64
	acceptPauses atomic.Uint64
	open         atomic.Int64
	readCalls    atomic.Uint64
	bytesIn      atomic.Uint64
	writeCalls   atomic.Uint64
	writeBlocked atomic.Uint64
	framesOut    atomic.Uint64
	bytesOut     atomic.Uint64
}

// Stats is a snapshot of the reactor's counters.
type Stats struct {
	Backend  string `json:"backend"`
	Workers  int    `json:"workers"`
	Accepted uint64 `json:"accepted"`
	// AcceptErrors counts failed accepts (EMFILE when the descriptors
	// run out); AcceptPauses counts the episodes in which accepting was
	// paused because of them.
	AcceptErrors uint64 `json:"accept_errors"`
	AcceptPauses uint64 `json:"accept_pauses"`
	Open         int64  `json:"open"`
	ReadCalls    uint64 `json:"read_syscalls"`
	BytesIn      uint64 `json:"bytes_in"`
	WriteCalls   uint64 `json:"write_syscalls"`
	WriteBlocked uint64 `json:"write_eagain"`
	// FramesOut counts the queued units (WebSocket frames, or a 101
	// response with its WELCOME) fully written.
	FramesOut      uint64  `json:"frames_out"`
	BytesOut       uint64  `json:"bytes_out"`
	FramesPerWrite float64 `json:"frames_per_write_syscall"`
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Accepted:     c.accepted.Load(),
		AcceptErrors: c.acceptErrors.Load(),
		AcceptPauses: c.acceptPauses.Load(),
		Open:         c.open.Load(),
		ReadCalls:    c.readCalls.Load(),
		BytesIn:      c.bytesIn.Load(),
		WriteCalls:   c.writeCalls.Load(),
		WriteBlocked: c.writeBlocked.Load(),
		FramesOut:    c.framesOut.Load(),
		BytesOut:     c.bytesOut.Load(),
	}
	if s.WriteCalls > 0 {
		s.FramesPerWrite = float64(s.FramesOut) / float64(s.WriteCalls)
	}
	return s
}
