//go:build linux

package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wampgate/wampgate/bench/internal/wire"
)

// boardFD is the descriptor at which a worker finds the shared board
// (the parent passes it as the first of exec.Cmd.ExtraFiles).
const boardFD = 3

// doTimeout bounds a command sent to the reactor.
const doTimeout = 5 * time.Second

// WorkerMain is the body of the hidden `wampbench worker` command. It
// serves the coordinating process that started it: requests on stdin,
// answers on stdout, the shared board at fd 3. Diagnostics go to stderr.
// It returns when told to close, when stdin ends (the parent is gone), or
// at the lifetime the parent set, whichever comes first.
func WorkerMain() error {
	return runWorker(os.Stdin, os.Stdout, os.NewFile(boardFD, "wampbench-board"))
}

func runWorker(in io.Reader, out io.Writer, boardFile *os.File) error {
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	reply := func(r response) error { return enc.Encode(r) }

	var req request
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("worker: reading setup: %w", err)
	}
	if req.Op != opSetup || req.Setup == nil {
		_ = reply(response{Op: opReady, Err: "first request must be setup"})
		return errors.New("worker: no setup")
	}
	s := req.Setup
	if s.Lifetime <= 0 {
		s.Lifetime = 5 * time.Minute
	}
	// Hard stop, whatever the parent does.
	watchdog := time.AfterFunc(s.Lifetime+10*time.Second, func() {
		fmt.Fprintf(os.Stderr, "wampbench worker %d: lifetime %v exceeded, exiting\n", s.Index, s.Lifetime)
		os.Exit(3)
	})
	defer watchdog.Stop()

	b, err := mapBoard(boardFile)
	if err != nil {
		_ = reply(response{Op: opReady, Err: err.Error()})
		return err
	}
	defer b.close()
	slot := b.slot(s.Index)

	proto, err := wire.ParseProtocol(s.Protocol)
	if err != nil {
		_ = reply(response{Op: opReady, Err: err.Error()})
		return err
	}
	pubProto := proto
	if s.PubProtocol != "" {
		if pubProto, err = wire.ParseProtocol(s.PubProtocol); err != nil {
			_ = reply(response{Op: opReady, Err: err.Error()})
			return err
		}
	}
	cfg := reactorConfig{
		Dst:                s.IP,
		Port:               s.Port,
		Host:               s.Host,
		Path:               s.Path,
		Protocol:           proto,
		PubProtocol:        pubProto,
		Realm:              s.Realm,
		Topic:              s.Topic,
		Procedure:          s.Procedure,
		SharedRegistration: s.SharedRegistration,
		Concurrency:        s.Concurrency,
		HandshakeTimeout:   s.HandshakeTimeout,
		Slot:               slot,
		TrackBase:          s.TrackBase,
		TrackPublishers:    s.TrackPublishers,
	}
	for _, ip := range s.SrcIPs {
		a, ok := parseIPv4(ip)
		if !ok {
			_ = reply(response{Op: opReady, Err: "bad source address " + ip})
			return errors.New("worker: bad source address")
		}
		cfg.SrcIPs = append(cfg.SrcIPs, a)
	}
	if len(cfg.SrcIPs) == 0 {
		cfg.SrcIPs = [][4]byte{{127, 0, 0, 1}}
	}
	r, err := newReactor(cfg)
	if err != nil {
		_ = reply(response{Op: opReady, Err: err.Error()})
		return err
	}
	var counts [numRoles]int
	counts[roleSubscriber], counts[rolePublisher] = s.Subscribers, s.Publishers
	counts[roleCallee], counts[roleCaller] = s.Callees, s.Callers
	r.plan(counts)
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		r.run(time.Now().Add(s.Lifetime))
	}()
	stop := func() {
		_ = r.do(func() { r.teardown(time.Now().Add(closeTimeout)) }, doTimeout)
		select {
		case <-runDone:
		case <-time.After(doTimeout):
		}
	}

	// Setup: open everything, or give up at the connect timeout.
	t0 := time.Now()
	connectTimeout := s.ConnectTimeout
	if connectTimeout <= 0 {
		connectTimeout = time.Minute
	}
	timer := time.NewTimer(connectTimeout)
	select {
	case <-r.setupDone:
	case <-timer.C:
		_ = r.do(func() { r.abortSetup("connect timeout") }, doTimeout)
	}
	timer.Stop()
	info := &readyInfo{}
	if err := r.do(func() {
		info.Subscribers, info.Publishers = r.openedBy[roleSubscriber], r.openedBy[rolePublisher]
		info.Callees, info.Callers = r.openedBy[roleCallee], r.openedBy[roleCaller]
		info.Failed, info.Failures = r.failed, copyCounts(r.failures)
	}, doTimeout); err != nil {
		_ = reply(response{Op: opReady, Err: err.Error()})
		stop()
		return err
	}
	info.Seconds = time.Since(t0).Seconds()
	if err := reply(response{Op: opReady, Ready: info}); err != nil {
		stop()
		return err
	}

	for {
		var req request
		if err := dec.Decode(&req); err != nil { // parent gone or closed our stdin
			stop()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		var resp response
		switch req.Op {
		case opPublish:
			if req.Publish == nil {
				resp = response{Op: opPublished, Err: "publish without parameters"}
				break
			}
			var fds []int
			if err := r.do(func() { fds = append(fds, r.publishers...) }, doTimeout); err != nil {
				resp = response{Op: opPublished, Err: err.Error()}
				break
			}
			res := publish(fds, *req.Publish, pubProto, cfg.Topic, b, slot, s.Index*100)
			resp = response{Op: opPublished, Published: &res}
		case opChurn:
			if req.Churn == nil {
				resp = response{Op: opChurned, Err: "churn without parameters"}
				break
			}
			done := make(chan struct{})
			if err := r.do(func() { r.churn(time.Now().Add(req.Churn.Duration), done) }, doTimeout); err != nil {
				resp = response{Op: opChurned, Err: err.Error()}
				break
			}
			select {
			case <-done:
				resp = response{Op: opChurned}
			case <-time.After(req.Churn.Duration + cfg.HandshakeTimeout + closeTimeout + doTimeout):
				resp = response{Op: opChurned, Err: "churn did not finish"}
			}
		case opCall:
			resp = runCalls(r, req.Call, s.Index)
		case opReset:
			resp = response{Op: opOK}
			if err := r.do(r.resetCounts, doTimeout); err != nil {
				resp.Err = err.Error()
			}
		case opReport:
			var rep *workerReport
			resp = response{Op: opReport}
			if err := r.do(func() { rep = r.snapshot() }, doTimeout); err != nil {
				resp.Err = err.Error()
			}
			resp.Report = rep
		case opClose:
			stop()
			return reply(response{Op: opClosed})
		default:
			resp = response{Op: req.Op, Err: "unknown request " + req.Op}
		}
		if err := reply(resp); err != nil {
			stop()
			return err
		}
	}
}
