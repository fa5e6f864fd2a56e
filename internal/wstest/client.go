package wstest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// DefaultTimeout bounds dials and handshakes when no deadline is given.
const DefaultTimeout = 5 * time.Second

// maxResponseHead bounds the response head the client accepts.
const maxResponseHead = 64 << 10

// Client is one raw TCP connection speaking (or trying to speak)
// WebSocket. It is not safe for concurrent reads, nor for concurrent
// writes, but one goroutine may read while another writes.
type Client struct {
	conn net.Conn
	buf  []byte // received bytes not consumed yet
	rerr error  // sticky read error (EOF, reset)

	// Response is the handshake response, once Handshake has read it.
	Response *Response
}

// Dial opens a TCP connection to addr.
func Dial(addr string) (*Client, error) {
	conn, err := net.DialTimeout("tcp", addr, DefaultTimeout)
	if err != nil {
		return nil, err
	}
	return NewClient(conn), nil
}

// NewClient wraps a connection the caller dialled (for example with
// socket options set).
func NewClient(conn net.Conn) *Client { return &Client{conn: conn} }

// Connect dials addr and performs the handshake req (UpgradeRequest(addr,
// "wamp") when nil). It fails unless the answer is 101 with a valid
// Sec-WebSocket-Accept. The client is returned with the response even on a
// refused handshake, so callers can inspect it; close it in every case.
func Connect(addr string, req *Request) (*Client, error) {
	c, err := Dial(addr)
	if err != nil {
		return nil, err
	}
	return c, c.Upgrade(addr, req)
}

// Upgrade performs the handshake req (UpgradeRequest(addr, "wamp") when
// nil) on an open connection and checks for a 101 with a valid
// Sec-WebSocket-Accept; the response is in c.Response.
func (c *Client) Upgrade(addr string, req *Request) error {
	if req == nil {
		req = UpgradeRequest(addr, "wamp")
	}
	resp, err := c.Handshake(req.Bytes(), DefaultTimeout)
	if err != nil {
		return err
	}
	if resp.StatusCode != 101 {
		return fmt.Errorf("wstest: handshake refused: %q", resp.StatusLine)
	}
	if key := headerValue(req.Headers, "Sec-WebSocket-Key"); key != "" {
		if got := resp.Get("Sec-WebSocket-Accept"); got != AcceptKey(key) {
			return fmt.Errorf("wstest: bad Sec-WebSocket-Accept %q, want %q", got, AcceptKey(key))
		}
	}
	return nil
}

func headerValue(hs []HeaderField, name string) string {
	for _, h := range hs {
		if bytes.EqualFold([]byte(h.Name), []byte(name)) {
			return h.Value
		}
	}
	return ""
}

// Conn returns the underlying connection.
func (c *Client) Conn() net.Conn { return c.conn }

// Close closes the connection (a FIN, or an RST if unread data is pending).
func (c *Client) Close() error { return c.conn.Close() }

// CloseWrite half-closes the connection (sends a FIN, keeps reading).
func (c *Client) CloseWrite() error {
	if tc, ok := c.conn.(*net.TCPConn); ok {
		return tc.CloseWrite()
	}
	return errors.New("wstest: not a TCP connection")
}

// Reset closes the connection with an RST (SO_LINGER 0), as a peer that
// vanishes does.
func (c *Client) Reset() error {
	if tc, ok := c.conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	return c.conn.Close()
}

// WriteRaw writes b as is, with a write deadline of DefaultTimeout.
func (c *Client) WriteRaw(b []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(DefaultTimeout))
	_, err := c.conn.Write(b)
	return err
}

// WriteRawTimeout writes b with the given write deadline (0: none).
func (c *Client) WriteRawTimeout(b []byte, d time.Duration) error {
	var dl time.Time
	if d > 0 {
		dl = time.Now().Add(d)
	}
	_ = c.conn.SetWriteDeadline(dl)
	_, err := c.conn.Write(b)
	return err
}

// WriteFrame encodes and writes one frame.
func (c *Client) WriteFrame(f OutFrame) error { return c.WriteRaw(Encode(f)) }

// SendText sends a masked final text frame.
func (c *Client) SendText(s string) error {
	return c.WriteFrame(OutFrame{Op: OpText, Payload: []byte(s)})
}

// SendBinary sends a masked final binary frame.
func (c *Client) SendBinary(b []byte) error {
	return c.WriteFrame(OutFrame{Op: OpBinary, Payload: b})
}

// SendPing sends a ping with payload p.
func (c *Client) SendPing(p string) error {
	return c.WriteFrame(OutFrame{Op: OpPing, Payload: []byte(p)})
}

// SendPong sends a pong with payload p.
func (c *Client) SendPong(p string) error {
	return c.WriteFrame(OutFrame{Op: OpPong, Payload: []byte(p)})
}

// SendClose sends a close frame with code and reason.
func (c *Client) SendClose(code uint16, reason string) error {
	return c.WriteFrame(OutFrame{Op: OpClose, Payload: CloseBody(code, reason)})
}

// WriteRequest writes a request head.
func (c *Client) WriteRequest(r *Request) error { return c.WriteRaw(r.Bytes()) }

// Handshake writes raw (a request head, possibly followed by more bytes)
// and reads the response head. Bytes after the head stay buffered for
// ReadFrame; Response.FrameWithHead tells whether a complete frame came in
// the same read as the end of the head.
func (c *Client) Handshake(raw []byte, d time.Duration) (*Response, error) {
	if err := c.WriteRaw(raw); err != nil {
		return nil, err
	}
	return c.ReadResponse(d)
}

// ReadResponse reads an HTTP response head within d.
func (c *Client) ReadResponse(d time.Duration) (*Response, error) {
	c.setReadDeadline(d)
	for {
		if i := bytes.Index(c.buf, []byte("\r\n\r\n")); i >= 0 {
			// Only reached when the head was already buffered before this
			// call; FrameWithHead then is not meaningful.
			return c.takeHead(i+4, false)
		}
		if len(c.buf) > maxResponseHead {
			return nil, fmt.Errorf("wstest: response head over %d bytes", maxResponseHead)
		}
		before := len(c.buf)
		if err := c.fill(); err != nil {
			if len(c.buf) > 0 {
				return nil, fmt.Errorf("wstest: incomplete response head %q: %w", c.buf, err)
			}
			return nil, err
		}
		// Search from a little before the new bytes: the terminator may
		// straddle two reads.
		from := max(0, before-3)
		if i := bytes.Index(c.buf[from:], []byte("\r\n\r\n")); i >= 0 {
			return c.takeHead(from+i+4, true)
		}
	}
}

func (c *Client) takeHead(n int, sameRead bool) (*Response, error) {
	head := append([]byte(nil), c.buf[:n]...)
	c.buf = c.buf[n:]
	r, err := ParseResponseHead(head)
	if err != nil {
		return nil, err
	}
	if sameRead {
		f, _, _ := ParseFrame(c.buf, 0)
		r.FrameWithHead = f != nil
	}
	c.Response = r
	return r, nil
}

// ReadBody reads the body of resp: Content-Length bytes when given,
// otherwise everything until the server closes the connection.
func (c *Client) ReadBody(resp *Response, d time.Duration) ([]byte, error) {
	c.setReadDeadline(d)
	if n := resp.ContentLength(); n >= 0 {
		for len(c.buf) < n {
			if err := c.fill(); err != nil {
				return nil, fmt.Errorf("wstest: body cut at %d of %d bytes: %w", len(c.buf), n, err)
			}
		}
		body := append([]byte(nil), c.buf[:n]...)
		c.buf = c.buf[n:]
		return body, nil
	}
	for {
		if err := c.fill(); err != nil {
			body := c.buf
			c.buf = nil
			if errors.Is(err, io.EOF) {
				return body, nil
			}
			return body, err
		}
	}
}

// ReadAll reads raw bytes until the server closes the connection or d
// passes; it returns what arrived (including bytes buffered before). The
// error is nil only when the server closed cleanly (FIN): a reset is an
// error, as is the deadline passing.
func (c *Client) ReadAll(d time.Duration) ([]byte, error) {
	c.setReadDeadline(d)
	for {
		if err := c.fill(); err != nil {
			out := c.buf
			c.buf = nil
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
	}
}

// ReadFrame returns the next frame, waiting at most d (0: no deadline). It
// returns io.EOF when the server closed TCP cleanly with no partial frame
// pending, io.ErrUnexpectedEOF when it closed inside a frame, and an error
// for which IsTimeout is true when d passed (the partial frame is kept and a
// later call continues it).
func (c *Client) ReadFrame(d time.Duration) (*Frame, error) {
	c.setReadDeadline(d)
	for {
		f, n, err := ParseFrame(c.buf, 0)
		if err != nil {
			return nil, err
		}
		if f != nil {
			c.buf = c.buf[n:]
			return f, nil
		}
		if err := c.fill(); err != nil {
			if errors.Is(err, io.EOF) && len(c.buf) > 0 {
				return nil, fmt.Errorf("wstest: %w with %d bytes of a partial frame", io.ErrUnexpectedEOF, len(c.buf))
			}
			return nil, err
		}
	}
}

// fill reads once from the connection into buf. Read errors are sticky.
func (c *Client) fill() error {
	if c.rerr != nil {
		return c.rerr
	}
	if cap(c.buf)-len(c.buf) < 16<<10 {
		nb := make([]byte, len(c.buf), 2*cap(c.buf)+64<<10)
		copy(nb, c.buf)
		c.buf = nb
	}
	n, err := c.conn.Read(c.buf[len(c.buf):cap(c.buf)])
	c.buf = c.buf[:len(c.buf)+n]
	if err != nil && n == 0 {
		if !IsTimeout(err) {
			c.rerr = err
		}
		return err
	}
	return nil
}

func (c *Client) setReadDeadline(d time.Duration) {
	var dl time.Time
	if d > 0 {
		dl = time.Now().Add(d)
	}
	_ = c.conn.SetReadDeadline(dl)
}

// Buffered returns how many received bytes are not consumed yet.
func (c *Client) Buffered() int { return len(c.buf) }

// IsTimeout reports whether err is a deadline expiry.
func IsTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// IsClosed reports whether err means the connection is gone, cleanly or
// not: a clean EOF, EOF inside a frame, a reset or a broken pipe. It suits
// write errors on a connection the server may have closed; it is never
// evidence of a clean close (IsEOF is).
func IsClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// IsEOF reports whether err is a clean end of the stream: the server sent
// FIN after a complete frame (ReadFrame reports EOF inside a frame as
// io.ErrUnexpectedEOF, and a reset as ECONNRESET).
func IsEOF(err error) bool { return errors.Is(err, io.EOF) }

// ReadText reads the next frame and fails unless it is a final text frame.
func (c *Client) ReadText(d time.Duration) (string, error) {
	f, err := c.ReadFrame(d)
	if err != nil {
		return "", err
	}
	if f.Op != OpText || !f.Fin {
		return "", fmt.Errorf("wstest: want a text frame, got %s", f)
	}
	return string(f.Payload), nil
}

// ReadClose reads the next frame and fails unless it is a close frame; it
// returns its code and reason.
func (c *Client) ReadClose(d time.Duration) (code uint16, reason string, err error) {
	f, err := c.ReadFrame(d)
	if err != nil {
		return 0, "", err
	}
	code, reason, ok := f.CloseCode()
	if !ok {
		return 0, "", fmt.Errorf("wstest: want a close frame, got %s", f)
	}
	return code, reason, nil
}

// ExpectNoFrame succeeds when nothing arrives within d. A frame, or the
// connection closing, is an error.
func (c *Client) ExpectNoFrame(d time.Duration) error {
	f, err := c.ReadFrame(d)
	switch {
	case err == nil:
		return fmt.Errorf("wstest: want no frame within %v, got %s", d, f)
	case IsTimeout(err):
		return nil
	default:
		return fmt.Errorf("wstest: want no frame within %v, got %w", d, err)
	}
}

// ExpectEOF succeeds when the server closes the connection cleanly (FIN)
// within d without sending any further byte. A reset, a partial frame or
// a frame is an error.
func (c *Client) ExpectEOF(d time.Duration) error {
	f, err := c.ReadFrame(d)
	switch {
	case err == nil:
		return fmt.Errorf("wstest: want the connection closed, got %s", f)
	case IsEOF(err):
		return nil
	default:
		return fmt.Errorf("wstest: want a clean close (FIN) within %v: %w", d, err)
	}
}

// ExpectClose reads frames until a close frame arrives, skipping pings and
// pongs, and then requires the server to close TCP cleanly (ExpectEOF). It
// returns the close code and reason.
func (c *Client) ExpectClose(d time.Duration) (code uint16, reason string, err error) {
	frames, code, reason, err := c.ReadUntilClose(d)
	if err != nil {
		return code, reason, err
	}
	for _, f := range frames {
		if f.Op != OpPing && f.Op != OpPong {
			return code, reason, fmt.Errorf("wstest: want a close frame, got %s first", f)
		}
	}
	return code, reason, nil
}

// ReadUntilClose reads every frame until a close frame, then requires the
// server to close TCP cleanly, all within d. It returns the frames before
// the close frame and the close code and reason. Anything else is an
// error: the connection ending without a close frame, a reset, a frame
// cut short, a malformed close frame or bytes after it. This is what a
// peer sees of a proper server-initiated close.
func (c *Client) ReadUntilClose(d time.Duration) (frames []*Frame, code uint16, reason string, err error) {
	deadline := time.Now().Add(d)
	for {
		f, err := c.ReadFrame(time.Until(deadline))
		if err != nil {
			if IsEOF(err) {
				err = fmt.Errorf("connection closed without a close frame: %w", err)
			}
			return frames, 0, "", fmt.Errorf("wstest: want a close frame (after %d frames): %w", len(frames), err)
		}
		if f.Op != OpClose {
			frames = append(frames, f)
			continue
		}
		code, reason, ok := f.CloseCode()
		if !ok || !f.Fin {
			return frames, 0, "", fmt.Errorf("wstest: malformed close frame %s", f)
		}
		if err := c.ExpectEOF(time.Until(deadline)); err != nil {
			return frames, code, reason, fmt.Errorf("after close %d %q: %w", code, reason, err)
		}
		return frames, code, reason, nil
	}
}

// barrierSeq numbers Sync pings so that stray pongs never match.
var barrierSeq = make(chan uint64, 1)

func init() { barrierSeq <- 0 }

// SyncPrefix starts the payload of the pings Sync sends.
const SyncPrefix = "wstest-sync-"

// Sync sends a ping with a unique payload and returns every frame received
// before the matching pong (the pong itself is dropped). As a server
// answers a connection's frames in order and queues its pong behind the
// frames already queued, Sync returns everything the server had produced
// for this connection before it read the ping. If the server closes the
// connection instead, Sync returns the frames it got (including a close
// frame) and the read error: IsEOF for a clean close, otherwise a reset or
// a frame cut short.
func (c *Client) Sync(d time.Duration) ([]*Frame, error) {
	n := <-barrierSeq
	barrierSeq <- n + 1
	payload := SyncPrefix + strconv.FormatUint(n, 10)
	var got []*Frame
	werr := c.SendPing(payload)
	deadline := time.Now().Add(d)
	for {
		f, err := c.ReadFrame(time.Until(deadline))
		if err != nil {
			if werr != nil && !IsClosed(err) {
				err = fmt.Errorf("%w (the ping could not be sent: %v)", err, werr)
			}
			return got, err
		}
		if f.Op == OpPong && string(f.Payload) == payload {
			return got, nil
		}
		got = append(got, f)
	}
}
