package wire

import (
	"fmt"
	"strings"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/wamp/value"
)

// Protocol is the WAMP subprotocol a benchmark connection speaks: WAMP v1
// ("wamp", the zero value) or WAMP v2 over one of its serializers.
type Protocol uint8

// The subprotocols wampbench speaks.
const (
	V1        Protocol = iota // "wamp"
	V2JSON                    // "wamp.2.json", text frames
	V2MsgPack                 // "wamp.2.msgpack", binary frames
	V2CBOR                    // "wamp.2.cbor", binary frames
)

var protocolNames = [...]string{V1: "wamp", V2JSON: "wamp.2.json", V2MsgPack: "wamp.2.msgpack", V2CBOR: "wamp.2.cbor"}

// ParseProtocol reads a subprotocol name ("wamp", "wamp.2.json",
// "wamp.2.msgpack", "wamp.2.cbor"); "" is "wamp".
func ParseProtocol(name string) (Protocol, error) {
	if name == "" {
		return V1, nil
	}
	for p, n := range protocolNames {
		if n == name {
			return Protocol(p), nil
		}
	}
	return V1, fmt.Errorf("unknown protocol %q (want one of %s)", name, strings.Join(protocolNames[:], ", "))
}

// String is the WebSocket subprotocol name.
func (p Protocol) String() string {
	if int(p) < len(protocolNames) {
		return protocolNames[p]
	}
	return fmt.Sprintf("protocol(%d)", int(p))
}

// V2 reports whether p is WAMP v2.
func (p Protocol) V2() bool { return p != V1 }

// OpCode is the kind of WebSocket frame p's messages travel in.
func (p Protocol) OpCode() ws.OpCode {
	if p == V2MsgPack || p == V2CBOR {
		return ws.OpBinary
	}
	return ws.OpText
}

// Format is p's wamp/value format (0 for v1).
func (p Protocol) Format() value.Format {
	switch p {
	case V2JSON:
		return value.JSON
	case V2MsgPack:
		return value.MsgPack
	case V2CBOR:
		return value.CBOR
	}
	return 0
}

// WelcomeType is the type id of p's WELCOME message.
func (p Protocol) WelcomeType() int {
	if p.V2() {
		return MsgV2Welcome
	}
	return MsgWelcome
}
