package wamp

import "github.com/wampgate/wampgate/wamp/internal/jsonscan"

// Payload is one part of a publication's or a call's payload, Args (a
// list) or Kwargs (a dictionary), as raw bytes in the wire format it
// arrived in; a nil Raw means the part is absent. The core never decodes
// a payload to route it: it is re-encoded only where a subscriber speaks
// another format.
type Payload struct {
	Raw    []byte
	Format Format
}

// Format is a payload's wire format (interim: wamp/value provides it).
type Format uint8

// FormatJSON is JSON (interim: wamp/value provides it).
const FormatJSON Format = 0

// Present reports whether the part is present.
func (p Payload) Present() bool { return p.Raw != nil }

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
	p.Args, p.Kwargs = Payload{Raw: args, Format: FormatJSON}, Payload{}
	p.setEvent = args
}

// Event is the payload as WAMP v1 sees it, one compact JSON value: the
// first argument when Args has any, else the Kwargs dictionary when
// present, else null. It returns nil when the payload cannot be written
// as JSON. Hooks written for v1 read it; the v1 EVENT frame carries it.
// The result may share memory with Args or Kwargs: never modify it.
func (p *Publication) Event() []byte {
	if p.setEvent != nil && len(p.Args.Raw) == len(p.setEvent) && &p.Args.Raw[0] == &p.setEvent[0] &&
		p.Kwargs.Raw == nil {
		return p.setEvent[1 : len(p.setEvent)-1] // Args is still what SetEvent built
	}
	if p.Args.Raw != nil {
		first, ok := jsonscan.First(p.Args.Raw)
		if !ok {
			return nil
		}
		if first != nil {
			return jsonscan.Compact(first)
		}
	}
	if p.Kwargs.Raw != nil {
		if jsonscan.KindOf(p.Kwargs.Raw) != jsonscan.Object {
			return nil
		}
		return jsonscan.Compact(p.Kwargs.Raw)
	}
	return nullEvent
}

// Valid reports whether f is a known format.
func (f Format) Valid() bool { return f == FormatJSON }
