// Package value holds WAMP's neutral values and converts them between the
// three WAMP v2 serializers: JSON, MessagePack and CBOR.
//
// # Neutral values
//
// Decode produces, and Append accepts, these Go values:
//
//	nil                    null (CBOR undefined decodes to nil too)
//	bool                   true, false
//	int64                  every integer that fits
//	uint64                 only integers above math.MaxInt64
//	float64                floats; JSON numbers with a fraction or exponent,
//	                       and JSON or CBOR integers beyond 64 bits
//	string                 text strings (valid UTF-8)
//	[]byte                 binary strings
//	[]any                  lists
//	map[string]any         dicts (keys must be strings)
//
// Append also takes int, int8, int16, int32, uint, uint16, uint32 (as
// integers), float32 (as float64), []string, []int64, []uint64 and
// map[string]string; anything else is an *EncodeError.
//
// # Binary values in JSON
//
// JSON has no byte strings. WAMP's convention ("Binary conversion of JSON
// strings") carries them as a JSON string whose first character is U+0000
// followed by the standard, padded base64 of the bytes:
// "\u0000EOP/kFMHXFJvX8BtT+N82w==". Decode turns such a string into []byte
// (invalid base64 is an error) and Append writes []byte that way; a text
// string that itself starts with U+0000 cannot be written as JSON and is
// an error. The convention applies to values, not to dict keys.
// MessagePack bin and CBOR byte strings are []byte; MessagePack str and
// CBOR text strings are string.
//
// # Limits and what is rejected
//
// Every decoder accepts exactly one value with nothing after it, nesting at
// most MaxDepth lists and dicts deep, dict keys that are text strings,
// valid UTF-8 in every text string (JSON escapes included: unpaired UTF-16
// surrogates are rejected), and declared lengths that fit in the input
// (so a short message cannot make a decoder allocate much). A duplicate
// dict key is not an error: the last value wins, as in most JSON decoders.
// JSON numbers that overflow float64 are rejected. MessagePack extension
// types (timestamps included), CBOR tags, CBOR indefinite-length items and
// CBOR simple values other than false, true, null and undefined are
// rejected: no WAMP client library sends them for WAMP payloads.
//
// # Encoding
//
// Append writes deterministic bytes: dict keys in sorted order, integers in
// their shortest form, floats as float64 (MessagePack, CBOR) or in the
// shortest JSON form that reads back as the same float64 (always with a
// fraction or exponent, so a float stays a float), JSON compact and
// without HTML escaping. NaN and infinities cannot be written as JSON.
//
// # Raw values
//
// The routing path never decodes application payloads: Validate checks
// raw bytes against the limits above without building values,
// ListElements splits a list into the raw bytes of its elements, and
// Convert re-encodes a value for a subscriber of another serializer.
package value
