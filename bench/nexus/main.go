// Command nexus-server runs the nexus WAMP v2 router
// (github.com/gammazero/nexus/v3, v3.3.0) as the peer server wampbench
// compares wampgate with: one realm with anonymous authentication, served
// over WebSocket on a loopback address with nexus's own serializers
// (wamp.2.json, wamp.2.msgpack and wamp.2.cbor) and its defaults
// otherwise, until SIGINT or SIGTERM. It is a module of its own so that
// nexus never enters the dependency graph of wampgate or of the bench
// module; scripts/bench-v2.sh builds it:
//
//	go build -C bench/nexus -o ../../bin/nexus-server .
//	bin/nexus-server --addr 127.0.0.1:18310 --realm realm1
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/wamp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18310", "loopback host:port to listen on")
	realm := flag.String("realm", "realm1", "the realm clients join")
	flag.Parse()
	if err := serve(*addr, *realm); err != nil {
		fmt.Fprintln(os.Stderr, "nexus-server:", err)
		os.Exit(1)
	}
}

// serve runs the router until SIGINT or SIGTERM.
func serve(addr, realm string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: not a loopback address", addr)
	}
	logger := log.New(os.Stderr, "nexus: ", log.LstdFlags)
	r, err := router.NewRouter(&router.Config{
		RealmConfigs: []*router.RealmConfig{{URI: wamp.URI(realm), AnonymousAuth: true}},
	}, logger)
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	defer r.Close()
	ln, err := router.NewWebsocketServer(r).ListenAndServe(addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	logger.Printf("listening on ws://%s/ (realm %s, pid %d)", addr, realm, os.Getpid())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	sig := <-stop
	logger.Printf("%v: shutting down", sig)
	return ln.Close()
}
