package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAPIPublish measures HTTP API publications per second over
// loopback with keep-alive connections, on the API's own listener and on
// the node's port, with 1 and 8 clients (each waits for its answer before
// it sends its next request). Clients are Go's http.Client ("http") or a
// raw client that writes a prepared request and reads the answer with
// http.ReadResponse ("raw", which leaves more of the two cores to the
// node). The topic has one v1 subscriber, which reads every event.
//
//	go test -run '^$' -bench APIPublish -benchtime 20000x ./gateway/
func BenchmarkAPIPublish(b *testing.B) {
	for _, tg := range apiTargets {
		for _, client := range []string{"http", "raw"} {
			for _, clients := range []int{1, 8} {
				b.Run(string(tg)+"/"+client+"/clients="+itoa(uint64(clients)), func(b *testing.B) {
					benchAPIPublish(b, tg, client == "raw", clients)
				})
			}
		}
	}
}

const benchBody = `{"topic":"com.example.bench","args":[{"price":1234,"item":"x"}]}`

// httpPublisher publishes through Go's http.Client.
func httpPublisher(b *testing.B, addr string, clients int) func() (func() error, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: waitLong}
	url := "http://" + addr + "/api/publish"
	return func() (func() error, error) {
		return func() error {
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(benchBody))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+testAPIKey)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return &benchStatusError{resp.StatusCode}
			}
			return nil
		}, nil
	}
}

// rawPublisher publishes with a prepared request on its own connection.
func rawPublisher(b *testing.B, addr string) func() (func() error, error) {
	req := []byte(apiRequest("POST", "/api/publish", "", benchBody))
	return func() (func() error, error) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		b.Cleanup(func() { conn.Close() })
		br := bufio.NewReader(conn)
		return func() error {
			if _, err := conn.Write(req); err != nil {
				return err
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return &benchStatusError{resp.StatusCode}
			}
			return nil
		}, nil
	}
}

func benchAPIPublish(b *testing.B, tg apiTarget, raw bool, clients int) {
	cfg := apiConfig("epoll", tg)
	cfg.APIConcurrency = 64
	n := startNode(b, cfg)
	sub := dialWAMP(b, n.Addr())
	sub.subscribe("com.example.bench")
	var read atomic.Int64
	go func() { // drain the subscriber, counting the events
		for {
			if _, err := sub.ReadText(waitLong); err != nil {
				return
			}
			read.Add(1)
		}
	}()
	newPublisher := httpPublisher(b, tg.addr(n), clients)
	if raw {
		newPublisher = rawPublisher(b, tg.addr(n))
	}
	publishers := make([]func() error, clients)
	for i := range publishers {
		var err error
		if publishers[i], err = newPublisher(); err != nil {
			b.Fatal(err)
		}
	}
	work := make(chan struct{}, b.N)
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	errs := make(chan error, clients)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for _, publish := range publishers {
		go func() {
			for range work {
				if err := publish(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pubs/s")
	// Every publication reached the subscriber.
	deadline := time.Now().Add(waitLong)
	for read.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := read.Load(); got != int64(b.N) {
		b.Fatalf("the subscriber got %d events of %d", got, b.N)
	}
}

type benchStatusError struct{ status int }

func (e *benchStatusError) Error() string { return "status " + itoa(uint64(e.status)) }
