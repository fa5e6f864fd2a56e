package v1

import "strconv"

// Subprotocol is the WebSocket subprotocol name of WAMP v1.
const Subprotocol = "wamp"

// ProtocolVersion is the protocol version sent in WELCOME.
const ProtocolVersion = 1

// MessageType is a WAMP v1 message type id, the first element of every
// message.
type MessageType int

// WAMP v1 message types. Clients may send PREFIX, CALL, SUBSCRIBE,
// UNSUBSCRIBE and PUBLISH; the others only come from the server.
const (
	MsgWelcome     MessageType = 0
	MsgPrefix      MessageType = 1
	MsgCall        MessageType = 2
	MsgCallResult  MessageType = 3
	MsgCallError   MessageType = 4
	MsgSubscribe   MessageType = 5
	MsgUnsubscribe MessageType = 6
	MsgPublish     MessageType = 7
	MsgEvent       MessageType = 8
)

var typeNames = [...]string{"WELCOME", "PREFIX", "CALL", "CALLRESULT", "CALLERROR", "SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH", "EVENT"}

func (t MessageType) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type " + strconv.Itoa(int(t))
}

// LegacyBroadcastTopic is the original setup's relay topic: a
// publication to it reaches every local subscriber (the publisher
// included, exclude and eligible ignored) and is never relayed, as the
// Ratchet nodes' relay did. The gateway makes it the router's
// RouterConfig.LocalTopic.
const LegacyBroadcastTopic = "broadcast/channel"

// ErrorInvalidURI is the error URI of the CALLERROR answering a CALL whose
// procedure is not a string or a number (Ratchet's node dies on those).
const ErrorInvalidURI = "wamp.error.invalid_uri"
