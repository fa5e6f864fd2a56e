package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"

	v2 "github.com/wampgate/wampgate/wamp/v2"
	"github.com/wampgate/wampgate/wamp/value"
)

// WAMP v2 message type ids used by the benchmark.
const (
	MsgV2Hello      = int(v2.Hello)
	MsgV2Welcome    = int(v2.Welcome)
	MsgV2Abort      = int(v2.Abort)
	MsgV2Error      = int(v2.Error)
	MsgV2Publish    = int(v2.Publish)
	MsgV2Subscribe  = int(v2.Subscribe)
	MsgV2Subscribed = int(v2.Subscribed)
	MsgV2Event      = int(v2.Event)
	MsgV2Call       = int(v2.Call)
	MsgV2Result     = int(v2.Result)
	MsgV2Register   = int(v2.Register)
	MsgV2Registered = int(v2.Registered)
	MsgV2Invocation = int(v2.Invocation)
	MsgV2Yield      = int(v2.Yield)
)

// encode builds a v2 message with the node's own serializer (setup
// messages only: it allocates).
func encode(p Protocol, m *v2.Message) []byte {
	b, err := v2.SerializerFor(p.Format()).Append(nil, m)
	if err != nil {
		panic(fmt.Sprintf("wire: encoding %s in %s: %v", m.Type, p, err)) // our own messages: a bug
	}
	return b
}

// Hello returns the HELLO joining realm, announcing the four client roles.
func Hello(p Protocol, realm string) []byte {
	roles := map[string]any{}
	for _, r := range []string{"publisher", "subscriber", "caller", "callee"} {
		roles[r] = map[string]any{}
	}
	return encode(p, &v2.Message{Type: v2.Hello, URI: realm, Dict: map[string]any{"roles": roles}})
}

// Subscribe returns the message subscribing to topic: v1 [5,topic], v2
// SUBSCRIBE [32,1,{},topic].
func Subscribe(p Protocol, topic string) []byte {
	if !p.V2() {
		return AppendSubscribe(nil, TopicJSON(topic))
	}
	return encode(p, &v2.Message{Type: v2.Subscribe, Request: 1, URI: topic})
}

// Register returns REGISTER [64,1,{…},procedure]; shared registers with
// `invoke: roundrobin`, so several callees share the procedure.
func Register(p Protocol, procedure string, shared bool) []byte {
	m := &v2.Message{Type: v2.Register, Request: 1, URI: procedure}
	if shared {
		m.Dict = map[string]any{"invoke": "roundrobin"}
	}
	return encode(p, m)
}

// TypeOf returns the type id of a message of protocol p.
func TypeOf(p Protocol, msg []byte) (int, bool) {
	if !p.V2() {
		return MessageType(msg)
	}
	c := openList(p, msg)
	t := c.uint()
	return int(t), c.ok
}

// requestSentinel marks where a template's request id is: a value that
// takes the same bytes as every id Stamp writes (10 decimal digits; in
// MessagePack and CBOR a 4-byte unsigned integer).
const (
	requestSentinel = 3_999_999_999
	requestBase     = 1_000_000_000 // Stamp's request ids are requestBase + seq
)

// NewPublicationFor builds the PUBLISH of protocol p for topic from
// publisher pub (0…9999), whose event takes eventSize bytes in p's
// encoding (at least MinEventSize). v1: [7,topic,event,true] (excluding
// the publisher); v2: [16,request,{},topic,[event]] (exclude_me is true
// by default), the request id rewritten by each Stamp.
func NewPublicationFor(p Protocol, topic string, pub, eventSize int) *Stamped {
	if !p.V2() {
		return NewPublication(TopicJSON(topic), pub, eventSize, true)
	}
	return newStamped(p, v2.Publish, topic, pub, eventSize)
}

// NewCall builds a CALL [48,request,{},procedure,[arg]] from caller
// (0…9999) whose argument, a stamped string like an event's, takes
// argSize bytes in p's encoding; each Stamp writes a new request id.
func NewCall(p Protocol, procedure string, caller, argSize int) *Stamped {
	return newStamped(p, v2.Call, procedure, caller, argSize)
}

func newStamped(p Protocol, t v2.Type, uri string, pub, size int) *Stamped {
	size = max(size, MinEventSize)
	f := p.Format()
	content := stampContent(pub, contentLen(f, size))
	arg, err := value.Append(f, nil, []any{string(content)})
	if err != nil {
		panic(fmt.Sprintf("wire: encoding the argument in %s: %v", p, err))
	}
	msg := encode(p, &v2.Message{Type: t, Request: requestSentinel, URI: uri, Args: arg})
	s := &Stamped{msg: msg, proto: p}
	s.reqOff = bytes.Index(msg, value.AppendUint(f, nil, requestSentinel))
	at := bytes.Index(msg, content)
	if s.reqOff < 0 || at < 0 {
		panic("wire: stamp placeholders not found")
	}
	if f != value.JSON {
		s.reqOff++ // past the type byte (0xce, 0x1a): 4 bytes big-endian follow
	}
	s.tsOff = at + 1
	s.seqOff = s.tsOff + tsDigits + 1
	return s
}

// contentLen is the length of a string whose encoding in f takes size
// bytes, or as close below as the header sizes allow.
func contentLen(f value.Format, size int) int {
	header := func(n int) int {
		switch {
		case f == value.JSON:
			return 2 // the quotes
		case f == value.MsgPack && n < 32, f == value.CBOR && n < 24:
			return 1
		case n < 256:
			return 2
		case n < 65536:
			return 3
		}
		return 5
	}
	n := size - 1
	for n > 0 && n+header(n) > size {
		n--
	}
	return n
}

// stampContent returns the text of a stamped payload of n bytes with
// zeros for the stamp: T<ts>,<seq>,<pub>,xxx… (as in NewPublication).
func stampContent(pub, n int) []byte {
	m := []byte{'T'}
	m = appendFixed(m, 0, tsDigits)
	m = append(m, ',')
	m = appendFixed(m, 0, seqDigits)
	m = append(m, ',')
	m = appendFixed(m, uint64(pub%10000), pubDigits)
	if len(m) < n {
		m = append(m, ',')
	}
	for len(m) < n {
		m = append(m, 'x')
	}
	return m
}

// ParseEventFor reads the stamp of an event as protocol p delivers it:
// v1 EVENT [8,topic,event], v2 EVENT [36,sub,pub,details,[event,…],…].
// ok is false for any other message. It never allocates.
func ParseEventFor(p Protocol, msg []byte) (unixNano int64, seq uint64, pub int, ok bool) {
	if !p.V2() {
		return ParseEvent(msg)
	}
	c := openList(p, msg)
	if c.uint() != uint64(MsgV2Event) || !c.ok {
		return 0, 0, 0, false
	}
	c.skip() // subscription
	c.skip() // publication
	c.skip() // details
	return firstArgStamp(&c)
}

// firstArgStamp reads the stamp of the first element of the argument list
// at the cursor.
func firstArgStamp(c *cursor) (unixNano int64, seq uint64, pub int, ok bool) {
	c.elem()
	c.listHead()
	s := c.str()
	if !c.ok {
		return 0, 0, 0, false
	}
	return parseStamp(s)
}

// ParseResult reads RESULT [50,request,details,[arg,…]] whose argument is
// a CALL's stamped argument echoed back: the request id and the stamp.
func ParseResult(p Protocol, msg []byte) (request uint64, unixNano int64, ok bool) {
	c := openList(p, msg)
	if c.uint() != uint64(MsgV2Result) || !c.ok {
		return 0, 0, false
	}
	request = c.uint()
	c.skip() // details
	unixNano, _, _, ok = firstArgStamp(&c)
	return request, unixNano, ok && c.ok
}

// ParseInvocation reads INVOCATION [68,request,registration,details,args,…]
// and returns its request id and its raw Arguments list (an alias of msg,
// nil when there are none).
func ParseInvocation(p Protocol, msg []byte) (request uint64, args []byte, ok bool) {
	c := openList(p, msg)
	if c.uint() != uint64(MsgV2Invocation) || !c.ok {
		return 0, nil, false
	}
	request = c.uint()
	c.skip() // registration
	c.skip() // details
	if !c.ok {
		return 0, nil, false
	}
	if c.p == V2JSON {
		if i := jsonSpace(c.b, c.i); i < len(c.b) && c.b[i] == ']' {
			return request, nil, true
		}
	} else if c.i >= len(c.b) {
		return request, nil, true
	}
	args = c.raw()
	return request, args, c.ok
}

// AppendYield appends YIELD [70,request,{},args] (args raw in p's format;
// none when nil). It never allocates beyond dst's growth.
func AppendYield(p Protocol, dst []byte, request uint64, args []byte) []byte {
	f := p.Format()
	n := 3
	if args != nil {
		n = 4
	}
	dst = value.AppendListStart(f, dst, n)
	dst = value.AppendUint(f, dst, uint64(MsgV2Yield))
	dst = value.AppendListNext(f, dst, 1)
	dst = value.AppendUint(f, dst, request)
	dst = value.AppendListNext(f, dst, 2)
	dst = append(dst, emptyDict(f)...)
	if args != nil {
		dst = value.AppendListNext(f, dst, 3)
		dst = append(dst, args...)
	}
	return value.AppendListEnd(f, dst)
}

func emptyDict(f value.Format) string {
	switch f {
	case value.MsgPack:
		return "\x80"
	case value.CBOR:
		return "\xa0"
	}
	return "{}"
}

// putRequest writes request id requestBase+seq at s.reqOff.
func (s *Stamped) putRequest(seq uint64) {
	id := RequestID(seq)
	if s.proto == V2JSON {
		putFixed(s.msg[s.reqOff:s.reqOff+10], id)
		return
	}
	binary.BigEndian.PutUint32(s.msg[s.reqOff:], uint32(id))
}

// RequestID is the request id the Stamp for seq writes.
func RequestID(seq uint64) uint64 { return requestBase + seq%(requestSentinel-requestBase) }

// ParseError reads ERROR [8,requestType,request,details,uri,…] and
// returns the type and id of the request it answers and its error URI
// (an alias of msg).
func ParseError(p Protocol, msg []byte) (requestType int, request uint64, uri []byte, ok bool) {
	c := openList(p, msg)
	if c.uint() != uint64(MsgV2Error) || !c.ok {
		return 0, 0, nil, false
	}
	requestType = int(c.uint())
	request = c.uint()
	c.skip() // details
	uri = c.str()
	return requestType, request, uri, c.ok
}
