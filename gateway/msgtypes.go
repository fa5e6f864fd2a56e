package gateway

import (
	v1 "github.com/wampgate/wampgate/wamp/v1"
	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// msgSlots bounds the message types counted per direction and protocol;
// slot 0 is "other": a message that does not parse as a WAMP message or
// whose type is not one that direction carries.
const msgSlots = 16

// msgOther is slot 0's name.
const msgOther = "other"

// msgFormat is how a protocol's messages start, for peeking at the type.
type msgFormat uint8

const (
	formatJSON msgFormat = iota
	formatMsgPack
	formatCBOR
)

// msgTable maps the message type codes of one direction of one protocol
// to counting slots.
type msgTable struct {
	slot  [128]uint8       // type code → slot; 0: other
	names [msgSlots]string // slot → type name
	n     int              // slots in use, other included
}

func newMsgTable(codes []int, name func(int) string) msgTable {
	t := msgTable{n: 1}
	t.names[0] = msgOther
	for _, c := range codes {
		t.slot[c] = uint8(t.n)
		t.names[t.n] = name(c)
		t.n++
	}
	return t
}

// msgKinds is what the node counts messages by for one client protocol:
// its name, format and the type tables of each direction.
type msgKinds struct {
	protocol string
	format   msgFormat
	in, out  *msgTable
}

// The type tables: what a client sends, what the router sends.
var (
	v1Name = func(c int) string { return v1.MessageType(c).String() }
	v2Name = func(c int) string { return v2.Type(c).String() }

	v1In  = newMsgTable([]int{int(v1.MsgPrefix), int(v1.MsgCall), int(v1.MsgSubscribe), int(v1.MsgUnsubscribe), int(v1.MsgPublish)}, v1Name)
	v1Out = newMsgTable([]int{int(v1.MsgWelcome), int(v1.MsgCallResult), int(v1.MsgCallError), int(v1.MsgEvent)}, v1Name)
	v2In  = newMsgTable(v2Codes(v2.Hello, v2.Authenticate, v2.Abort, v2.Goodbye, v2.Error, v2.Publish, v2.Subscribe,
		v2.Unsubscribe, v2.Call, v2.Cancel, v2.Register, v2.Unregister, v2.Yield), v2Name)
	v2Out = newMsgTable(v2Codes(v2.Welcome, v2.Abort, v2.Challenge, v2.Goodbye, v2.Error, v2.Published, v2.Subscribed,
		v2.Unsubscribed, v2.Event, v2.Result, v2.Registered, v2.Unregistered, v2.Invocation, v2.Interrupt), v2Name)
)

func v2Codes(ts ...v2.Type) []int {
	codes := make([]int, len(ts))
	for i, t := range ts {
		codes[i] = int(t)
	}
	return codes
}

// kindsFor returns the counting tables of a client protocol entry, nil
// for the peer links (not WAMP).
func kindsFor(e protocolEntry) *msgKinds {
	switch {
	case e.version == 1:
		return &msgKinds{protocol: e.name, format: formatJSON, in: &v1In, out: &v1Out}
	case e.v2 != nil:
		k := &msgKinds{protocol: e.name, in: &v2In, out: &v2Out}
		switch e.v2.Format() {
		case value.MsgPack:
			k.format = formatMsgPack
		case value.CBOR:
			k.format = formatCBOR
		}
		return k
	}
	return nil
}

// slotOf returns the slot of msg's type in t: a look at its first bytes,
// no parsing.
func (k *msgKinds) slotOf(t *msgTable, msg []byte) int {
	c := -1
	switch k.format {
	case formatJSON:
		c = jsonType(msg)
	case formatMsgPack:
		c = msgpackType(msg)
	case formatCBOR:
		c = cborType(msg)
	}
	if c < 0 || c >= len(t.slot) {
		return 0
	}
	return int(t.slot[c])
}

// jsonType reads the type code of a JSON message, [code, ...]; -1 if it
// does not start like one.
func jsonType(b []byte) int {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return -1
	}
	i = skipSpace(b, i+1)
	c, digits := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && digits < 4; i++ {
		c = c*10 + int(b[i]-'0')
		digits++
	}
	if digits == 0 || digits == 4 {
		return -1
	}
	return c
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// msgpackType reads the type code of a MessagePack message, an array
// whose first element is a small unsigned integer; -1 if it does not
// start like one.
func msgpackType(b []byte) int {
	i := 0
	switch {
	case len(b) == 0:
		return -1
	case b[0] > 0x90 && b[0] <= 0x9f: // fixarray
		i = 1
	case b[0] == 0xdc: // array 16
		i = 3
	case b[0] == 0xdd: // array 32
		i = 5
	default:
		return -1
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] <= 0x7f: // positive fixint
		return int(b[i])
	case b[i] == 0xcc && i+1 < len(b): // uint 8
		return int(b[i+1])
	}
	return -1
}

// cborType reads the type code of a CBOR message, an array whose first
// element is a small unsigned integer; -1 if it does not start like one.
func cborType(b []byte) int {
	i := 0
	switch {
	case len(b) == 0:
		return -1
	case b[0] > 0x80 && b[0] <= 0x97: // array, length in the head
		i = 1
	case b[0] == 0x98:
		i = 2
	case b[0] == 0x99:
		i = 3
	case b[0] == 0x9a:
		i = 5
	case b[0] == 0x9f: // indefinite length
		i = 1
	default:
		return -1
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] <= 0x17:
		return int(b[i])
	case b[i] == 0x18 && i+1 < len(b):
		return int(b[i+1])
	}
	return -1
}

// framePayload returns the payload of the unmasked WebSocket frame at the
// start of frame (the router's own frames), nil if it is cut short.
func framePayload(frame []byte) []byte {
	if len(frame) < 2 {
		return nil
	}
	i := 2
	switch frame[1] & 0x7f {
	case 126:
		i = 4
	case 127:
		i = 10
	}
	if i > len(frame) {
		return nil
	}
	return frame[i:]
}
