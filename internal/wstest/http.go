package wstest

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// SampleKey is the Sec-WebSocket-Key of RFC 6455 §1.3, also the fixed key
// of the conformance transcripts; SampleAccept is its accept value.
const (
	SampleKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	SampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// AcceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// HeaderField is one header line, as sent or received.
type HeaderField struct {
	Name, Value string
}

// Request is an HTTP/1.1 request head whose header order is kept exactly.
type Request struct {
	Method  string // "GET" when empty
	Target  string // "/" when empty
	Proto   string // "HTTP/1.1" when empty
	Headers []HeaderField
}

// UpgradeRequest returns a standard WebSocket upgrade request for host,
// offering protocols in one Sec-WebSocket-Protocol header (omitted when
// none are given), with the sample key.
func UpgradeRequest(host string, protocols ...string) *Request {
	r := &Request{Headers: []HeaderField{
		{"Host", host},
		{"Upgrade", "websocket"},
		{"Connection", "Upgrade"},
		{"Sec-WebSocket-Key", SampleKey},
		{"Sec-WebSocket-Version", "13"},
	}}
	if len(protocols) > 0 {
		r.Set("Sec-WebSocket-Protocol", strings.Join(protocols, ", "))
	}
	return r
}

// GetRequest returns a plain GET request for target on host.
func GetRequest(host, target string) *Request {
	return &Request{Target: target, Headers: []HeaderField{{"Host", host}}}
}

// Set replaces the first header called name (case-insensitively) and drops
// the others, or appends it when absent. It returns r for chaining.
func (r *Request) Set(name, value string) *Request {
	for i, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			r.Headers[i].Value = value
			r.Headers = append(r.Headers[:i+1], deleteHeader(r.Headers[i+1:], name)...)
			return r
		}
	}
	r.Headers = append(r.Headers, HeaderField{name, value})
	return r
}

// Add appends a header line even if one of that name exists.
func (r *Request) Add(name, value string) *Request {
	r.Headers = append(r.Headers, HeaderField{name, value})
	return r
}

// Del removes every header called name.
func (r *Request) Del(name string) *Request {
	r.Headers = deleteHeader(r.Headers, name)
	return r
}

func deleteHeader(hs []HeaderField, name string) []HeaderField {
	out := hs[:0]
	for _, h := range hs {
		if !strings.EqualFold(h.Name, name) {
			out = append(out, h)
		}
	}
	return out
}

// Bytes renders the request head, ending with the empty line.
func (r *Request) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(or(r.Method, "GET"))
	b.WriteByte(' ')
	b.WriteString(or(r.Target, "/"))
	b.WriteByte(' ')
	b.WriteString(or(r.Proto, "HTTP/1.1"))
	b.WriteString("\r\n")
	for _, h := range r.Headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Response is a parsed HTTP response head.
type Response struct {
	StatusLine string // e.g. "HTTP/1.1 101 Switching Protocols"
	Proto      string
	StatusCode int
	Reason     string
	Headers    []HeaderField // in wire order
	Raw        []byte        // the head as received, including the empty line

	// FrameWithHead reports that a complete WebSocket frame arrived in the
	// same read as the end of the head (a server writing the 101 and the
	// first frame in one write).
	FrameWithHead bool
}

// Get returns the value of the first header called name, or "".
func (r *Response) Get(name string) string {
	v, _ := r.Lookup(name)
	return v
}

// Lookup returns the first header called name and whether it exists.
func (r *Response) Lookup(name string) (string, bool) {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// Values returns every value of headers called name, in order.
func (r *Response) Values(name string) []string {
	var out []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// HasToken reports whether a comma-separated header contains token
// (case-insensitively), as for Connection: keep-alive, Upgrade.
func (r *Response) HasToken(name, token string) bool {
	for _, v := range r.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// ContentLength returns the Content-Length header, or -1.
func (r *Response) ContentLength() int {
	v, ok := r.Lookup("Content-Length")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return -1
	}
	return n
}

// ParseResponseHead parses a response head (without requiring the final
// empty line to be included).
func ParseResponseHead(head []byte) (*Response, error) {
	lines := strings.Split(strings.TrimRight(string(head), "\r\n"), "\r\n")
	if len(lines) == 0 || lines[0] == "" {
		return nil, fmt.Errorf("wstest: empty response head")
	}
	r := &Response{StatusLine: lines[0], Raw: head}
	parts := strings.SplitN(lines[0], " ", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "HTTP/") {
		return nil, fmt.Errorf("wstest: bad status line %q", lines[0])
	}
	r.Proto = parts[0]
	code, err := strconv.Atoi(parts[1])
	if err != nil || len(parts[1]) != 3 {
		return nil, fmt.Errorf("wstest: bad status code in %q", lines[0])
	}
	r.StatusCode = code
	if len(parts) == 3 {
		r.Reason = parts[2]
	}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("wstest: bad header line %q", l)
		}
		r.Headers = append(r.Headers, HeaderField{name, strings.TrimSpace(value)})
	}
	return r, nil
}
