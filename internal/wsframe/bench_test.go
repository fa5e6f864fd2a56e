package wsframe

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/gobwas/ws"
)

// countSink counts what the parser delivers, without keeping it.
type countSink struct{ messages, bytes int }

func (s *countSink) Message(_ ws.OpCode, p []byte) error {
	s.messages++
	s.bytes += len(p)
	return nil
}

func (s *countSink) Control(ws.OpCode, []byte) error { return nil }

// BenchmarkParse feeds 16 masked text frames as they arrive in one read
// (the zero-copy path: unmask in place, UTF-8 check, deliver), the same
// frames split in the middle of the 9th, and the unmasked frames a server
// sends (the peer links' dialing side). Feed unmasks in place, so each
// iteration first copies the pristine input into the read buffer, as a
// read would; that copy is included.
func BenchmarkParse(b *testing.B) {
	for _, size := range []int{128, 4096} {
		payload := bytes.Repeat([]byte("x"), size)
		var masked, plain []byte
		for range 16 {
			masked = append(masked, clientFrame(ws.OpText, true, payload)...)
			plain = AppendText(plain, payload)
		}
		for _, tc := range []struct {
			name   string
			input  []byte
			server bool
			split  bool
		}{
			{"client-whole", masked, false, false},
			{"client-split", masked, false, true},
			{"server-whole", plain, true, false},
		} {
			b.Run(fmt.Sprintf("%s/payload=%d", tc.name, size), func(b *testing.B) {
				buf := make([]byte, len(tc.input))
				cut := len(tc.input)/2 + len(tc.input)/32 // mid-frame 9
				if !tc.split {
					cut = len(tc.input)
				}
				p := Parser{MaxMessage: 1 << 20, ServerFrames: tc.server}
				var sink countSink
				b.SetBytes(int64(len(tc.input)))
				b.ReportAllocs()
				for b.Loop() {
					copy(buf, tc.input)
					if err := p.Feed(buf[:cut], &sink); err != nil {
						b.Fatal(err)
					}
					if err := p.Feed(buf[cut:], &sink); err != nil {
						b.Fatal(err)
					}
				}
				if sink.messages != 16*b.N {
					b.Fatalf("%d messages, want %d", sink.messages, 16*b.N)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sink.messages), "ns/frame")
			})
		}
	}
}

// BenchmarkEncode measures the encoders: a new exactly sized text frame
// (one allocation); a text frame, a close frame and a masked client frame
// appended to a reused buffer, and a peer link's message framed in place
// behind its headroom, masked (none).
func BenchmarkEncode(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 140)
	b.Run("Text", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			if f := Text(payload); len(f) == 0 {
				b.Fatal("empty frame")
			}
		}
	})
	b.Run("AppendText", func(b *testing.B) {
		buf := AppendText(nil, payload)
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendText(buf[:0], payload)
		}
	})
	b.Run("AppendClose", func(b *testing.B) {
		buf := AppendClose(nil, ws.StatusGoingAway, "server shutting down")
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendClose(buf[:0], ws.StatusGoingAway, "server shutting down")
		}
	})
	b.Run("AppendMasked", func(b *testing.B) {
		buf := AppendMasked(nil, ws.OpText, payload, NewMask())
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendMasked(buf[:0], ws.OpText, payload, NewMask())
		}
	})
	b.Run("FrameInPlace", func(b *testing.B) {
		buf := append(make([]byte, MaxMaskedHeaderSize), payload...)
		h := Header{Fin: true, OpCode: ws.OpBinary, Masked: true}
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			h.Mask = NewMask()
			if f := FrameInPlace(buf, MaxMaskedHeaderSize, h); len(f) == 0 {
				b.Fatal("empty frame")
			}
		}
	})
}

// BenchmarkDecodeHeader decodes the headers of 16 masked 128-byte frames
// lying one after the other, as wampbench's frame loop and the Parser's
// whole-frame path do.
func BenchmarkDecodeHeader(b *testing.B) {
	var stream []byte
	for range 16 {
		stream = append(stream, clientFrame(ws.OpText, true, bytes.Repeat([]byte("x"), 128))...)
	}
	b.ReportAllocs()
	var total uint64
	for b.Loop() {
		for rest := stream; len(rest) > 0; {
			var h Header
			n, ok := DecodeHeader(rest, &h)
			if !ok {
				b.Fatal("incomplete header")
			}
			total += h.Length
			rest = rest[n+int(h.Length):]
		}
	}
	if total != 16*128*uint64(b.N) {
		b.Fatalf("decoded %d payload bytes", total)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(16*b.N), "ns/header")
}
