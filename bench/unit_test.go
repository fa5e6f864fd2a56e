//go:build linux

package bench

import (
	"bytes"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tg, err := parseTarget("ws://localhost:8095/ws?x=1")
	if err != nil {
		t.Fatal(err)
	}
	if tg.IP != [4]byte{127, 0, 0, 1} || tg.Port != 8095 || tg.Path != "/ws?x=1" || tg.Host != "localhost:8095" {
		t.Fatalf("%+v", tg)
	}
	if tg, _ := parseTarget("ws://127.0.0.9"); tg.Port != 80 || tg.Path != "/" {
		t.Fatalf("%+v", tg)
	}
	for _, bad := range []string{"wss://127.0.0.1/", "ws://10.0.0.1:80/", "ws://example.com/", "ws://[::1]:80/", "ws://127.0.0.1:99999/"} {
		if _, err := parseTarget(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestSourceIPs(t *testing.T) {
	ips, err := sourceIPs("127.0.0.253", 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.253", "127.0.0.254", "127.0.1.1", "127.0.1.2"}
	for i := range want {
		if ips[i] != want[i] {
			t.Fatalf("got %v", ips)
		}
	}
	if ips, _ := sourceIPs("127.0.0.2", 2, 1); ips[0] != "127.0.0.4" {
		t.Fatalf("skip: %v", ips)
	}
	if _, err := sourceIPs("10.0.0.1", 0, 1); err == nil {
		t.Fatal("non-loopback accepted")
	}
	if _, err := sourceIPs("127.255.255.250", 0, 10); err == nil {
		t.Fatal("overflow accepted")
	}
}

func TestBoardSharedThroughFile(t *testing.T) {
	a, err := newBoard()
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	b, err := mapBoard(a.file) // a second mapping of the same memory, as a worker has
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.mem; b.mem = nil }()
	b.slot(1).Received.Store(7)
	b.slot(2).Received.Store(5)
	b.slot(2).Open.Add(3)
	if got := a.received([]int{0, 1, 2}); got != 12 {
		t.Fatalf("received %d", got)
	}
	if got := a.open([]int{2}); got != 3 {
		t.Fatalf("open %d", got)
	}
	if slotSize != 64 || maxWorkers != 64 {
		t.Fatalf("slot %d bytes, %d slots", slotSize, maxWorkers)
	}
}

func TestPrefixWriter(t *testing.T) {
	var out bytes.Buffer
	pw := &prefixWriter{w: &out, prefix: "w1: "}
	pw.Write([]byte("a\nb"))
	pw.Write([]byte("c\n"))
	if out.String() != "w1: a\nw1: bc\n" {
		t.Fatalf("%q", out.String())
	}
}
