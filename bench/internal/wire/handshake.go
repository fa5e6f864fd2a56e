package wire

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// KeyLen is the length of a base64-encoded Sec-WebSocket-Key.
const KeyLen = 24

// MaxResponseHeader bounds the size of an upgrade response header.
const MaxResponseHeader = 8192

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Handshake errors; ResponseError carries an unexpected status.
var (
	ErrHeaderTooLong  = errors.New("response header too long")
	ErrBadStatusLine  = errors.New("malformed status line")
	ErrBadAccept      = errors.New("wrong Sec-WebSocket-Accept")
	ErrNoUpgrade      = errors.New("missing Upgrade: websocket")
	ErrWrongProtocol  = errors.New("subprotocol not negotiated")
	ErrMalformedField = errors.New("malformed header field")
)

// StatusError reports an upgrade answered with a status other than 101.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return "status " + strconv.Itoa(e.Code) }

// MakeKey encodes 16 random bytes as a Sec-WebSocket-Key.
func MakeKey(random [16]byte) (key [KeyLen]byte) {
	base64.StdEncoding.Encode(key[:], random[:])
	return key
}

// AcceptFor computes the Sec-WebSocket-Accept value a server must answer
// to key.
func AcceptFor(key []byte) string {
	h := sha1.New()
	h.Write(key)
	h.Write([]byte(acceptGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// AppendRequest appends a WebSocket upgrade request for path on host,
// offering subprotocol protocol (none when empty).
func AppendRequest(dst []byte, host, path string, key []byte, protocol string) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	dst = append(dst, key...)
	if protocol != "" {
		dst = append(dst, "\r\nSec-WebSocket-Protocol: "...)
		dst = append(dst, protocol...)
	}
	return append(dst, "\r\n\r\n"...)
}

// CheckResponse looks for a complete upgrade response header at the start
// of buf. It returns n == 0 while the header is incomplete; otherwise n is
// the header's length (the bytes after it are already WebSocket frames)
// and err says whether the upgrade is valid for key and protocol.
func CheckResponse(buf, key []byte, protocol string) (n int, err error) {
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if len(buf) > MaxResponseHeader {
			return 0, ErrHeaderTooLong
		}
		return 0, nil
	}
	n = end + 4
	head := buf[:end]
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	// "HTTP/1.1 101 Switching Protocols"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return n, ErrBadStatusLine
	}
	code, cerr := strconv.Atoi(string(line[9:12]))
	if cerr != nil {
		return n, ErrBadStatusLine
	}
	if code != 101 {
		return n, &StatusError{Code: code}
	}
	var upgrade, accept, proto bool
	want := AcceptFor(key)
	for len(rest) > 0 {
		var field []byte
		field, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(field, []byte(":"))
		if !ok {
			return n, ErrMalformedField
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Upgrade")):
			upgrade = bytes.EqualFold(value, []byte("websocket"))
		case bytes.EqualFold(name, []byte("Sec-WebSocket-Accept")):
			accept = string(value) == want
		case bytes.EqualFold(name, []byte("Sec-WebSocket-Protocol")):
			proto = string(value) == protocol
		}
	}
	switch {
	case !upgrade:
		return n, ErrNoUpgrade
	case !accept:
		return n, ErrBadAccept
	case protocol != "" && !proto:
		return n, fmt.Errorf("%w (%q)", ErrWrongProtocol, protocol)
	}
	return n, nil
}
