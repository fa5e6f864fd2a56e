package v2

import (
	"strings"

	"github.com/wampgate/wampgate/wamp/value"
)

// Serializer decodes and encodes WAMP v2 messages in one format.
type Serializer interface {
	// Format is the serializer's wamp/value format; Args and Kwargs of
	// the messages it decodes and encodes are in this format.
	Format() value.Format
	// Binary reports whether messages travel in binary WebSocket frames
	// (MessagePack, CBOR) rather than text frames (JSON).
	Binary() bool
	// DecodeInto decodes msg into m, overwriting all of m. Every element
	// is checked against the type's schema (ids are integers in
	// [0, MaxID], URIs strings, dicts dicts with string keys, Arguments a
	// list, ArgumentsKw a dict, no element too few or too many) and
	// against wamp/value's limits; errors are *DecodeError, after which
	// m may hold part of the message. m.Args and m.Kwargs alias msg.
	DecodeInto(msg []byte, m *Message) error
	// Append appends the encoding of m to dst. It allocates nothing but
	// dst's growth (a Dict of more than 16 keys sorts them on the heap).
	// On error dst is returned as it was.
	Append(dst []byte, m *Message) ([]byte, error)
}

// serializer implements Serializer for one format.
type serializer struct{ format value.Format }

var serializers = [...]Serializer{
	value.JSON:    serializer{value.JSON},
	value.MsgPack: serializer{value.MsgPack},
	value.CBOR:    serializer{value.CBOR},
}

// SerializerFor returns the serializer of format f, nil for an unknown
// format.
func SerializerFor(f value.Format) Serializer {
	if int(f) < len(serializers) {
		return serializers[f]
	}
	return nil
}

func (s serializer) Format() value.Format { return s.format }

func (s serializer) Binary() bool { return s.format != value.JSON }

// DecodeError says why a message was rejected; the session answers it
// with ABORT wamp.error.protocol_violation and Error() as the message.
type DecodeError struct {
	Type  Type   // the message's type, 0 when it could not be told
	Field string // the spec's name of the element at fault, "" for the whole message
	Msg   string // what is wrong
	Err   error  // the wamp/value error behind it, if any
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	if e.Type != 0 {
		b.WriteString(e.Type.String())
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Err }
