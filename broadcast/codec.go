package broadcast

import (
	"fmt"

	"github.com/wampgate/wampgate/wamp"
)

// The record encodings of the peer links, for other buses: a message
// broker (package broadcast/natsbus) carries the same bytes, so a
// publication and a control message cross the cluster in one format
// whichever way they travel.

// EncodePublication encodes pub as a publication record (see
// encodeRecord).
func EncodePublication(pub *wamp.Publication) []byte { return encodeRecord(pub) }

// DecodePublication decodes a record EncodePublication made, and nothing
// after it; the publication comes back with Relayed set and owns its
// bytes.
func DecodePublication(b []byte) (*wamp.Publication, error) {
	r := reader{b: b}
	pub := r.record()
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%w: %d bytes after the publication record", errMalformed, len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return pub, nil
}

// EncodeControl encodes a control message (see encodeControl).
func EncodeControl(m *wamp.ClusterMsg) []byte { return encodeControl(m) }

// DecodeControl decodes a record EncodeControl made, and nothing after
// it, copying what it keeps.
func DecodeControl(b []byte) (*wamp.ClusterMsg, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty control record", errMalformed)
	}
	r := reader{b: b}
	m := r.control()
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%w: %d bytes after the control record", errMalformed, len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}
