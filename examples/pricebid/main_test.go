package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

func dial(t *testing.T, addr string) (net.Conn, string) {
	t.Helper()
	nc, br, _, err := ws.Dialer{Protocols: []string{"wamp"}, Timeout: 5 * time.Second}.
		Dial(context.Background(), "ws://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	rw := struct {
		io.Reader
		io.Writer
	}{br, nc}
	welcome, err := wsutil.ReadServerText(rw)
	if err != nil {
		t.Fatal(err)
	}
	return nc, string(welcome)
}

func send(t *testing.T, nc net.Conn, msg string) {
	t.Helper()
	if err := wsutil.WriteClientText(nc, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// barrier returns once the node has handled every frame sent on nc before
// it: the node answers a connection's frames in order, so the pong to a
// ping sent now comes after them. WAMP v1 has no reply to SUBSCRIBE; this
// is how a client knows its subscription is registered.
func barrier(t *testing.T, nc net.Conn) {
	t.Helper()
	const payload = "pricebid-barrier"
	if err := wsutil.WriteClientMessage(nc, ws.OpPing, []byte(payload)); err != nil {
		t.Fatal(err)
	}
	f, err := ws.ReadFrame(nc) // reads exactly one frame, nothing beyond it
	if err != nil {
		t.Fatal(err)
	}
	if f.Header.OpCode != ws.OpPong || string(f.Payload) != payload {
		t.Fatalf("barrier: got opcode %d %q, want the pong %q", f.Header.OpCode, f.Payload, payload)
	}
}

func read(t *testing.T, nc net.Conn) string {
	t.Helper()
	b, err := wsutil.ReadServerText(nc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAuctionValidatesRewritesAndAnswers(t *testing.T) {
	node, err := newNode("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	// Registered before the clients' cleanups, so it runs after them: a
	// shutdown with the clients still open waits for their close replies.
	t.Cleanup(func() { _ = node.Shutdown(context.Background()) })

	watcher, _ := dial(t, node.Addr())
	bidder, welcome := dial(t, node.Addr())
	bidderID := welcome[4 : 4+len(welcome[4:])-len(`",1,"wampgate\/0.1.0"]`)]
	send(t, watcher, `[5,"price/channel"]`)
	barrier(t, watcher)

	send(t, bidder, `[7,"price/channel",{"price":100}]`)
	if got, want := read(t, watcher), `[8,"price\/channel",{"price":100,"bidder":"`+bidderID+`"}]`; got != want {
		t.Fatalf("first bid: %s, want %s", got, want)
	}
	send(t, bidder, `[7,"price/channel",{"price":90}]`)    // vetoed: lower
	send(t, bidder, `[7,"price/channel",{"price":120.5}]`) // accepted
	if got, want := read(t, watcher), `[8,"price\/channel",{"price":120.5,"bidder":"`+bidderID+`"}]`; got != want {
		t.Fatalf("after a low bid: %s, want %s", got, want)
	}
	send(t, bidder, `[2,"c1","http://example.com/price#current"]`)
	if got, want := read(t, bidder), `[3,"c1",{"price":120.5}]`; got != want {
		t.Fatalf("CALLRESULT %s, want %s", got, want)
	}
	send(t, bidder, `[2,"c2","http://example.com/price#other"]`)
	if got, want := read(t, bidder), `[4,"c2","wamp.error.no_such_procedure","no procedure http:\/\/example.com\/price#other is registered on this node"]`; got != want {
		t.Fatalf("CALLERROR %s, want %s", got, want)
	}
}
