package value

import (
	"fmt"
	"strconv"
)

// Format is a serialization of WAMP values.
type Format uint8

// The serializers of WAMP v2 (subprotocols wamp.2.json, wamp.2.msgpack,
// wamp.2.cbor). The zero Format is not a serializer.
const (
	JSON Format = iota + 1
	MsgPack
	CBOR
)

// String returns "json", "msgpack" or "cbor".
func (f Format) String() string {
	switch f {
	case JSON:
		return "json"
	case MsgPack:
		return "msgpack"
	case CBOR:
		return "cbor"
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

func (f Format) valid() bool { return f >= JSON && f <= CBOR }

// MaxDepth is how deeply lists and dicts may nest in one value: a list of
// scalars has depth 1.
const MaxDepth = 64

// DecodeError says why raw bytes are not an acceptable value.
type DecodeError struct {
	Format Format
	Offset int    // byte offset of the problem in the input
	Msg    string // what is wrong, e.g. "invalid UTF-8 in string"
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s: %s at offset %d", e.Format, e.Msg, e.Offset)
}

func decodeErr(f Format, off int, msg string) error {
	return &DecodeError{Format: f, Offset: off, Msg: msg}
}

// EncodeError says why a Go value cannot be encoded.
type EncodeError struct {
	Format Format
	Msg    string // what is wrong, e.g. "unsupported type chan int"
}

func (e *EncodeError) Error() string { return e.Format.String() + ": " + e.Msg }

func encodeErr(f Format, msg string) error { return &EncodeError{Format: f, Msg: msg} }
