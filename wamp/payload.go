package wamp

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/wampgate/wampgate/wamp/internal/jsonscan"
	"github.com/wampgate/wampgate/wamp/value"
)

// Payload is one part of a publication's or a call's payload, Args (a
// list) or Kwargs (a dictionary), as raw bytes in the wire format it
// arrived in; a nil Raw means the part is absent. A zero Format means
// JSON. The core never decodes a payload to route it: it is converted
// (package value) only for subscribers of another format, once per
// format.
type Payload struct {
	Raw    []byte
	Format value.Format
}

// Present reports whether the part is present.
func (p Payload) Present() bool { return p.Raw != nil }

// format is the part's format, JSON for the zero Format.
func (p Payload) format() value.Format {
	if p.Format == 0 {
		return value.JSON
	}
	return p.Format
}

// normalize gives a present part an explicit format; a part in an
// unknown format is dropped (it could be delivered to nobody).
func (p *Payload) normalize() {
	switch f := p.format(); {
	case p.Raw == nil:
	case f < value.JSON || f > value.CBOR:
		*p = Payload{}
	default:
		p.Format = f
	}
}

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
		if !value.IsDict(p.Kwargs.format(), p.Kwargs.Raw) {
			return nil
		}
		return toJSON(p.Kwargs.Raw, p.Kwargs.format())
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

// ArgsIn returns Args encoded in format f: Args.Raw itself when it is in
// f, else a conversion made once per format and kept in the publication.
// It returns nil and no error when Args is absent. v2 EVENT encoders call
// it; it is safe for concurrent use.
func (p *Publication) ArgsIn(f value.Format) ([]byte, error) { return p.partIn(&p.Args, partArgs, f) }

// KwargsIn is ArgsIn for Kwargs.
func (p *Publication) KwargsIn(f value.Format) ([]byte, error) {
	return p.partIn(&p.Kwargs, partKwargs, f)
}

const (
	partArgs = iota
	partKwargs
)

// conversions caches a publication's payload converted to other formats,
// by part and format.
type conversions struct {
	mu      sync.Mutex
	entries [2][value.CBOR + 1]conversion
}

type conversion struct {
	done bool
	raw  []byte
	err  error
}

// convCache is the lazily allocated conversion cache of a publication:
// publications that reach only subscribers of their own format never
// allocate one. An atomic.Value (holding a *conversions) rather than an
// atomic.Pointer, so that a Publication may still be copied by value.
type convCache = atomic.Value

// conversionsOf returns p's conversion cache, allocating it on first use.
func (p *Publication) conversionsOf() *conversions {
	if c, _ := p.conv.Load().(*conversions); c != nil {
		return c
	}
	p.conv.CompareAndSwap(nil, new(conversions))
	return p.conv.Load().(*conversions)
}

func (p *Publication) partIn(part *Payload, which int, f value.Format) ([]byte, error) {
	if part.Raw == nil {
		return nil, nil
	}
	from := part.format()
	if from == f {
		return part.Raw, nil
	}
	if f < value.JSON || f > value.CBOR {
		return nil, fmt.Errorf("wamp: publication %d: unknown format %d", p.ID, f)
	}
	c := p.conversionsOf()
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &c.entries[which][f]
	if !e.done {
		e.done = true
		e.raw, e.err = value.Convert(nil, part.Raw, from, f)
		if e.err != nil {
			e.err = fmt.Errorf("wamp: publication %d to %q: %w", p.ID, p.Topic, e.err)
		}
	}
	return e.raw, e.err
}
