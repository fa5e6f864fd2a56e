package procstat

import (
	"net"
	"os"
	"testing"
	"time"
)

func TestParseStatusField(t *testing.T) {
	status := []byte("Name:\twampgate\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n")
	v, err := parseStatusField(status, "VmRSS:")
	if err != nil || v != 12345 {
		t.Fatalf("got %d, %v", v, err)
	}
	if _, err := parseStatusField([]byte("Name:\tx\n"), "VmRSS:"); err == nil {
		t.Fatal("missing field accepted")
	}
}

func TestParseStatTimes(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields.
	stat := []byte("4242 (evil) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 731 229 0 0 20 0 6 0 100 1000 300 0\n")
	u, s, err := parseStatTimes(stat)
	if err != nil || u != 731 || s != 229 {
		t.Fatalf("got %d %d %v", u, s, err)
	}
	if _, _, err := parseStatTimes([]byte("1 (x) S 1 2")); err == nil {
		t.Fatal("short stat accepted")
	}
}

func TestReadSelf(t *testing.T) {
	pid := os.Getpid()
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ { // burn a little CPU
		_ = x * x
	}
	s, err := Read(pid)
	if err != nil {
		t.Fatal(err)
	}
	if s.RSSKiB <= 0 || s.CPUTicks < 0 || s.UserTicks < 0 || s.SystemTicks < 0 || s.UserTicks+s.SystemTicks != s.CPUTicks {
		t.Fatalf("sample %+v", s)
	}
	if sec, err := CPUSeconds(pid); err != nil || sec < 0 {
		t.Fatalf("cpu %v %v", sec, err)
	}
}

func TestFindListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := FindListener(ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	if pid != os.Getpid() {
		t.Fatalf("found pid %d, want %d", pid, os.Getpid())
	}
}
