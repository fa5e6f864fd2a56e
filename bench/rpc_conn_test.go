//go:build linux

package bench

import (
	"bytes"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/wampgate/wampgate/bench/internal/wire"
	v2 "github.com/wampgate/wampgate/wamp/v2"
	"golang.org/x/sys/unix"
)

// rpcReactor returns a reactor speaking proto and one open connection of
// role ro on one end of a socket pair; the other end reads what the
// reactor writes.
func rpcReactor(t *testing.T, proto wire.Protocol, ro role) (*reactor, *conn, int) {
	t.Helper()
	b, err := newBoard()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.close)
	r, err := newReactor(reactorConfig{Slot: b.slot(0), Protocol: proto, PubProtocol: proto, Procedure: "bench.echo"})
	if err != nil {
		t.Fatal(err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	c := &conn{fd: fds[0], role: ro, phase: phaseOpen, pendingIdx: -1}
	r.conns = make([]*conn, fds[0]+1)
	r.conns[c.fd], r.nconns = c, 1
	if ro == roleCaller {
		r.callers = append(r.callers, c)
	}
	return r, c, fds[1]
}

// readMessages reads the masked frames the reactor wrote and decodes
// them with the node's serializer.
func readMessages(t *testing.T, proto wire.Protocol, fd int) []v2.Message {
	t.Helper()
	buf := make([]byte, 64<<10)
	n, err := unix.Read(fd, buf)
	if err != nil {
		t.Fatal(err)
	}
	rd := bytes.NewReader(buf[:n])
	var out []v2.Message
	for rd.Len() > 0 {
		f, err := ws.ReadFrame(rd)
		if err != nil {
			t.Fatal(err)
		}
		if f.Header.OpCode != proto.OpCode() || !f.Header.Masked {
			t.Fatalf("frame header %+v", f.Header)
		}
		ws.Cipher(f.Payload, f.Header.Mask, 0)
		var m v2.Message
		if err := v2.SerializerFor(proto.Format()).DecodeInto(f.Payload, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// serverFrame is one unmasked frame of proto carrying m.
func serverFrame(t *testing.T, proto wire.Protocol, m *v2.Message) []byte {
	t.Helper()
	payload, err := v2.SerializerFor(proto.Format()).Append(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ws.WriteFrame(&out, ws.NewFrame(proto.OpCode(), true, payload)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestCallerKeepsCallsInFlight: a caller starts K calls; each RESULT or
// ERROR is replaced by a new CALL with the next request id, RESULTs are
// timed, ERRORs counted by URI.
func TestCallerKeepsCallsInFlight(t *testing.T) {
	for _, proto := range []wire.Protocol{wire.V2JSON, wire.V2MsgPack, wire.V2CBOR} {
		r, c, peer := rpcReactor(t, proto, roleCaller)
		r.startCalls(time.Minute, 2, 128, 1000)
		calls := readMessages(t, proto, peer)
		if len(calls) != 2 || r.rpc.inFlight != 2 {
			t.Fatalf("%s: %d calls sent, %d in flight", proto, len(calls), r.rpc.inFlight)
		}
		for i, m := range calls {
			if m.Type != v2.Call || m.URI != "bench.echo" || m.Request != wire.RequestID(uint64(i+1)) {
				t.Fatalf("%s: call %d: %+v", proto, i, m)
			}
		}
		// Call 1 fails, call 2 succeeds: both are replaced.
		in := serverFrame(t, proto, &v2.Message{Type: v2.Error, ReqType: v2.Call, Request: calls[0].Request, URI: "wamp.error.no_such_procedure"})
		in = append(in, serverFrame(t, proto, &v2.Message{Type: v2.Result, Request: calls[1].Request, Args: calls[1].Args})...)
		if _, alive := r.consume(c, in, time.Now()); !alive {
			t.Fatalf("%s: dropped", proto)
		}
		if r.rpc.errors != 1 || r.rpc.errorURIs["wamp.error.no_such_procedure"] != 1 || r.rpc.calls != 1 || r.lat.Count() != 1 || r.rpc.inFlight != 2 {
			t.Fatalf("%s: rpc %+v", proto, r.rpc)
		}
		next := readMessages(t, proto, peer)
		if len(next) != 2 || next[0].Request != wire.RequestID(3) || next[1].Request != wire.RequestID(4) {
			t.Fatalf("%s: next calls %+v", proto, next)
		}
		// After the deadline answers are not replaced.
		r.rpc.until = time.Now()
		in = serverFrame(t, proto, &v2.Message{Type: v2.Result, Request: next[0].Request, Args: next[0].Args})
		if _, alive := r.consume(c, in, time.Now()); !alive || r.rpc.inFlight != 1 || r.rpc.calls != 2 {
			t.Fatalf("%s: after the deadline: %+v", proto, r.rpc)
		}
		// A lost caller's calls are counted, not awaited.
		r.drop(c, "test")
		if r.rpc.inFlight != 0 || r.rpc.abandoned != 1 {
			t.Fatalf("%s: lost caller: %+v", proto, r.rpc)
		}
	}
}

// TestCalleeEchoes: a callee answers INVOCATIONs, several in one read,
// with YIELDs of the same arguments in one write.
func TestCalleeEchoes(t *testing.T) {
	for _, proto := range []wire.Protocol{wire.V2JSON, wire.V2MsgPack, wire.V2CBOR} {
		r, c, peer := rpcReactor(t, proto, roleCallee)
		call := wire.NewCall(proto, "bench.echo", 1, 100)
		var args [][]byte
		var in []byte
		for i := uint64(1); i <= 3; i++ {
			var m v2.Message
			if err := v2.SerializerFor(proto.Format()).DecodeInto(call.Stamp(int64(i), i), &m); err != nil {
				t.Fatal(err)
			}
			args = append(args, bytes.Clone(m.Args))
			in = append(in, serverFrame(t, proto, &v2.Message{Type: v2.Invocation, Request: 10 + i, ID: 5, Args: m.Args})...)
		}
		if _, alive := r.consume(c, in, time.Now()); !alive || r.rpc.invocations != 3 {
			t.Fatalf("%s: invocations %d", proto, r.rpc.invocations)
		}
		yields := readMessages(t, proto, peer)
		if len(yields) != 3 {
			t.Fatalf("%s: %d yields", proto, len(yields))
		}
		for i, y := range yields {
			if y.Type != v2.Yield || y.Request != uint64(11+i) || !bytes.Equal(y.Args, args[i]) {
				t.Fatalf("%s: yield %d: %+v", proto, i, y)
			}
		}
	}
}
