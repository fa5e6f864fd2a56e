//go:build linux

package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wampgate/wampgate/bench/procstat"
)

// workerProc is one worker process as the parent sees it.
type workerProc struct {
	index   int
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	enc     *json.Encoder
	replies chan response
	gone    chan struct{} // closed when the worker's stdout ends
	waited  chan struct{} // closed when cmd.Wait has returned
}

// pool is the set of worker processes of one run and their board.
type pool struct {
	workers []*workerProc
	board   *board
	log     io.Writer
}

// startPool starts n worker processes with command argv (argv[0] is the
// executable) and extra environment env.
func startPool(n int, argv, env []string, log io.Writer) (*pool, error) {
	if n > maxWorkers {
		return nil, fmt.Errorf("%d workers needed, at most %d supported", n, maxWorkers)
	}
	if len(argv) == 0 {
		return nil, errors.New("no worker command")
	}
	b, err := newBoard()
	if err != nil {
		return nil, err
	}
	p := &pool{board: b, log: log}
	for i := 0; i < n; i++ {
		w, err := p.spawn(i, argv, env)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("starting worker %d: %w", i, err)
		}
		p.workers = append(p.workers, w)
	}
	return p, nil
}

func (p *pool) spawn(i int, argv, env []string) (*workerProc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = []*os.File{p.board.file} // fd 3 in the child
	cmd.Stderr = &prefixWriter{w: p.log, prefix: fmt.Sprintf("worker %d: ", i)}
	// Killed if we die; our stdin EOF and their own lifetime back this up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &workerProc{
		index:   i,
		cmd:     cmd,
		stdin:   stdin,
		enc:     json.NewEncoder(stdin),
		replies: make(chan response, 4),
		gone:    make(chan struct{}),
		waited:  make(chan struct{}),
	}
	go func() {
		defer close(w.gone)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var r response
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				fmt.Fprintf(p.log, "worker %d: bad line %q\n", i, sc.Bytes())
				continue
			}
			w.replies <- r
		}
	}()
	go func() {
		<-w.gone
		_ = cmd.Wait()
		close(w.waited)
	}()
	return w, nil
}

// errNoAnswer is wrapped by await when a worker does not answer in time.
var errNoAnswer = errors.New("no answer")

// call sends req to worker i and waits up to timeout for its answer.
func (p *pool) call(ctx context.Context, i int, req request, timeout time.Duration) (response, error) {
	w := p.workers[i]
	if err := w.enc.Encode(req); err != nil {
		return response{}, fmt.Errorf("worker %d: sending %s: %w", i, req.Op, err)
	}
	return p.await(ctx, i, req.Op, timeout)
}

// await waits for worker i's next answer.
func (p *pool) await(ctx context.Context, i int, op string, timeout time.Duration) (response, error) {
	w := p.workers[i]
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-w.replies:
		if r.Err != "" {
			return r, fmt.Errorf("worker %d: %s: %s", i, op, r.Err)
		}
		return r, nil
	case <-w.gone:
		return response{}, fmt.Errorf("worker %d exited during %s", i, op)
	case <-t.C:
		return response{}, fmt.Errorf("worker %d: %w to %s within %v", i, errNoAnswer, op, timeout)
	case <-ctx.Done():
		return response{}, ctx.Err()
	}
}

// callAll sends req (made per worker by mk) to the workers in idx at once
// and waits for all their answers.
func (p *pool) callAll(ctx context.Context, idx []int, mk func(i int) request, timeout time.Duration) ([]response, error) {
	out := make([]response, len(idx))
	for _, i := range idx {
		if err := p.workers[i].enc.Encode(mk(i)); err != nil {
			return nil, fmt.Errorf("worker %d: %w", i, err)
		}
	}
	var errs []error
	for k, i := range idx {
		r, err := p.await(ctx, i, mk(i).Op, timeout)
		out[k] = r
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// all returns the indexes of every worker.
func (p *pool) all() []int {
	idx := make([]int, len(p.workers))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// cpuSeconds sums the CPU time the worker processes have used so far.
func (p *pool) cpuSeconds() float64 {
	var ticks int64
	for _, w := range p.workers {
		if u, s, err := procstat.CPUTicks(w.cmd.Process.Pid); err == nil {
			ticks += u + s
		}
	}
	return procstat.TicksToSeconds(ticks)
}

// close asks every worker to close, then ends stdin, waits up to 10 s in
// all, and kills whatever is left.
func (p *pool) close() {
	deadline := time.Now().Add(10 * time.Second)
	for _, w := range p.workers {
		_ = w.enc.Encode(request{Op: opClose})
		_ = w.stdin.Close()
	}
	for _, w := range p.workers {
		select {
		case <-w.waited:
		case <-time.After(time.Until(deadline)):
			_ = w.cmd.Process.Kill()
			select {
			case <-w.waited:
			case <-time.After(2 * time.Second):
				fmt.Fprintf(p.log, "worker %d (pid %d) did not exit\n", w.index, w.cmd.Process.Pid)
			}
		}
	}
	p.board.close()
}

// prefixWriter prefixes each line a worker writes to stderr.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	mid    bool
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	var sb strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		if !pw.mid {
			sb.WriteString(pw.prefix)
		}
		sb.WriteString(line)
		pw.mid = !strings.HasSuffix(line, "\n")
	}
	if _, err := io.WriteString(pw.w, sb.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}
