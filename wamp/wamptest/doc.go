// Package wamptest holds test helpers for code built on package wamp: a
// recording fake Conn and RatchetDemoHandler, the application the Ratchet
// conformance transcripts were recorded with.
package wamptest
