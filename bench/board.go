//go:build linux

package bench

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A board is one page of counters shared by the coordinating process and
// its workers (a memfd mapped by each). Each worker owns one slot and
// updates it with atomic stores; anyone may read any slot. Publishers use
// it to see how many events subscribers have received (their window), and
// the parent to see progress without a round trip.
type board struct {
	file *os.File
	mem  []byte
}

// boardSlot is one worker's counters, one cache line wide.
type boardSlot struct {
	Received atomic.Uint64 // stamped events received by this worker's subscribers
	Sent     atomic.Uint64 // publications sent by this worker's publishers
	Open     atomic.Int64  // sessions currently open
	Dropped  atomic.Int64  // open sessions lost since setup
	_        [32]byte
}

const (
	slotSize  = int(unsafe.Sizeof(boardSlot{}))
	boardSize = 4096
	// maxWorkers is how many slots fit on the board.
	maxWorkers = boardSize / slotSize
)

// newBoard creates an anonymous shared board.
func newBoard() (*board, error) {
	fd, err := unix.MemfdCreate("wampbench-board", 0) // no CLOEXEC: inherited via ExtraFiles anyway
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "wampbench-board")
	if err := f.Truncate(boardSize); err != nil {
		f.Close()
		return nil, err
	}
	return mapBoard(f)
}

// mapBoard maps a board file received from the parent.
func mapBoard(f *os.File) (*board, error) {
	mem, err := unix.Mmap(int(f.Fd()), 0, boardSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap board: %w", err)
	}
	return &board{file: f, mem: mem}, nil
}

// slot returns worker i's counters.
func (b *board) slot(i int) *boardSlot {
	if i < 0 || i >= maxWorkers {
		panic(fmt.Sprintf("board slot %d out of range", i))
	}
	return (*boardSlot)(unsafe.Pointer(&b.mem[i*slotSize]))
}

// received sums Received over the given slots.
func (b *board) received(slots []int) uint64 {
	var n uint64
	for _, i := range slots {
		n += b.slot(i).Received.Load()
	}
	return n
}

// open sums Open over the given slots.
func (b *board) open(slots []int) int64 {
	var n int64
	for _, i := range slots {
		n += b.slot(i).Open.Load()
	}
	return n
}

// close unmaps the board and closes its file.
func (b *board) close() {
	if b.mem != nil {
		_ = unix.Munmap(b.mem)
		b.mem = nil
	}
	b.file.Close()
}
