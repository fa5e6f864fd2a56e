package wamp

import (
	"fmt"
	"sync"
	"sync/atomic"

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

// In returns the part encoded in format f: Raw itself when it is in f
// already, else a conversion (value.Convert); nil and no error when the
// part is absent. Protocol sessions use it to write a call's payload in
// their serializer.
func (p Payload) In(f value.Format) ([]byte, error) {
	from := p.format()
	if p.Raw == nil || from == f {
		return p.Raw, nil
	}
	return value.Convert(nil, p.Raw, from, f)
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
