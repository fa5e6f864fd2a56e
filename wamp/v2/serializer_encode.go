package v2

import (
	"fmt"

	"github.com/wampgate/wampgate/wamp/value"
)

// Empty dicts and lists in each format, indexed by value.Format.
var (
	emptyDict = [...]string{value.JSON: "{}", value.MsgPack: "\x80", value.CBOR: "\xa0"}
	emptyList = [...]string{value.JSON: "[]", value.MsgPack: "\x90", value.CBOR: "\x80"}
)

func (s serializer) Append(dst []byte, m *Message) ([]byte, error) {
	if !m.Type.Known() {
		return dst, fmt.Errorf("wamp v2 %s: encode: unknown message type %d", s.format, m.Type)
	}
	sc := &schemas[m.Type]
	n := sc.required
	for i := sc.required; i < len(sc.elems); i++ {
		if present(m, sc.elems[i].field) {
			n = i + 1
		}
	}
	f := s.format
	out := value.AppendListStart(f, dst, n+1)
	out = value.AppendUint(f, out, uint64(m.Type))
	for i, e := range sc.elems[:n] {
		out = value.AppendListNext(f, out, i+1)
		var err error
		if out, err = s.appendElement(out, m, e.field); err != nil {
			return dst, fmt.Errorf("wamp v2 %s: encode %s %s: %w", f, m.Type, e.name, err)
		}
	}
	return value.AppendListEnd(f, out), nil
}

// present reports whether an optional element has something to write.
func present(m *Message, fd field) bool {
	switch fd {
	case fieldDict:
		return len(m.Dict) > 0
	case fieldArgs:
		return m.Args != nil || m.Kwargs != nil
	case fieldKwargs:
		return m.Kwargs != nil
	}
	return true
}

func (s serializer) appendElement(dst []byte, m *Message, fd field) ([]byte, error) {
	f := s.format
	switch fd {
	case fieldReqType:
		if !m.ReqType.IsRequest() {
			return dst, fmt.Errorf("%s is not a request type", m.ReqType)
		}
		return value.AppendUint(f, dst, uint64(m.ReqType)), nil
	case fieldRequest:
		return appendID(f, dst, m.Request)
	case fieldID:
		return appendID(f, dst, m.ID)
	case fieldDict:
		if len(m.Dict) == 0 {
			return append(dst, emptyDict[f]...), nil
		}
		return value.Append(f, dst, m.Dict)
	case fieldURI:
		return value.AppendText(f, dst, m.URI)
	case fieldArgs:
		if m.Args == nil {
			return append(dst, emptyList[f]...), nil
		}
		if !value.IsList(f, m.Args) {
			return dst, fmt.Errorf("not a %s list", f)
		}
		return append(dst, m.Args...), nil
	case fieldKwargs:
		if !value.IsDict(f, m.Kwargs) {
			return dst, fmt.Errorf("not a %s dict", f)
		}
		return append(dst, m.Kwargs...), nil
	}
	return dst, nil
}

func appendID(f value.Format, dst []byte, id uint64) ([]byte, error) {
	if id > MaxID {
		return dst, fmt.Errorf("id %d is above 2^53", id)
	}
	return value.AppendUint(f, dst, id), nil
}
