package value

import (
	"math"
	"math/big"
)

// Decode decodes raw, exactly one value in format f, into a neutral value
// (see the package documentation for the types and the limits).
func Decode(f Format, raw []byte) (any, error) {
	switch f {
	case JSON:
		return jsonValue(raw, true)
	case MsgPack:
		if err := Validate(f, raw); err != nil {
			return nil, err
		}
		return mpBuild(raw)
	case CBOR:
		if err := Validate(f, raw); err != nil {
			return nil, err
		}
		return cborBuild(raw)
	}
	return nil, decodeErr(f, 0, "unknown format")
}

// Validate reports whether raw is exactly one value in format f that
// Decode accepts, without building it (a JSON binary string is decoded to
// check its base64, nothing else allocates).
func Validate(f Format, raw []byte) error {
	var (
		end int
		err error
	)
	switch f {
	case JSON:
		_, err = jsonValue(raw, false)
		return err
	case MsgPack:
		end, err = mpValue(raw, 0, 0)
	case CBOR:
		end, err = cborValue(raw, 0, 0)
	default:
		return decodeErr(f, 0, "unknown format")
	}
	if err == nil && end != len(raw) {
		err = decodeErr(f, end, "unexpected data after the value")
	}
	return err
}

// Convert appends to dst the value raw, encoded in format from, re-encoded
// in format to. When the formats are the same raw is appended unchanged:
// the caller has validated it. A conversion to JSON fails for NaN,
// infinities and text strings that start with U+0000.
func Convert(dst, raw []byte, from, to Format) ([]byte, error) {
	if from == to {
		return append(dst, raw...), nil
	}
	v, err := Decode(from, raw)
	if err != nil {
		return dst, err
	}
	return Append(to, dst, v)
}

// normalize turns what the msgpack and cbor libraries decode into neutral
// values: sized integers to int64 (uint64 above math.MaxInt64), float32 to
// float64, CBOR integers below math.MinInt64 (big.Int) to float64. Lists
// and dicts are rewritten in place.
func normalize(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
	case float32:
		return float64(x)
	case big.Int:
		f, _ := x.Float64()
		return f
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	}
	return v
}
