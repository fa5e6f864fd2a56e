package v2

import (
	"fmt"

	"github.com/wampgate/wampgate/wamp/value"
)

func (s serializer) DecodeInto(msg []byte, m *Message) error {
	f := s.format
	var raw [maxElements + 1][]byte
	n, err := value.ListElements(f, msg, raw[:])
	if err != nil {
		return &DecodeError{Msg: "message is not a valid " + f.String() + " list", Err: err}
	}
	if n == 0 {
		return &DecodeError{Msg: "empty message"}
	}
	code, ok := value.Uint(f, raw[0])
	if !ok {
		return &DecodeError{Msg: "message type must be an integer, got " + describe(f, raw[0])}
	}
	if code >= uint64(len(schemas)) || !Type(code).Known() {
		return &DecodeError{Msg: fmt.Sprintf("unknown message type %d", code)}
	}
	t := Type(code)
	sc := &schemas[t]
	if n-1 < sc.required || n-1 > len(sc.elems) {
		return &DecodeError{Type: t, Msg: fmt.Sprintf("has %d elements, want %s", n, sc.lengths())}
	}
	*m = Message{Type: t}
	for i, e := range sc.elems[:n-1] {
		if problem := s.decodeElement(m, e.field, raw[i+1]); problem != "" {
			return &DecodeError{Type: t, Field: e.name, Msg: problem}
		}
	}
	return nil
}

// decodeElement stores the element raw in the field of m it belongs to,
// or says what is wrong with it. raw is a valid value (ListElements
// checked it).
func (s serializer) decodeElement(m *Message, fd field, raw []byte) string {
	f := s.format
	switch fd {
	case fieldReqType:
		code, ok := value.Uint(f, raw)
		if !ok {
			return "must be an integer, got " + describe(f, raw)
		}
		if code >= uint64(len(schemas)) || !Type(code).IsRequest() {
			return fmt.Sprintf("%d is not a request type", code)
		}
		m.ReqType = Type(code)
	case fieldRequest, fieldID:
		id, ok := value.Uint(f, raw)
		if !ok || id > MaxID {
			return "must be an integer in [0, 2^53], got " + describe(f, raw)
		}
		if fd == fieldRequest {
			m.Request = id
		} else {
			m.ID = id
		}
	case fieldDict:
		n, ok := value.DictLen(f, raw)
		if !ok {
			return "must be a dict, got " + describe(f, raw)
		}
		if n == 0 {
			return ""
		}
		v, err := value.Decode(f, raw)
		if err != nil {
			return err.Error()
		}
		m.Dict = v.(map[string]any)
	case fieldURI:
		uri, ok := value.Text(f, raw)
		if !ok {
			return "must be a string, got " + describe(f, raw)
		}
		m.URI = uri
	case fieldArgs:
		if !value.IsList(f, raw) {
			return "must be a list, got " + describe(f, raw)
		}
		m.Args = raw
	case fieldKwargs:
		if !value.IsDict(f, raw) {
			return "must be a dict, got " + describe(f, raw)
		}
		m.Kwargs = raw
	}
	return ""
}

// describe names what raw is for an error message: its kind, and for an
// integer its value ("integer -1").
func describe(f value.Format, raw []byte) string {
	k := value.KindOf(f, raw)
	if k == value.Int {
		if v, err := value.Decode(f, raw); err == nil {
			return fmt.Sprintf("%s %d", k, v)
		}
	}
	return k.String()
}
