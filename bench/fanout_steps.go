//go:build linux

package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/wampgate/wampgate/bench/internal/wire"
)

// normalize checks the options and fills in the defaults noted on
// FanoutOptions.
func (o *FanoutOptions) normalize() error {
	if err := o.defaults(); err != nil {
		return err
	}
	if o.Subs <= 0 {
		return fmt.Errorf("subs must be positive")
	}
	if o.Pubs <= 0 {
		o.Pubs = 1
	}
	if o.Pubs > o.PerWorker {
		return fmt.Errorf("at most %d publishers (one worker)", o.PerWorker)
	}
	if o.Size <= 0 {
		o.Size = 128
	}
	if o.Size > maxMessage-1024 {
		return fmt.Errorf("size at most %d", maxMessage-1024)
	}
	o.Size = max(o.Size, wire.MinEventSize)
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Window <= 0 {
		o.Window = 64
		if o.Rate > 0 {
			o.Window = 1000
		}
	}
	if o.Batch <= 0 {
		o.Batch = 8
	}
	if o.Topic == "" {
		o.Topic = "bench/fanout"
	}
	if o.Drain <= 0 {
		o.Drain = 3 * time.Second
	}
	return nil
}

// warmUp has worker pubW publish one event and waits until the
// subscribers counted on slots received it: proof that the server (or
// cluster) has processed every SUBSCRIBE. It tries up to three times, in
// case an event overtook the last subscriptions, and returns how many of
// the want subscribers the last try reached.
func warmUp(ctx context.Context, p *pool, pubW int, slots []int, want, size int, logf func(string, ...any)) (int, error) {
	var got uint64
	for try := 0; try < 3; try++ {
		base := p.board.received(slots)
		if _, err := p.call(ctx, pubW, request{Op: opPublish, Publish: &publishParams{
			Count: 1, Duration: 10 * time.Second, Size: size,
		}}, 20*time.Second); err != nil {
			return 0, err
		}
		last, lastChange := base, time.Now()
		if _, err := waitFor(ctx, 15*time.Second, 5*time.Millisecond, func() bool {
			n := p.board.received(slots)
			if n != last {
				last, lastChange = n, time.Now()
			}
			return n-base >= uint64(want) || time.Since(lastChange) > time.Second
		}); err != nil {
			return 0, err
		}
		if got = last - base; got >= uint64(want) {
			break
		}
		logf("warm-up event reached %d of %d subscribers", got, want)
	}
	return int(min(got, uint64(want))), nil
}

// drain waits until the subscribers counted on slots have received
// expected events, or nothing more arrived for quiet. It returns what
// they received and when the last event arrived (now, if all did).
func drain(ctx context.Context, p *pool, slots []int, expected uint64, quiet time.Duration) (uint64, time.Time, error) {
	last, lastChange := p.board.received(slots), time.Now()
	if _, err := waitFor(ctx, quiet+30*time.Second, 2*time.Millisecond, func() bool {
		n := p.board.received(slots)
		if n != last {
			last, lastChange = n, time.Now()
		}
		return n >= expected || time.Since(lastChange) > quiet
	}); err != nil {
		return 0, time.Time{}, err
	}
	if last >= expected {
		return last, time.Now(), nil
	}
	return last, lastChange, nil
}
