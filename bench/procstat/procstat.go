// Package procstat reads the figures wampbench reports about the server
// process from Linux's /proc: resident memory (VmRSS in /proc/PID/status)
// and CPU time (utime+stime in /proc/PID/stat), and finds the process
// listening on a TCP port when no PID is given.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// ClockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// Linux fixes it at 100 on every architecture Go supports.
const ClockTicks = 100

// Root is the procfs mount point; tests point it at a fixture.
var Root = "/proc"

// RSSKiB returns the resident set size of pid in KiB (VmRSS).
func RSSKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/status", Root, pid))
	if err != nil {
		return 0, err
	}
	return parseStatusField(b, "VmRSS:")
}

// parseStatusField returns the kB value of a /proc/PID/status line such
// as "VmRSS:	   12345 kB".
func parseStatusField(status []byte, name string) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			break
		}
		v, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("procstat: %s %q: %w", name, fields[0], err)
		}
		if len(fields) > 1 && !bytes.Equal(fields[1], []byte("kB")) {
			return 0, fmt.Errorf("procstat: %s unit %q", name, fields[1])
		}
		return v, nil
	}
	return 0, fmt.Errorf("procstat: no %s line", name)
}

// CPUTicks returns the user and system CPU time pid has consumed, in
// clock ticks (1/ClockTicks s), over all its threads, living and exited.
func CPUTicks(pid int) (user, system int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", Root, pid))
	if err != nil {
		return 0, 0, err
	}
	return parseStatTimes(b)
}

// CPUSeconds returns utime+stime of pid in seconds.
func CPUSeconds(pid int) (float64, error) {
	u, s, err := CPUTicks(pid)
	return TicksToSeconds(u + s), err
}

// TicksToSeconds converts clock ticks to seconds.
func TicksToSeconds(ticks int64) float64 { return float64(ticks) / ClockTicks }

// parseStatTimes extracts utime (field 14) and stime (field 15) from a
// /proc/PID/stat line. The command name (field 2) is parenthesised and may
// hold spaces and parentheses, so fields are counted after the last ')'.
func parseStatTimes(stat []byte) (user, system int64, err error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, 0, errors.New("procstat: malformed stat")
	}
	fields := bytes.Fields(stat[end+1:])
	// fields[0] is field 3 (state), so field k is fields[k-3].
	if len(fields) < 13 {
		return 0, 0, errors.New("procstat: short stat")
	}
	if user, err = strconv.ParseInt(string(fields[14-3]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("procstat: utime: %w", err)
	}
	if system, err = strconv.ParseInt(string(fields[15-3]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("procstat: stime: %w", err)
	}
	return user, system, nil
}

// Sample is one reading of a process's memory and CPU.
type Sample struct {
	RSSKiB      int64
	CPUTicks    int64 // utime+stime
	UserTicks   int64 // utime: in user mode
	SystemTicks int64 // stime: in the kernel on the process's behalf
}

// Read takes a Sample of pid.
func Read(pid int) (Sample, error) {
	rss, err := RSSKiB(pid)
	if err != nil {
		return Sample{}, err
	}
	u, s, err := CPUTicks(pid)
	if err != nil {
		return Sample{}, err
	}
	return Sample{RSSKiB: rss, CPUTicks: u + s, UserTicks: u, SystemTicks: s}, nil
}
