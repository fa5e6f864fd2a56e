// Package wsframe is wampgate's one RFC 6455 frame codec: the server's,
// the peer links', the load generator's and the raw test client's.
//
// The Parser decodes a peer's frames incrementally, without blocking and
// without allocating per frame: it parses only bytes that have already
// arrived, so a slow peer can never hold the goroutine parsing it, and it
// enforces the protocol's rules. Server frames are encoded unmasked and
// never fragmented (AppendText, AppendControl, AppendClose); client frames
// are masked (AppendMasked); FrameInPlace frames a message built behind
// headroom without copying it. Header, with AppendTo and DecodeHeader, is
// the raw layer beneath them, which judges nothing.
package wsframe
