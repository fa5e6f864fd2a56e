package wire

import (
	"bytes"
	"encoding/json"
)

// WAMP v1 message type ids used by the benchmark (v2's: wamp2.go).
const (
	MsgWelcome   = 0
	MsgSubscribe = 5
	MsgPublish   = 7
	MsgEvent     = 8
)

// TopicJSON encodes topic as a JSON string, once, for the builders below.
func TopicJSON(topic string) []byte {
	b, _ := json.Marshal(topic) // a string always marshals
	return b
}

// AppendSubscribe appends the WAMP v1 message [5,topic].
func AppendSubscribe(dst, topicJSON []byte) []byte {
	dst = append(dst, "[5,"...)
	dst = append(dst, topicJSON...)
	return append(dst, ']')
}

// The event a publication carries is one JSON string of a fixed layout,
// so a receiver reads the stamp without decoding JSON and the server has
// nothing to escape:
//
//	"T<19-digit unix ns>,<10-digit sequence>,<4-digit publisher>,xxxx…"
const (
	stampPrefix = `"T`
	tsDigits    = 19
	seqDigits   = 10
	pubDigits   = 4
	// MinEventSize is the smallest event (in bytes of JSON) a publication
	// can carry: the quoted stamp without padding.
	MinEventSize = len(stampPrefix) + tsDigits + 1 + seqDigits + 1 + pubDigits + 1
)

// Stamped is a reusable message carrying a stamped payload — a v1
// PUBLISH [7,topic,event(,true)], a v2 PUBLISH or CALL (wamp2.go) — whose
// stamp (and, in v2, request id) is rewritten in place before each send.
type Stamped struct {
	msg    []byte
	proto  Protocol
	reqOff int // v2: where the request id is
	tsOff  int
	seqOff int
}

// NewPublication builds a v1 PUBLISH for topic from publisher pub
// (0…9999) whose event is eventSize bytes of JSON (at least
// MinEventSize). excludeMe selects the 4-element form that excludes the
// publisher.
func NewPublication(topicJSON []byte, pub, eventSize int, excludeMe bool) *Stamped {
	if eventSize < MinEventSize {
		eventSize = MinEventSize
	}
	p := &Stamped{}
	m := append([]byte("[7,"), topicJSON...)
	m = append(m, ',')
	evStart := len(m)
	m = append(m, stampPrefix...)
	p.tsOff = len(m)
	m = appendFixed(m, 0, tsDigits)
	m = append(m, ',')
	p.seqOff = len(m)
	m = appendFixed(m, 0, seqDigits)
	m = append(m, ',')
	m = appendFixed(m, uint64(pub%10000), pubDigits)
	for len(m)-evStart < eventSize-1 {
		if len(m)-evStart == MinEventSize-1 {
			m = append(m, ',')
		} else {
			m = append(m, 'x')
		}
	}
	m = append(m, '"')
	if excludeMe {
		m = append(m, ",true"...)
	}
	p.msg = append(m, ']')
	return p
}

// Stamp writes the send time (unix ns) and sequence number into the
// message (and, in v2, the request id RequestID(seq)) and returns it. The
// slice is reused by the next Stamp.
func (p *Stamped) Stamp(unixNano int64, seq uint64) []byte {
	putFixed(p.msg[p.tsOff:p.tsOff+tsDigits], uint64(unixNano))
	putFixed(p.msg[p.seqOff:p.seqOff+seqDigits], seq)
	if p.proto.V2() {
		p.putRequest(seq)
	}
	return p.msg
}

func appendFixed(dst []byte, v uint64, width int) []byte {
	for i := 0; i < width; i++ {
		dst = append(dst, '0')
	}
	putFixed(dst[len(dst)-width:], v)
	return dst
}

func putFixed(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// MessageType returns the type id of a WAMP v1 message ([id, …]).
func MessageType(msg []byte) (int, bool) {
	i := skipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '[' {
		return 0, false
	}
	i = skipSpace(msg, i+1)
	v, j := readUint(msg, i)
	if j == i {
		return 0, false
	}
	return int(v), true
}

// ParseEvent reads the stamp out of an EVENT [8,topic,event] whose event
// was built by NewPublication. ok is false for any other message.
func ParseEvent(msg []byte) (unixNano int64, seq uint64, pub int, ok bool) {
	i := skipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '[' {
		return
	}
	i = skipSpace(msg, i+1)
	if i+1 >= len(msg) || msg[i] != '8' || (msg[i+1] != ',' && msg[i+1] != ' ') {
		return
	}
	i = skipSpace(msg, i+1)
	if i >= len(msg) || msg[i] != ',' {
		return
	}
	i = skipSpace(msg, i+1)
	if i = skipString(msg, i); i < 0 {
		return
	}
	i = skipSpace(msg, i)
	if i >= len(msg) || msg[i] != ',' {
		return
	}
	i = skipSpace(msg, i+1)
	if i >= len(msg) || msg[i] != '"' {
		return
	}
	return parseStamp(msg[i+1:])
}

// parseStamp reads the stamp at the start of s: T<ts>,<seq>,<pub>,….
func parseStamp(s []byte) (unixNano int64, seq uint64, pub int, ok bool) {
	if len(s) < 1 || s[0] != 'T' {
		return
	}
	i := 1
	ts, j := readUint(s, i)
	if j == i || j >= len(s) || s[j] != ',' {
		return
	}
	i = j + 1
	seq, j = readUint(s, i)
	if j == i || j >= len(s) || s[j] != ',' {
		return
	}
	i = j + 1
	p, j := readUint(s, i)
	if j == i {
		return
	}
	return int64(ts), seq, int(p), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string starting at b[i], or
// -1 if there is none. A quote ends the string unless an odd number of
// backslashes precede it.
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		escapes := 0
		for e := q - 1; e > i && b[e] == '\\'; e-- {
			escapes++
		}
		if escapes%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
	return -1
}

func readUint(b []byte, i int) (uint64, int) {
	var v uint64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + uint64(b[i]-'0')
		i++
	}
	return v, i
}
