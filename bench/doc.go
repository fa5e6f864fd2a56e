// Package bench is wampbench's load generator for a WAMP gateway
// (bench/cmd/wampbench is its command line). It measures, against one server
// process on this machine:
//
//   - idle: N subscribed sessions held open; server RSS per session,
//     server CPU per handshake, handshake rate (RunIdle);
//   - fanout: S subscribers and P publishers on one topic; deliveries per
//     second and per server CPU-second, loss, publish→event latency
//     (RunFanout);
//   - handshakes: connect, WELCOME, close, repeated; server CPU per
//     handshake (RunHandshakes);
//   - rpc: callees registering one procedure, callers keeping calls in
//     flight; calls per second, round trip, server CPU per call (RunRPC).
//
// Sessions speak WAMP v1 ("wamp") or WAMP v2 over JSON, MessagePack or
// CBOR (Common.Protocol; publishers may speak another, Common.PubProtocol),
// so one server can be measured in both versions, and other v2 routers
// (bench/nexus) beside it.
//
// # Processes
//
// One process may hold only `ulimit -n` descriptors, so the coordinating
// process (pool.go) starts itself again as worker processes (the hidden
// `wampbench worker` command, worker.go), each holding at most
// Common.PerWorker connections bound to its own loopback source address
// (127.0.0.2, 127.0.0.3, …) so source ports never run out. The parent
// speaks to each worker in JSON lines over its stdin and stdout
// (protocol.go), and all processes share one page of counters in memory
// (board.go) through which publishers see how far subscribers have got.
// Workers die with the parent (stdin EOF, PR_SET_PDEATHSIG) and at a hard
// deadline of their own.
//
// # Client efficiency
//
// The client shares the machine's cores with the server, so a worker is a
// single epoll loop over raw non-blocking sockets (reactor.go, conn.go):
// no goroutine or bufio per connection, one shared 256 KiB read buffer,
// every complete frame in a read parsed in place (internal/wire), the
// event's send stamp read without decoding the message, one clock reading
// per read. Publishers (publisher.go) write many masked PUBLISH frames per
// write and stop while too many publications are in flight. Callees and
// callers (rpc_conn.go) answer all the messages of one read in one write.
//
// Server figures come from /proc (package procstat); latencies go into
// fixed-size histograms (package latency).
package bench
