package gateway

// Slow consumers over real sockets: subscribers with a small receive
// buffer stop reading while a publisher floods their topic. The node must
// cut them at a frame boundary and end their stream with a complete close
// frame 1008 and a FIN, while the subscribers that read get everything.

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wampgate/wampgate/internal/wstest"
)

// stalledResult is what a stalled subscriber read once the node cut it.
type stalledResult struct {
	frames []*wstest.Frame // before the close frame
	err    error
}

// readWhenCut waits until the node has closed want slow consumers, then
// has every client read all it was sent, concurrently (the node gives a
// cut consumer's close frame the linger time to get through). Each must
// end with close 1008 "slow consumer" and a clean EOF.
func readWhenCut(n *Node, want uint64, clients []*wampClient) []stalledResult {
	res := make([]stalledResult, len(clients))
	for deadline := time.Now().Add(time.Minute); n.Stats().SlowConsumers < want; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			for i := range res {
				res[i].err = fmt.Errorf("the node closed %d slow consumers in a minute, want %d", n.Stats().SlowConsumers, want)
			}
			return res
		}
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			frames, code, reason, err := c.ReadUntilClose(waitLong)
			if err == nil && (code != 1008 || reason != "slow consumer") {
				err = fmt.Errorf("closed with %d %q, want 1008 \"slow consumer\"", code, reason)
			}
			res[i] = stalledResult{frames, err}
		}()
	}
	wg.Wait()
	return res
}

// checkFlood requires frames to be the first len(frames) events of a
// flood, each a complete unmasked text frame [8,topic,"<i> <filler>"].
func checkFlood(frames []*wstest.Frame, topic, filler string) error {
	for i, f := range frames {
		want := fmt.Sprintf(`[8,%q,"%d %s"]`, topic, i, filler)
		if f.Op != wstest.OpText || !f.Fin || f.Masked || f.Rsv != 0 || string(f.Payload) != want {
			return fmt.Errorf("frame %d is %s, want the text frame %q", i, f, wstest.Abbrev(want, 60))
		}
	}
	return nil
}

// TestSlowConsumersGetACloseFrame is the outside report in small: three
// subscribers with a 4 KiB receive buffer stop reading while three others
// read and one publisher floods 1 KiB events. The node cuts the three;
// each of them, reading afterwards, finds only complete events, then a
// close frame 1008 "slow consumer", then a clean end of the stream.
func TestSlowConsumersGetACloseFrame(t *testing.T) {
	const (
		stalledCount = 3
		readerCount  = 3
		window       = 16     // events in flight to the readers: 16 KiB, a quarter of the limit
		maxEvents    = 40_000 // bounds the flood (40 MB) if the node never cuts anyone
	)
	forEachPoller(t, func(t *testing.T, poller string) {
		cfg := testConfig(poller)
		cfg.WriteQueueLimit = 64 << 10
		cfg.MaxMessageSize = 16 << 10
		n := startNode(t, cfg)
		var stalled, readers []*wampClient
		for range stalledCount {
			c := dialSmallBuffer(t, n.Addr())
			c.subscribe("flood")
			stalled = append(stalled, c)
		}
		for range readerCount {
			c := dialWAMP(t, n.Addr())
			c.subscribe("flood")
			readers = append(readers, c)
		}
		pub := dialWAMP(t, n.Addr())
		filler := strings.Repeat("x", 1000)

		cut := make(chan []stalledResult, 1)
		go func() { cut <- readWhenCut(n, stalledCount, stalled) }()

		published := 0
		for published < maxEvents && n.Stats().SlowConsumers < stalledCount {
			var b []byte
			for j := published; j < published+window; j++ {
				b = append(b, wstest.Encode(wstest.OutFrame{Op: wstest.OpText,
					Payload: fmt.Appendf(nil, `[7,"flood","%d %s"]`, j, filler)})...)
			}
			if err := pub.WriteRaw(b); err != nil {
				t.Fatalf("publisher: %v", err)
			}
			// The readers take each window before the next is published,
			// so only the stalled subscribers fall behind.
			for _, r := range readers {
				for j := published; j < published+window; j++ {
					r.expectText(fmt.Sprintf(`[8,"flood","%d %s"]`, j, filler))
				}
			}
			published += window
		}
		t.Logf("%d events published until the node cut %d slow consumers", published, n.Stats().SlowConsumers)
		for i, res := range <-cut {
			if res.err != nil {
				t.Errorf("stalled subscriber %d: %v", i, res.err)
				continue
			}
			if err := checkFlood(res.frames, "flood", filler); err != nil {
				t.Errorf("stalled subscriber %d: %v", i, err)
			}
			if len(res.frames) >= published {
				t.Errorf("stalled subscriber %d got all %d events", i, published)
			}
			t.Logf("stalled subscriber %d: %d complete events, then close 1008 and EOF", i, len(res.frames))
		}
		for _, r := range readers {
			r.sync()
		}
		pub.sync()
		assertNodeServes(t, n.Addr())
	})
}
