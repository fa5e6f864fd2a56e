package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxProcs bounds the /proc scan in FindListener.
const maxProcs = 100000

// FindListener returns the PID of the process holding a listening TCP
// socket (IPv4 or IPv6) on port, by matching the socket's inode from
// /proc/net/tcp{,6} against the fds in /proc/*/fd. It returns 0 when no
// process is found (for example one owned by another user).
func FindListener(port int) (int, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		if err := listenInodes(filepath.Join(Root, f), port, inodes); err != nil && !os.IsNotExist(err) {
			return 0, err
		}
	}
	if len(inodes) == 0 {
		return 0, nil
	}
	dirs, err := os.ReadDir(Root)
	if err != nil {
		return 0, err
	}
	for i, d := range dirs {
		if i >= maxProcs {
			break
		}
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join(Root, d.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] {
				return pid, nil
			}
		}
	}
	return 0, nil
}

// listenInodes adds the inodes of LISTEN sockets on port found in a
// /proc/net/tcp-style table to set.
func listenInodes(path string, port int, set map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	suffix := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if len(fields) < 10 {
			continue
		}
		if string(fields[3]) == "0A" && bytes.HasSuffix(fields[1], []byte(suffix)) {
			set[string(fields[9])] = true
		}
	}
	return sc.Err()
}
