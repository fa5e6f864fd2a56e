package wire

import "encoding/binary"

// A cursor walks the elements of one WAMP v2 message (a list) in place,
// without allocating and without validating more than it reads: enough to
// find the ids, the stamp of the first argument, and the raw bytes of an
// argument list in messages a server sends. It is not a validating
// decoder; anything it does not expect makes ok false.
type cursor struct {
	p     Protocol
	b     []byte
	i     int
	next  int // elements read so far (JSON needs a comma before the next)
	start int // where the element read last starts
	ok    bool
}

// maxSkipDepth bounds the nesting of a value skipped by a cursor.
const maxSkipDepth = 32

// openList starts reading the message b, which must be a list.
func openList(p Protocol, b []byte) cursor {
	c := cursor{p: p, b: b, ok: true}
	c.listHead()
	return c
}

// listHead reads the start of a list at the cursor (its length is not
// needed: the caller knows what it expects).
func (c *cursor) listHead() {
	if !c.ok {
		return
	}
	switch c.p {
	case V2JSON:
		c.i = jsonSpace(c.b, c.i)
		if c.i >= len(c.b) || c.b[c.i] != '[' {
			c.ok = false
			return
		}
		c.i++
	case V2MsgPack:
		if c.i >= len(c.b) {
			c.ok = false
			return
		}
		switch t := c.b[c.i]; {
		case t >= 0x90 && t <= 0x9f:
			c.i++
		case t == 0xdc:
			c.i += 3
		case t == 0xdd:
			c.i += 5
		default:
			c.ok = false
		}
	case V2CBOR:
		major, _, j, ok := cborHead(c.b, c.i)
		if !ok || major != 4 {
			c.ok = false
			return
		}
		c.i = j
	default:
		c.ok = false
	}
	c.next = 0
}

// elem moves to the start of the next element of the current list.
func (c *cursor) elem() {
	if !c.ok || c.p != V2JSON {
		c.next++
		c.start = c.i
		return
	}
	c.i = jsonSpace(c.b, c.i)
	if c.next > 0 {
		if c.i >= len(c.b) || c.b[c.i] != ',' {
			c.ok = false
			return
		}
		c.i = jsonSpace(c.b, c.i+1)
	}
	c.next++
	c.start = c.i
}

// uint reads the next element, a non-negative integer.
func (c *cursor) uint() uint64 {
	c.elem()
	if !c.ok {
		return 0
	}
	var v uint64
	switch c.p {
	case V2JSON:
		j := c.i
		for j < len(c.b) && c.b[j] >= '0' && c.b[j] <= '9' {
			v = v*10 + uint64(c.b[j]-'0')
			j++
		}
		if j == c.i {
			c.ok = false
		}
		c.i = j
	case V2MsgPack:
		v, c.i, c.ok = mpUint(c.b, c.i)
	case V2CBOR:
		var major byte
		major, v, c.i, c.ok = cborHead(c.b, c.i)
		c.ok = c.ok && major == 0
	}
	return v
}

// skip steps over the next element, whatever it is.
func (c *cursor) skip() {
	c.elem()
	if !c.ok {
		return
	}
	switch c.p {
	case V2JSON:
		c.i, c.ok = jsonSkip(c.b, c.i)
	case V2MsgPack:
		c.i, c.ok = mpSkip(c.b, c.i, 0)
	case V2CBOR:
		c.i, c.ok = cborSkip(c.b, c.i, 0)
	}
}

// raw returns the bytes of the next element (an alias of the message).
func (c *cursor) raw() []byte {
	c.skip()
	if !c.ok {
		return nil
	}
	return c.b[c.start:c.i]
}

// str reads the next element, a text or byte string, and returns its
// content (for JSON, the bytes between the quotes, escapes untouched).
func (c *cursor) str() []byte {
	c.elem()
	if !c.ok {
		return nil
	}
	var s []byte
	switch c.p {
	case V2JSON:
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			c.ok = false
			return nil
		}
		end := skipString(c.b, c.i)
		if end < 0 {
			c.ok = false
			return nil
		}
		s, c.i = c.b[c.i+1:end-1], end
	case V2MsgPack:
		s, c.i, c.ok = mpString(c.b, c.i)
	case V2CBOR:
		major, n, j, ok := cborHead(c.b, c.i)
		if !ok || (major != 2 && major != 3) || n > uint64(len(c.b)-j) {
			c.ok = false
			return nil
		}
		s, c.i = c.b[j:j+int(n)], j+int(n)
	}
	return s
}

func jsonSpace(b []byte, i int) int { return skipSpace(b, i) }

// jsonSkip returns the index after the JSON value at b[i].
func jsonSkip(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		j := skipString(b, i)
		return j, j >= 0
	case '[', '{':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k := skipString(b, j)
				if k < 0 {
					return j, false
				}
				j = k - 1
			case '[', '{':
				depth++
				if depth > maxSkipDepth {
					return j, false
				}
			case ']', '}':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return len(b), false
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', ']', '}', ' ', '\t', '\r', '\n':
			return j, j > i
		}
		j++
	}
	return j, j > i
}

// mpUint reads a non-negative MessagePack integer at b[i].
func mpUint(b []byte, i int) (uint64, int, bool) {
	if i >= len(b) {
		return 0, i, false
	}
	t := b[i]
	if t <= 0x7f {
		return uint64(t), i + 1, true
	}
	var size int
	switch {
	case t >= 0xcc && t <= 0xcf:
		size = 1 << (t - 0xcc)
	case t >= 0xd0 && t <= 0xd3:
		size = 1 << (t - 0xd0)
		if i+1 < len(b) && b[i+1]&0x80 != 0 {
			return 0, i, false // negative
		}
	default:
		return 0, i, false
	}
	if len(b)-i-1 < size {
		return 0, i, false
	}
	var v uint64
	for _, x := range b[i+1 : i+1+size] {
		v = v<<8 | uint64(x)
	}
	return v, i + 1 + size, true
}

// mpLen reads a big-endian length of size bytes at b[i].
func mpLen(b []byte, i, size int) (int, int, bool) {
	if len(b)-i < size {
		return 0, i, false
	}
	var n uint64
	for _, x := range b[i : i+size] {
		n = n<<8 | uint64(x)
	}
	if n > uint64(len(b)) {
		return 0, i, false
	}
	return int(n), i + size, true
}

// mpString reads a MessagePack str or bin at b[i] and returns its bytes.
func mpString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) {
		return nil, i, false
	}
	t := b[i]
	var n, j int
	ok := true
	switch {
	case t >= 0xa0 && t <= 0xbf:
		n, j = int(t&0x1f), i+1
	case t == 0xd9 || t == 0xda || t == 0xdb:
		n, j, ok = mpLen(b, i+1, 1<<(t-0xd9))
	case t == 0xc4 || t == 0xc5 || t == 0xc6:
		n, j, ok = mpLen(b, i+1, 1<<(t-0xc4))
	default:
		return nil, i, false
	}
	if !ok || n > len(b)-j {
		return nil, i, false
	}
	return b[j : j+n], j + n, true
}

// mpSkip returns the index after the MessagePack value at b[i].
func mpSkip(b []byte, i, depth int) (int, bool) {
	if i >= len(b) || depth > maxSkipDepth {
		return i, false
	}
	t := b[i]
	var fixed int // bytes after the type byte
	items := 0    // values that follow (list elements, 2 per map member)
	switch {
	case t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3:
		return i + 1, true
	case t <= 0x8f:
		items, i = 2*int(t&0x0f), i+1
	case t <= 0x9f:
		items, i = int(t&0x0f), i+1
	case t <= 0xbf, t >= 0xc4 && t <= 0xc6, t >= 0xd9 && t <= 0xdb:
		_, j, ok := mpString(b, i)
		return j, ok
	case t == 0xca || t == 0xcb:
		fixed = 4 << (t - 0xca)
	case t >= 0xcc && t <= 0xcf:
		fixed = 1 << (t - 0xcc)
	case t >= 0xd0 && t <= 0xd3:
		fixed = 1 << (t - 0xd0)
	case t >= 0xd4 && t <= 0xd8: // fixext: type byte + 1…16 bytes
		fixed = 1 + 1<<(t-0xd4)
	case t >= 0xc7 && t <= 0xc9: // ext 8/16/32: length, type, data
		n, j, ok := mpLen(b, i+1, 1<<(t-0xc7))
		if !ok || n+1 > len(b)-j {
			return i, false
		}
		return j + 1 + n, true
	case t == 0xdc || t == 0xdd:
		n, j, ok := mpLen(b, i+1, 2<<(t-0xdc))
		if !ok {
			return i, false
		}
		items, i = n, j
	case t == 0xde || t == 0xdf:
		n, j, ok := mpLen(b, i+1, 2<<(t-0xde))
		if !ok {
			return i, false
		}
		items, i = 2*n, j
	default:
		return i, false
	}
	if fixed > 0 {
		if len(b)-i-1 < fixed {
			return i, false
		}
		return i + 1 + fixed, true
	}
	for k := 0; k < items; k++ {
		var ok bool
		if i, ok = mpSkip(b, i, depth+1); !ok {
			return i, false
		}
	}
	return i, true
}

// cborHead reads the head of the CBOR item at b[i]: major type, argument,
// and the index after the head. Indefinite lengths are not accepted.
func cborHead(b []byte, i int) (major byte, arg uint64, j int, ok bool) {
	if i >= len(b) {
		return 0, 0, i, false
	}
	major, info := b[i]>>5, b[i]&0x1f
	j = i + 1
	switch {
	case info < 24:
		return major, uint64(info), j, true
	case info <= 27:
		size := 1 << (info - 24)
		if len(b)-j < size {
			return major, 0, i, false
		}
		switch size {
		case 1:
			arg = uint64(b[j])
		case 2:
			arg = uint64(binary.BigEndian.Uint16(b[j:]))
		case 4:
			arg = uint64(binary.BigEndian.Uint32(b[j:]))
		default:
			arg = binary.BigEndian.Uint64(b[j:])
		}
		return major, arg, j + size, true
	}
	return major, 0, i, false
}

// cborSkip returns the index after the CBOR item at b[i].
func cborSkip(b []byte, i, depth int) (int, bool) {
	if depth > maxSkipDepth {
		return i, false
	}
	major, arg, j, ok := cborHead(b, i)
	if !ok {
		return i, false
	}
	var items uint64
	switch major {
	case 0, 1, 7: // integers, simple values and floats: the head is all
		return j, true
	case 2, 3:
		if arg > uint64(len(b)-j) {
			return i, false
		}
		return j + int(arg), true
	case 4:
		items = arg
	case 5:
		items = 2 * arg
	case 6: // a tag and its item
		return cborSkip(b, j, depth+1)
	}
	if items > uint64(len(b)-j) {
		return i, false
	}
	for k := uint64(0); k < items; k++ {
		if j, ok = cborSkip(b, j, depth+1); !ok {
			return i, false
		}
	}
	return j, true
}
