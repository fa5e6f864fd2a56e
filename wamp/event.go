package wamp

import (
	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
	"github.com/wampgate/wampgate/wamp/value"
)

// This file holds the WAMP v1 view of a publication's payload: one event,
// which is the first argument.

// nullEvent is a v1 event that is null.
var nullEvent = []byte("null")

// SetEvent sets the publication's payload to one WAMP v1 event: Args
// becomes the JSON list [event], built by concatenation (no decoding),
// and Kwargs is absent. event must be one valid JSON value; nil means
// null. It is compacted (whitespace outside strings removed) into a new
// buffer, so the caller may reuse event afterwards. v1's PUBLISH and
// hooks written for v1 use it.
func (p *Publication) SetEvent(event []byte) {
	if event == nil {
		event = nullEvent
	}
	args := make([]byte, 0, len(event)+2)
	args = append(args, '[')
	args = jsonscan.AppendCompact(args, event)
	args = append(args, ']')
	p.Args, p.Kwargs = Payload{Raw: args, Format: value.JSON}, Payload{}
	p.event = eventArgs{&args[0], len(args)}
}

// eventArgs identifies the Args SetEvent built, so that Event can cut the
// event out of them without scanning while nobody replaced them.
type eventArgs struct {
	first *byte
	n     int
}

// of returns the event when args are still those SetEvent built.
func (e eventArgs) of(args []byte) ([]byte, bool) {
	if e.first == nil || len(args) != e.n || &args[0] != e.first {
		return nil, false
	}
	return args[1 : e.n-1], true
}

// Event is the payload as WAMP v1 sees it, one compact JSON value: the
// first argument when Args has any, else the Kwargs dictionary when
// present, else null; converted to JSON when the publisher used another
// format. It returns nil when the payload cannot be written as JSON (a
// NaN, a malformed part). Hooks written for v1 read it; the v1 EVENT frame
// carries it. The result may share memory with Args or Kwargs: never
// modify it.
func (p *Publication) Event() []byte {
	if ev, ok := p.event.of(p.Args.Raw); ok && p.Kwargs.Raw == nil {
		return ev
	}
	if p.Args.Raw != nil {
		first, ok := firstArg(p.Args)
		if !ok {
			return nil
		}
		if first != nil {
			return first
		}
	}
	if p.Kwargs.Raw != nil {
		n, ok := value.DictLen(p.Kwargs.format(), p.Kwargs.Raw)
		if !ok {
			return nil
		}
		if n > 0 { // an empty dict says no more than no kwargs at all
			return toJSON(p.Kwargs.Raw, p.Kwargs.format())
		}
	}
	return nullEvent
}

// firstArg returns the first element of the list args as compact JSON,
// nil when the list is empty; ok is false when args is not a list or the
// element cannot be written as JSON.
func firstArg(args Payload) (first []byte, ok bool) {
	f := args.format()
	if f == value.JSON {
		first, ok = jsonscan.First(args.Raw)
		if first == nil {
			return nil, ok
		}
		return jsonscan.Compact(first), true
	}
	if n, isList := value.ListLen(f, args.Raw); !isList {
		return nil, false
	} else if n == 0 {
		return nil, true
	}
	el, _ := value.ListElement(f, args.Raw, 0)
	first = toJSON(el, f)
	return first, first != nil
}

// toJSON returns raw, in format f, as compact JSON (raw itself when it
// already is), nil when it cannot be converted.
func toJSON(raw []byte, f value.Format) []byte {
	if f == value.JSON {
		return jsonscan.Compact(raw)
	}
	out, err := value.Convert(nil, raw, f, value.JSON)
	if err != nil {
		return nil
	}
	return out
}
