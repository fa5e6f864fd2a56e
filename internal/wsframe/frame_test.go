package wsframe

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

func TestAppendMasked(t *testing.T) {
	for _, n := range []int{0, 5, 125, 126, 300, 0xffff, 0x10000} {
		payload := bytes.Repeat([]byte{'a'}, n)
		frame := AppendMasked([]byte("x"), ws.OpText, payload, key)[1:]
		// gobwas/ws reads it as the same frame: an independent decoder.
		h, err := ws.ReadHeader(bytes.NewReader(frame))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !h.Fin || !h.Masked || h.OpCode != ws.OpText || h.Length != int64(n) || h.Mask != key {
			t.Fatalf("n=%d: header %+v", n, h)
		}
		body := bytes.Clone(frame[len(frame)-n:])
		ws.Cipher(body, h.Mask, 0)
		if !bytes.Equal(body, payload) {
			t.Fatalf("n=%d: payload does not unmask", n)
		}
		if n > 0 && payload[0] != 'a' {
			t.Fatal("AppendMasked changed its input")
		}
	}
	// RFC 6455 §5.7: a masked "Hello".
	want := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	if got := AppendMasked(nil, ws.OpText, []byte("Hello"), key); !bytes.Equal(got, want) {
		t.Fatalf("masked hello % x, want % x", got, want)
	}
}

func TestAppendFrameDeclaresWhatItIsTold(t *testing.T) {
	h := Header{Fin: true, OpCode: ws.OpText, Length: 1 << 62}
	want := []byte{0x81, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0, 'x'}
	if got := AppendFrame(nil, h, []byte("x")); !bytes.Equal(got, want) {
		t.Fatalf("AppendFrame = % x, want % x", got, want)
	}
}

func TestFrameInPlace(t *testing.T) {
	for _, n := range []int{0, 125, 126, 0xffff, 0x10000} {
		for _, masked := range []bool{false, true} {
			payload := bytes.Repeat([]byte{'p'}, n)
			buf := append(make([]byte, MaxMaskedHeaderSize, MaxMaskedHeaderSize+n), payload...)
			h := Header{Fin: true, OpCode: ws.OpBinary, Masked: masked, Mask: key, Length: 7}
			frame := FrameInPlace(buf, MaxMaskedHeaderSize, h)
			h.Length = uint64(n)
			if want := AppendFrame(nil, h, payload); !bytes.Equal(frame, want) {
				t.Fatalf("n=%d masked=%v: frame % .20x, want % .20x", n, masked, frame, want)
			}
			if &frame[len(frame)-1] != &buf[len(buf)-1] {
				t.Fatalf("n=%d masked=%v: the frame is not built in buf", n, masked)
			}
		}
	}
	// With just the room the header needs.
	buf := append(make([]byte, 2, 7), "hello"...)
	if frame := FrameInPlace(buf, 2, Header{Fin: true, OpCode: ws.OpText}); string(frame) != "\x81\x05hello" {
		t.Fatalf("frame %q", frame)
	}
}

func TestNewMask(t *testing.T) {
	// Keys differ (a repeat in 8 draws of 32 bits is a 1-in-10^8 event).
	seen := map[[4]byte]bool{}
	for range 8 {
		seen[NewMask()] = true
	}
	if len(seen) != 8 {
		t.Fatalf("%d distinct keys in 8", len(seen))
	}
}
