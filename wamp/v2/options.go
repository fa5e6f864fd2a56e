package v2

import (
	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// This file reads the Options of client requests (decoded to wamp/value's
// neutral values) and copies payloads out of message buffers.

// boolOption returns the boolean option name of d, def when absent; ok is
// false when it is present but not a boolean.
func boolOption(d map[string]any, name string, def bool) (v, ok bool) {
	raw, present := d[name]
	if !present {
		return def, true
	}
	v, ok = raw.(bool)
	return v, ok
}

// idsOption returns the option name of d as session ids, nil when absent;
// ok is false unless it is a list of integers in [0, 2^53] (0 names
// nobody).
func idsOption(d map[string]any, name string) (ids []wamp.ID, ok bool) {
	raw, present := d[name]
	if !present {
		return nil, true
	}
	list, isList := raw.([]any)
	if !isList {
		return nil, false
	}
	ids = make([]wamp.ID, 0, len(list))
	for _, e := range list {
		// Decoding gives int64 for every integer up to MaxInt64; uint64
		// only above, out of range anyway.
		n, isInt := e.(int64)
		if !isInt || n < 0 || n > int64(wamp.MaxID) {
			return nil, false
		}
		ids = append(ids, wamp.ID(n))
	}
	return ids, true
}

// stringsOption returns the option name of d as a list of strings, nil
// when absent; ok is false unless it is a list of strings. The strings
// are the decoded message's own (the decoder copies them out of the
// buffer).
func stringsOption(d map[string]any, name string) (ss []string, ok bool) {
	raw, present := d[name]
	if !present {
		return nil, true
	}
	list, isList := raw.([]any)
	if !isList {
		return nil, false
	}
	ss = make([]string, 0, len(list))
	for _, e := range list {
		s, isString := e.(string)
		if !isString {
			return nil, false
		}
		ss = append(ss, s)
	}
	return ss, true
}

// ownedPayload copies args and kwargs (nil: absent), which alias a
// message buffer the gateway reuses, into one new buffer: a publication
// outlives the message (fan-out, relay, retention).
func ownedPayload(args, kwargs []byte, f value.Format) (a, k wamp.Payload) {
	if args == nil && kwargs == nil {
		return a, k
	}
	buf := make([]byte, 0, len(args)+len(kwargs))
	if args != nil {
		buf = append(buf, args...)
		a = wamp.Payload{Raw: buf[:len(args):len(args)], Format: f}
	}
	if kwargs != nil {
		start := len(buf)
		buf = append(buf, kwargs...)
		k = wamp.Payload{Raw: buf[start:], Format: f}
	}
	return a, k
}
