//go:build linux

package bench

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampgate/wampgate/bench/internal/wire"
	"github.com/wampgate/wampgate/internal/wsframe"
	"golang.org/x/sys/unix"
)

// windowPoll is how long a publisher sleeps when the window is full. Go's
// timers on Linux wake after about a millisecond at the shortest anyway.
const windowPoll = 200 * time.Microsecond

// lateAfter is how far behind its schedule a fixed-rate publication must
// be sent to count as late (timer wake-ups alone are ~1 ms late here).
const lateAfter = 2 * time.Millisecond

// publish runs one goroutine per publisher session and returns when all
// have sent their share (p.Count), or p.Duration has passed.
//
// At full speed (p.Rate == 0) each publisher writes p.Batch masked
// PUBLISH frames per write, but only while at least that many more fit in
// the window of p.Window publications in flight: sent × subscribers −
// received (summed over the subscriber workers' board slots) is the number
// of deliveries still owed. At a fixed rate, publication k of the whole run is due at
// start + k/Rate, and publishers take turns.
func publish(fds []int, p publishParams, proto wire.Protocol, topic string, b *board, slot *boardSlot, pubBase int) publishResult {
	if len(fds) == 0 {
		return publishResult{Err: "no publisher session"}
	}
	if p.Batch <= 0 {
		p.Batch = 1
	}
	if p.Window <= 0 {
		p.Window = 1 << 30
	}
	var (
		sent, waits, late, writes atomic.Uint64
		wg                        sync.WaitGroup
		errMu                     sync.Mutex
		firstErr                  error
	)
	start := time.Now()
	end := start.Add(p.Duration)
	nPub := uint64(len(fds))
	for j, fd := range fds {
		share := uint64(0) // 0: unlimited
		if p.Count > 0 {
			share = p.Count / nPub
			if uint64(j) < p.Count%nPub {
				share++
			}
			if share == 0 {
				continue
			}
		}
		wg.Add(1)
		go func(j, fd int, share uint64) {
			defer wg.Done()
			pub := wire.NewPublicationFor(proto, topic, pubBase+j, p.Size)
			out := make([]byte, 0, p.Batch*(len(pub.Stamp(0, 0))+wsframe.MaxMaskedHeaderSize))
			var seq uint64
			for share == 0 || seq < share {
				now := time.Now()
				if now.After(end) {
					return
				}
				if p.Rate > 0 {
					due := start.Add(time.Duration(float64(seq*nPub+uint64(j)) / p.Rate * float64(time.Second)))
					if d := due.Sub(now); d > 0 {
						time.Sleep(min(d, end.Sub(now)))
						continue
					} else if d < -lateAfter {
						late.Add(1)
					}
				}
				n := uint64(p.Batch)
				if p.Rate > 0 {
					n = 1
				}
				if p.Subscribers > 0 {
					s := int64(p.Subscribers)
					owed := int64(sent.Load())*s - int64(b.received(p.SubSlots))
					room := int64(p.Window) - (owed+s-1)/s
					// At full speed wait for room for a whole batch, so the
					// server keeps receiving batches, not trickles.
					if room <= 0 || (p.Rate == 0 && room < int64(min(p.Batch, p.Window))) {
						waits.Add(1)
						time.Sleep(windowPoll)
						continue
					}
					n = min(n, uint64(room))
				}
				if share > 0 {
					n = min(n, share-seq)
				}
				sent.Add(n)
				out = out[:0]
				ts := time.Now().UnixNano()
				for i := uint64(0); i < n; i++ {
					seq++
					out = wsframe.AppendMasked(out, proto.OpCode(), pub.Stamp(ts, seq), wsframe.NewMask())
				}
				calls, err := writeAll(fd, out, end.Add(2*time.Second))
				writes.Add(calls)
				slot.Sent.Store(sent.Load())
				if err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
					return
				}
			}
		}(j, fd, share)
	}
	wg.Wait()
	res := publishResult{
		Sent:        sent.Load(),
		Seconds:     time.Since(start).Seconds(),
		WindowWaits: waits.Load(),
		Late:        late.Load(),
		WriteCalls:  writes.Load(),
	}
	if firstErr != nil {
		res.Err = firstErr.Error()
	}
	return res
}

// errWriteTimeout reports a publisher socket that stayed full too long.
var errWriteTimeout = errors.New("publish: socket not writable before deadline")

// writeAll writes all of b to the non-blocking fd, waiting for POLLOUT
// when the socket is full, until deadline. It returns the write calls made.
func writeAll(fd int, b []byte, deadline time.Time) (calls uint64, err error) {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		calls++
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			wait := time.Until(deadline)
			if wait <= 0 {
				return calls, errWriteTimeout
			}
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			_, _ = unix.Poll(pfd, int(min(wait, 100*time.Millisecond)/time.Millisecond)+1)
			continue
		case err != nil:
			return calls, errors.New("publish: write: " + errnoName(err))
		}
		b = b[n:]
	}
	return calls, nil
}
