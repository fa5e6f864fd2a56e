// The nexus router as a peer server for the benchmarks (see main.go): a
// module of its own, so that nexus stays out of the dependency graphs of
// wampgate (the root module) and of the bench module.
module github.com/wampgate/wampgate/bench/nexus

go 1.26.0

require github.com/gammazero/nexus/v3 v3.3.0

require (
	github.com/gammazero/deque v1.2.1 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/ugorji/go/codec v1.3.1 // indirect
	golang.org/x/crypto v0.48.0 // indirect
)
