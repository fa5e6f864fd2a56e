package wsframe

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// key is the masking key of RFC 6455 §5.7's examples.
var key = [4]byte{0x37, 0xfa, 0x21, 0x3d}

func TestHeaderRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		h    Header
		wire []byte
	}{
		{"empty close", Header{Fin: true, OpCode: ws.OpClose}, []byte{0x88, 0x00}},
		{"rfc unmasked hello", Header{Fin: true, OpCode: ws.OpText, Length: 5}, []byte{0x81, 0x05}},
		{"rfc masked hello", Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: key, Length: 5},
			[]byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d}},
		{"rfc first fragment", Header{OpCode: ws.OpText, Length: 3}, []byte{0x01, 0x03}},
		{"longest 7-bit length", Header{Fin: true, OpCode: ws.OpBinary, Length: 125}, []byte{0x82, 0x7d}},
		{"shortest 16-bit length", Header{Fin: true, OpCode: ws.OpBinary, Length: 126}, []byte{0x82, 0x7e, 0x00, 0x7e}},
		{"rfc 256 bytes", Header{Fin: true, OpCode: ws.OpBinary, Length: 256}, []byte{0x82, 0x7e, 0x01, 0x00}},
		{"longest 16-bit length masked", Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Mask: key, Length: 0xffff},
			[]byte{0x82, 0xfe, 0xff, 0xff, 0x37, 0xfa, 0x21, 0x3d}},
		{"rfc 64 KiB", Header{Fin: true, OpCode: ws.OpBinary, Length: 65536},
			[]byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}},
		{"64-bit length masked", Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: key, Length: 33554433},
			[]byte{0x81, 0xff, 0, 0, 0, 0, 0x02, 0, 0, 0x01, 0x37, 0xfa, 0x21, 0x3d}},
		{"64-bit length with its top bit", Header{Fin: true, OpCode: ws.OpBinary, Length: 1 << 63},
			[]byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"every rsv bit, reserved opcode", Header{Rsv: 7, OpCode: 0x3}, []byte{0x73, 0x00}},
		{"rsv1 ping", Header{Fin: true, Rsv: 4, OpCode: ws.OpPing, Length: 1}, []byte{0xc9, 0x01}},
		{"masked with a zero key", Header{Fin: true, OpCode: ws.OpPong, Masked: true}, []byte{0x8a, 0x80, 0, 0, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.h.AppendTo([]byte("x")); !bytes.Equal(got[1:], tc.wire) || got[0] != 'x' {
				t.Fatalf("AppendTo = % x, want x + % x", got, tc.wire)
			}
			if n := tc.h.Size(); n != len(tc.wire) {
				t.Fatalf("Size = %d, want %d", n, len(tc.wire))
			}
			// The whole header, followed by anything, decodes back.
			var h Header
			n, ok := DecodeHeader(append(bytes.Clone(tc.wire), 0xff, 0xff), &h)
			if !ok || n != len(tc.wire) || h != tc.h {
				t.Fatalf("DecodeHeader = %+v, %d, %v; want %+v, %d", h, n, ok, tc.h, len(tc.wire))
			}
			// Every proper prefix is incomplete and leaves h alone; what
			// it asks for is more than it has, and never more than the
			// whole header.
			for k := range len(tc.wire) {
				h := Header{Length: 42}
				need, ok := DecodeHeader(tc.wire[:k], &h)
				if ok || need <= k || need > len(tc.wire) || h != (Header{Length: 42}) {
					t.Fatalf("prefix of %d bytes: need %d, ok %v, h %+v", k, need, ok, h)
				}
				if want := len(tc.wire); k >= 2 && need != want {
					t.Fatalf("prefix of %d bytes: need %d, want the header's size %d", k, need, want)
				}
			}
		})
	}
}

func TestDecodeHeaderLongLengthForms(t *testing.T) {
	// A length in a longer form than needed is still the length: decoding
	// judges nothing, re-encoding picks the shortest form.
	var h Header
	n, ok := DecodeHeader([]byte{0x81, 0x7e, 0x00, 0x05}, &h)
	if !ok || n != 4 || h.Length != 5 || h.Size() != 2 {
		t.Fatalf("16-bit form of 5: %+v %d %v", h, n, ok)
	}
	n, ok = DecodeHeader([]byte{0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x05}, &h)
	if !ok || n != 10 || h.Length != 5 {
		t.Fatalf("64-bit form of 5: %+v %d %v", h, n, ok)
	}
}

// FuzzDecodeHeader decodes arbitrary bytes: a decoded header must encode
// to a header that decodes to the same, no longer than the one read, and
// every proper prefix must ask for more than it holds.
func FuzzDecodeHeader(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d})
	f.Add([]byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x73, 0xfe, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		n, ok := DecodeHeader(b, &h)
		if !ok {
			if n <= len(b) || n > MaxMaskedHeaderSize {
				t.Fatalf("incomplete %d bytes: need %d", len(b), n)
			}
			return
		}
		if n > len(b) || n > MaxMaskedHeaderSize || h.Size() > n {
			t.Fatalf("header of %d bytes, size %d, from %d", n, h.Size(), len(b))
		}
		var back Header
		if m, ok := DecodeHeader(h.AppendTo(nil), &back); !ok || m != h.Size() || back != h {
			t.Fatalf("%+v re-encoded decodes as %+v (%d, %v)", h, back, m, ok)
		}
		for k := range n {
			if need, ok := DecodeHeader(b[:k], &back); ok || need <= k || need > n {
				t.Fatalf("prefix %d of %d: need %d, ok %v", k, n, need, ok)
			}
		}
	})
}
