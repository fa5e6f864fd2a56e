package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/urfave/cli/v2"
)

// debugFlags enable net/http/pprof on a listener of its own.
func debugFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "debug-listen", EnvVars: env("DEBUG_LISTEN"),
			Usage: "serve Go's net/http/pprof profiles at /debug/pprof/ on this HOST:PORT (default: off; loopback only unless --debug-listen-public)"},
		&cli.BoolFlag{Name: "debug-listen-public", EnvVars: env("DEBUG_LISTEN_PUBLIC"),
			Usage: "allow --debug-listen on an address other than loopback (profiles show the process's memory and code: keep them private)"},
	}
}

// checkDebugAddr refuses a debug address that is not loopback (a host
// name, the wildcard, or another IP address) unless public is set.
func checkDebugAddr(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--debug-listen %q: want HOST:PORT: %w", addr, err)
	}
	if public {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--debug-listen %q: not a loopback address (127.0.0.1, ::1); give --debug-listen-public to serve profiles there", addr)
	}
	return nil
}

// debugServer serves pprof while a node runs.
type debugServer struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// startDebug listens on --debug-listen, when set (nil when not).
func startDebug(c *cli.Context, log *slog.Logger) (*debugServer, error) {
	addr := c.String("debug-listen")
	if addr == "" {
		if c.Bool("debug-listen-public") {
			return nil, errors.New("--debug-listen-public without --debug-listen")
		}
		return nil, nil
	}
	if err := checkDebugAddr(addr, c.Bool("debug-listen-public")); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	d := &debugServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(d.done)
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("debug listener failed", "addr", ln.Addr().String(), "err", err)
		}
	}()
	log.Info("pprof listening", "addr", ln.Addr().String(), "path", "/debug/pprof/")
	return d, nil
}

// Addr is the debug listener's address.
func (d *debugServer) Addr() string { return d.ln.Addr().String() }

// stop closes the debug listener (profiles in progress are cut).
func (d *debugServer) stop() {
	if d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := d.srv.Shutdown(ctx); err != nil {
		_ = d.srv.Close()
	}
	<-d.done
}
