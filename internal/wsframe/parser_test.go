package wsframe

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

// recorder is a Sink that keeps copies of what it receives.
type recorder struct {
	messages []string
	controls []string
}

func (r *recorder) Message(op ws.OpCode, p []byte) error {
	r.messages = append(r.messages, string(rune('0'+op))+":"+string(p))
	return nil
}

func (r *recorder) Control(op ws.OpCode, p []byte) error {
	r.controls = append(r.controls, string(rune('0'+op))+":"+string(p))
	return nil
}

// clientFrame builds a masked client frame.
func clientFrame(op ws.OpCode, fin bool, payload []byte) []byte {
	f := ws.NewFrame(op, fin, bytes.Clone(payload))
	f = ws.MaskFrameWith(f, [4]byte{1, 2, 3, 4})
	var buf bytes.Buffer
	if err := ws.WriteFrame(&buf, f); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func TestParserWholeAndSplitFrames(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 70000) // 64-bit length form
	stream := bytes.Join([][]byte{
		clientFrame(ws.OpText, true, []byte(`[5,"t"]`)),
		clientFrame(ws.OpText, false, []byte(`[7,`)),
		clientFrame(ws.OpPing, true, []byte("p")),
		clientFrame(ws.OpContinuation, true, []byte(`"t",1]`)),
		clientFrame(ws.OpBinary, true, big),
		clientFrame(ws.OpText, true, nil),
	}, nil)
	want := []string{"1:" + `[5,"t"]`, "1:" + `[7,"t",1]`, "2:" + string(big), "1:"}
	// Every way of cutting the stream in two, plus byte by byte.
	for _, step := range []int{1, 3, 7, 1000, len(stream)} {
		var p Parser
		var r recorder
		data := bytes.Clone(stream)
		for i := 0; i < len(data); i += step {
			if err := p.Feed(data[i:min(i+step, len(data))], &r); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if len(r.messages) != len(want) {
			t.Fatalf("step %d: %d messages, want %d", step, len(r.messages), len(want))
		}
		for i := range want {
			if r.messages[i] != want[i] {
				t.Fatalf("step %d: message %d = %.40q, want %.40q", step, i, r.messages[i], want[i])
			}
		}
		if len(r.controls) != 1 || r.controls[0] != "9:p" {
			t.Fatalf("step %d: controls %q", step, r.controls)
		}
	}
}

func TestParserRejects(t *testing.T) {
	unmasked := []byte{0x81, 0x01, 'x'}
	declared2GiB := []byte{0x82, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0, 1, 2, 3, 4}
	cases := []struct {
		name string
		in   []byte
		want *ProtocolError
	}{
		{"unmasked", unmasked, ErrUnmasked},
		{"rsv1", append([]byte{0xc1}, clientFrame(ws.OpText, true, []byte("x"))[1:]...), ErrReservedBits},
		{"reserved opcode", clientFrame(ws.OpCode(3), true, []byte("x")), ErrReservedOpCode},
		{"long ping", clientFrame(ws.OpPing, true, make([]byte, 126)), ErrControlTooLong},
		{"fragmented ping", clientFrame(ws.OpPing, false, nil), ErrControlFragmented},
		{"lone continuation", clientFrame(ws.OpContinuation, true, []byte("x")), ErrBadContinuation},
		{"interleaved", append(clientFrame(ws.OpText, false, []byte("a")), clientFrame(ws.OpText, true, []byte("b"))...), ErrInterleaved},
		{"too big", declared2GiB, ErrTooBig},
		{"invalid utf8", clientFrame(ws.OpText, true, []byte{0xff, 0xfe}), ErrInvalidUTF8},
		{"64-bit length with top bit", []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, ErrBadLength},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Parser{MaxMessage: 1 << 20}
			err := p.Feed(bytes.Clone(tc.in), &recorder{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParserTooBigAcrossFragments(t *testing.T) {
	p := Parser{MaxMessage: 10}
	in := append(clientFrame(ws.OpText, false, []byte("123456")), clientFrame(ws.OpContinuation, true, []byte("78901"))...)
	if err := p.Feed(in, &recorder{}); !errors.Is(err, ErrTooBig) {
		t.Fatalf("got %v, want ErrTooBig", err)
	}
}

func TestEncoders(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		for op, encode := range map[ws.OpCode]func([]byte) []byte{ws.OpText: Text, ws.OpBinary: Binary} {
			frame := encode(make([]byte, n))
			h, err := ws.ReadHeader(bytes.NewReader(frame))
			if err != nil || !h.Fin || h.OpCode != op || h.Masked || h.Length != int64(n) {
				t.Fatalf("n=%d: header %+v, %v", n, h, err)
			}
			if len(frame) != HeaderLen(n)+n || cap(frame) != len(frame) {
				t.Fatalf("n=%d: frame length %d, capacity %d", n, len(frame), cap(frame))
			}
		}
	}
	c := AppendClose(nil, ws.StatusGoingAway, "bye")
	if !bytes.Equal(c, []byte{0x88, 5, 0x03, 0xe9, 'b', 'y', 'e'}) {
		t.Fatalf("close frame % x", c)
	}
	if long := AppendClose(nil, 1000, string(make([]byte, 300))); len(long) != 2+125 {
		t.Fatalf("close frame of %d bytes", len(long))
	}
}

// FuzzParser feeds arbitrary bytes, cut at an arbitrary point: the parser
// must never panic, never deliver more than MaxMessage, and agree with
// itself on whole versus split input.
func FuzzParser(f *testing.F) {
	f.Add(clientFrame(ws.OpText, true, []byte(`[5,"t"]`)), 3)
	f.Add(append(clientFrame(ws.OpText, false, []byte("a")), clientFrame(ws.OpContinuation, true, []byte("b"))...), 5)
	f.Add([]byte{0x82, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0, 1, 2, 3, 4}, 2)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		const limit = 4096
		run := func(parts ...[]byte) (recorder, error) {
			p := Parser{MaxMessage: limit}
			var r recorder
			for _, part := range parts {
				if err := p.Feed(bytes.Clone(part), &r); err != nil {
					return r, err
				}
			}
			for _, m := range r.messages {
				if len(m)-2 > limit {
					t.Fatalf("delivered %d bytes over the %d limit", len(m)-2, limit)
				}
			}
			return r, nil
		}
		whole, errWhole := run(data)
		if cut < 0 {
			cut = -cut
		}
		cut %= len(data) + 1
		split, errSplit := run(data[:cut], data[cut:])
		if (errWhole == nil) != (errSplit == nil) || len(whole.messages) != len(split.messages) {
			t.Fatalf("whole (%v, %d messages) and split at %d (%v, %d messages) disagree",
				errWhole, len(whole.messages), cut, errSplit, len(split.messages))
		}
	})
}

func TestParserServerFrames(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 70000)
	stream := bytes.Join([][]byte{
		AppendText(nil, []byte(`[0,"s",1,"x"]`)),
		AppendControl(nil, ws.OpPing, []byte("p")),
		AppendHeader(nil, ws.OpBinary, len(big)), big,
	}, nil)
	for _, step := range []int{1, 5, len(stream)} {
		p := Parser{ServerFrames: true}
		var r recorder
		for i := 0; i < len(stream); i += step {
			if err := p.Feed(bytes.Clone(stream[i:min(i+step, len(stream))]), &r); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if len(r.messages) != 2 || r.messages[0] != "1:"+`[0,"s",1,"x"]` || r.messages[1] != "2:"+string(big) {
			t.Fatalf("step %d: messages %.60q", step, r.messages)
		}
		if len(r.controls) != 1 || r.controls[0] != "9:p" {
			t.Fatalf("step %d: controls %q", step, r.controls)
		}
	}
	p := Parser{ServerFrames: true}
	if err := p.Feed(clientFrame(ws.OpText, true, []byte("x")), &recorder{}); !errors.Is(err, ErrMasked) {
		t.Fatalf("masked frame on the client side: %v, want ErrMasked", err)
	}
}
