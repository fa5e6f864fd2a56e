package hooks

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/value"
)

// This file writes the request bodies: compact JSON, written by hand
// into one buffer (payloads are copied in as JSON, converted from the
// session's serializer when needed, binary values by the "\u0000" +
// base64 convention).

// who is the part of every body that names the session.
type who struct {
	session  wamp.ID
	protocol string
	realm    string
	authid   string // "" with nullID: null
	nullID   bool
	authrole string
	remote   string
}

// sessionWho is who of a live session.
func sessionWho(s *wamp.Session) who {
	return who{session: s.ID(), protocol: s.Protocol(), realm: s.Realm(),
		authid: s.AuthID(), authrole: s.AuthRole(), remote: s.RemoteAddr()}
}

// appendHead opens a body with the common fields, leaving the object
// open.
func (h *Hooks) appendHead(b []byte, w *who) []byte {
	b = append(b, `{"session":`...)
	b = strconv.AppendUint(b, uint64(w.session), 10)
	b = appendField(b, "protocol", w.protocol)
	b = appendField(b, "realm", w.realm)
	if w.nullID {
		b = append(b, `,"authid":null`...)
	} else {
		b = appendField(b, "authid", w.authid)
	}
	b = appendField(b, "authrole", w.authrole)
	b = appendField(b, "node", *h.node.Load())
	return appendField(b, "remote", w.remote)
}

// appendField writes ,"name":"value".
func appendField(b []byte, name, v string) []byte {
	b = append(append(append(b, `,"`...), name...), `":`...)
	return appendString(b, v)
}

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// appendPayload writes ,"name": and the part p as JSON, or empty when
// absent (a list "[]" or dict "{}").
func appendPayload(b []byte, name string, p wamp.Payload, empty string) ([]byte, error) {
	b = append(append(append(b, `,"`...), name...), `":`...)
	raw, err := p.In(value.JSON)
	if err != nil {
		return b, err
	}
	if raw == nil {
		return append(b, empty...), nil
	}
	return append(b, raw...), nil
}

// appendIDs writes ,"name": and ids as a JSON list, or null when
// nullable and ids is nil.
func appendIDs(b []byte, name string, ids []wamp.ID, nullable bool) []byte {
	b = append(append(append(b, `,"`...), name...), `":`...)
	if ids == nil && nullable {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(id), 10)
	}
	return append(b, ']')
}

// subscribeBody is the body of URL/subscribe.
func (h *Hooks) subscribeBody(s *wamp.Session, topic string, match wamp.Match) []byte {
	w := sessionWho(s)
	b := h.appendHead(make([]byte, 0, 256+len(topic)), &w)
	b = appendField(b, "topic", topic)
	b = appendField(b, "match", match.String())
	return append(b, '}')
}

// publishBody is the body of URL/publish.
func (h *Hooks) publishBody(s *wamp.Session, pub *wamp.Publication) ([]byte, error) {
	w := sessionWho(s)
	b := h.appendHead(make([]byte, 0, 320+len(pub.Topic)+len(pub.Args.Raw)+len(pub.Kwargs.Raw)), &w)
	b = appendField(b, "topic", pub.Topic)
	var err error
	if b, err = appendPayload(b, "args", pub.Args, "[]"); err != nil {
		return nil, err
	}
	if b, err = appendPayload(b, "kwargs", pub.Kwargs, "{}"); err != nil {
		return nil, err
	}
	exclude := pub.Exclude
	if exclude == nil {
		exclude = []wamp.ID{}
	}
	b = appendIDs(b, "exclude", exclude, false)
	var eligible []wamp.ID
	if len(pub.Eligible) > 0 {
		eligible = pub.Eligible
	}
	b = appendIDs(b, "eligible", eligible, true)
	return append(b, '}'), nil
}

// callBody is the body of URL/call.
func (h *Hooks) callBody(s *wamp.Session, call *wamp.Call) ([]byte, error) {
	w := sessionWho(s)
	b := h.appendHead(make([]byte, 0, 256+len(call.Procedure)+len(call.Args.Raw)+len(call.Kwargs.Raw)), &w)
	b = appendField(b, "procedure", call.Procedure)
	var err error
	if b, err = appendPayload(b, "args", call.Args, "[]"); err != nil {
		return nil, err
	}
	if b, err = appendPayload(b, "kwargs", call.Kwargs, "{}"); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// ConnectHeaders are the request headers a connect body carries, when
// present, named exactly so.
var ConnectHeaders = [...]string{"Cookie", "Authorization", "Origin", "User-Agent", "X-Forwarded-For", "X-Real-IP"}

// ConnectRequest is what the gateway knows of a session about to start.
type ConnectRequest struct {
	Session  wamp.ID // the id the session will get
	Protocol string
	Realm    string
	// AuthID and AuthRole are what authentication settled; AuthID ""
	// is sent as null.
	AuthID, AuthRole string
	Remote           string
	// Headers holds the ConnectHeaders present (by those names).
	Headers map[string]string
	// Query is the upgrade URL's query, first value of each key.
	Query map[string]string
	// AuthMethods are v2 HELLO's authmethods (v1: none).
	AuthMethods []string
	// Ticket, when HasTicket, is the v2 AUTHENTICATE signature.
	Ticket    string
	HasTicket bool
}

// connectBody is the body of URL/connect.
func (h *Hooks) connectBody(r *ConnectRequest) []byte {
	w := who{session: r.Session, protocol: r.Protocol, realm: r.Realm, authid: r.AuthID,
		nullID: r.AuthID == "", authrole: r.AuthRole, remote: r.Remote}
	b := h.appendHead(make([]byte, 0, 512), &w)
	b = append(b, `,"headers":`...)
	b = appendStringMap(b, r.Headers)
	b = append(b, `,"query":`...)
	b = appendStringMap(b, r.Query)
	b = append(b, `,"authmethods":[`...)
	for i, m := range r.AuthMethods {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m)
	}
	b = append(b, ']')
	if r.HasTicket {
		b = appendField(b, "ticket", r.Ticket)
	}
	return append(b, '}')
}

// appendStringMap writes m as a JSON object, keys sorted.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}
