package wamp

import "fmt"

// Conn is the transport under a session: one WebSocket connection, as the
// gateway implements it. Every method is safe for concurrent use and never
// blocks on the network: bytes are queued and flushed by the gateway.
// A Conn method must never call back into the session (ProtocolSession,
// Router) synchronously, e.g. run Closed from inside Close: the broker
// calls SendFrame while it holds a subscription's read lock.
type Conn interface {
	// SendText queues msg as one text frame. msg must not be modified later.
	SendText(msg []byte)
	// SendBinary queues msg as one binary frame (v2 MessagePack and CBOR).
	// msg must not be modified later.
	SendBinary(msg []byte)
	// SendFrame queues a complete, ready WebSocket frame (see
	// internal/wsframe). The same slice may be queued to many connections,
	// so it must never be modified.
	SendFrame(frame []byte)
	// Close sends a close frame with code and reason, then closes the
	// connection once queued bytes are flushed.
	Close(code uint16, reason string)
	// RemoteAddr is the peer's address, for logs and hooks.
	RemoteAddr() string
}

// ProtocolSession is one session of a WAMP protocol version, driven by the
// gateway: Open once after the handshake, HandleMessage for every complete
// message in arrival order (never concurrently), Closed once at the end.
type ProtocolSession interface {
	// Open returns the first message to send, as a text frame, in the
	// same write as the 101 response (v1's WELCOME), or nil when the
	// protocol waits for the client to speak first (v2's HELLO).
	Open() []byte
	// HandleMessage processes one complete WebSocket message. A non-nil
	// error closes the connection; a *CloseError selects the close code.
	HandleMessage(msg []byte, binary bool) error
	// Closed is called once when the connection is gone.
	Closed()
}

// CloseError asks the gateway to close the connection with a WebSocket
// close code and reason.
type CloseError struct {
	Code   uint16
	Reason string
}

// Close codes used by the WAMP layer.
const (
	CloseNormal          uint16 = 1000
	CloseProtocolError   uint16 = 1002
	CloseInvalidPayload  uint16 = 1007
	ClosePolicyViolation uint16 = 1008
	CloseInternalError   uint16 = 1011
)

func (e *CloseError) Error() string {
	return fmt.Sprintf("close %d: %s", e.Code, e.Reason)
}
