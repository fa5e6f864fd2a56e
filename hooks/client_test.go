package hooks

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// At most Concurrency requests are in flight; the excess waits in a FIFO
// of queueFactor × Concurrency and is sent in order; one more fails at
// once with the reason overload. Every done runs exactly once.
func TestClientConcurrencyAndFIFO(t *testing.T) {
	release := make(chan struct{})
	got := make(chan string, 2*queueFactor)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
		if string(b) == "0" {
			<-release
		}
		io.WriteString(w, `{"result":{}}`)
	}))
	defer srv.Close()
	cfg := Config{URL: srv.URL, Publish: []string{"*"}, Concurrency: 1, Timeout: 10 * time.Second}
	h, err := New(cfg, "127.0.0.1:1", "wampgate/test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	c := h.client
	done := make(chan error, 2*queueFactor)
	send := func(i int) {
		c.do(KindPublish, []byte(strconv.Itoa(i)), func(_ *Answer, err error) { done <- err })
	}
	send(0)
	if b := <-got; b != "0" {
		t.Fatalf("first request %q", b)
	}
	for i := 1; i <= queueFactor; i++ {
		send(i)
	}
	if inFlight, queued := c.sizes(); inFlight != 1 || queued != queueFactor {
		t.Fatalf("in flight %d, queued %d; want 1 and %d", inFlight, queued, queueFactor)
	}
	send(queueFactor + 1)
	var f *failure
	select {
	case err := <-done:
		if !errors.As(err, &f) || f.reason != ReasonOverload {
			t.Fatalf("the request beyond the FIFO: %v, want an overload failure", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request beyond the FIFO did not fail at once")
	}
	close(release)
	for i := 1; i <= queueFactor; i++ {
		select {
		case b := <-got:
			if b != strconv.Itoa(i) {
				t.Fatalf("request %q sent in place of %d: not FIFO", b, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("request %d never sent", i)
		}
	}
	for range queueFactor + 1 {
		if err := <-done; err != nil {
			t.Fatalf("answer: %v", err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if inFlight, _ := c.sizes(); inFlight == 0 {
			break // the last done runs before its slot is given back
		} else if time.Now().After(deadline) {
			t.Fatalf("%d requests still in flight", inFlight)
		}
	}
	st := h.Stats()
	if k := st.Kinds["publish"]; k.Requests != queueFactor+2 || k.Failures["overload"] != 1 || st.InFlight != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
	select {
	case err := <-done:
		t.Fatalf("a done ran twice: %v", err)
	default:
	}
}
