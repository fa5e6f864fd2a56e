package httpapi

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wampgate/wampgate/wamp"
)

// recorder is a Sender that keeps what is sent, Date headers removed.
type recorder struct {
	mu     sync.Mutex
	out    strings.Builder
	closed bool
	other  string
}

var dateHeader = regexp.MustCompile(`Date: [^\r]*\r\n`)

func (r *recorder) Send(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out.WriteString(dateHeader.ReplaceAllString(string(b), ""))
}

func (r *recorder) SendAndClose(b []byte) {
	r.Send(b)
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

func (r *recorder) Other(method, target string) {
	r.mu.Lock()
	r.other, r.closed = method+" "+target, true
	r.mu.Unlock()
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

const testKey = "unit-test-key-0123456789"

func newTestAPI(t *testing.T) *API {
	t.Helper()
	router, err := wamp.NewRouter(wamp.RouterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeys([][]byte{[]byte(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Router: router, Keys: keys, MaxBodySize: 1024, Server: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func request(path, body string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + testKey +
		"\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// publishedRE matches one 200 answer to a publication.
var publishedRE = `HTTP/1\.1 200 OK\r\nServer: test\r\nContent-Type: application/json\r\nContent-Length: [0-9]+\r\n\r\n\{"publication":[0-9]+\}\n`

// Requests split anywhere, byte by byte, or several in one piece, get
// the same answers, in order.
func TestConnSplitsAndPipelines(t *testing.T) {
	a := newTestAPI(t)
	reqs := request(PathPublish, `{"topic":"com.example.a","args":[1]}`) + "\r\n" + // an empty line between requests is allowed
		request(PathPublish, `{"topic":"com.example.b"}`) +
		request(PathCall, `{"procedure":"wamp.session.count"}`)
	want := regexp.MustCompile("^" + publishedRE + publishedRE +
		"HTTP/1\\.1 200 OK\r\nServer: test\r\nContent-Type: application/json\r\nContent-Length: 25\r\n\r\n" +
		`\{"args":\[1\],"kwargs":\{\}\}` + "\n$")
	for _, chunk := range []int{1, 2, 7, 64, len(reqs)} {
		rec := &recorder{}
		c := a.NewConn(rec, 1024, time.Now())
		for i := 0; i < len(reqs); i += chunk {
			c.Feed([]byte(reqs[i:min(i+chunk, len(reqs))]))
		}
		if got := rec.String(); !want.MatchString(got) || rec.closed {
			t.Fatalf("chunks of %d: closed %v, got\n%q", chunk, rec.closed, got)
		}
		c.Closed()
	}
	if st := a.Stats(); st.InFlight != 0 || st.Publications != 10 || st.Calls != 5 {
		t.Fatalf("stats %+v", st)
	}
}

func TestConnHandsOtherPathsBack(t *testing.T) {
	a := newTestAPI(t)
	rec := &recorder{}
	c := a.NewConn(rec, 1024, time.Now())
	c.Feed([]byte(request(PathPublish, `{"topic":"t"}`) + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + request(PathPublish, `{"topic":"t"}`)))
	if got := rec.String(); !regexp.MustCompile("^"+publishedRE+"$").MatchString(got) || rec.other != "GET /healthz" {
		t.Fatalf("other %q, got %q", rec.other, got)
	}
	if st := a.Stats(); st.Publications != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A connection that goes while it waits for a body, or is swept while a
// request is cut short, gives its slot back.
func TestConnReleasesItsSlot(t *testing.T) {
	a := newTestAPI(t)
	head := request(PathPublish, `{"topic":"t"}`)
	rec := &recorder{}
	c := a.NewConn(rec, 1024, time.Now())
	c.Feed([]byte(head[:len(head)-3]))
	if st := a.Stats(); st.InFlight != 1 {
		t.Fatalf("stats %+v", st)
	}
	c.Closed()
	if st := a.Stats(); st.InFlight != 0 || st.Abandoned != 1 {
		t.Fatalf("stats %+v", st)
	}

	rec = &recorder{}
	start := time.Now()
	c = a.NewConn(rec, 1024, start)
	c.Feed([]byte(head[:len(head)-3]))
	c.Sweep(start.Add(time.Second), 2*time.Second) // not yet
	if rec.String() != "" {
		t.Fatalf("swept early: %q", rec.String())
	}
	c.Sweep(start.Add(3*time.Second), 2*time.Second)
	want := "HTTP/1.1 408 Request Timeout\r\nServer: test\r\nContent-Type: application/json\r\nContent-Length: 114\r\nConnection: close\r\n\r\n" +
		`{"error":{"uri":"wampgate.error.request_timeout","message":"the request did not arrive within the read timeout"}}` + "\n"
	if got := rec.String(); got != want || !rec.closed {
		t.Fatalf("closed %v, got %q", rec.closed, got)
	}
	c.Closed()
	if st := a.Stats(); st.InFlight != 0 || st.Abandoned != 2 {
		t.Fatalf("stats %+v", st)
	}
	// An idle connection is closed without an answer.
	rec = &recorder{}
	c = a.NewConn(rec, 1024, start)
	c.Sweep(start.Add(3*time.Second), 2*time.Second)
	if rec.String() != "" || !rec.closed {
		t.Fatalf("idle: closed %v, got %q", rec.closed, rec.String())
	}
}
