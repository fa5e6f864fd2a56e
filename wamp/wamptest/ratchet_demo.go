package wamptest

import (
	"encoding/json"
	"strings"

	"github.com/wampgate/wampgate/wamp"
)

// RatchetDemoDescription is the error description of the demo's call
// errors.
const RatchetDemoDescription = "RPC not supported on this demo"

// RatchetDemoHandler reproduces the application the Ratchet conformance
// transcripts were recorded with (shared/conformance): a plain broker
// (broadcast/channel gets its legacy behaviour from the router's
// RouterConfig.LocalTopic, which the gateway sets), and an RPC "echo":
//
//   - a procedure URI ending in "echo" is answered with CALLRESULT whose
//     result is the list of the call's arguments, except that exactly one
//     argument that is itself a list or object is returned unwrapped
//     (Ratchet's ServerProtocol does that to the params);
//   - any other procedure gets CALLERROR [4, id, procURI,
//     RatchetDemoDescription].
type RatchetDemoHandler struct {
	wamp.BaseHandler
}

// OnCall answers echo calls and refuses everything else.
func (RatchetDemoHandler) OnCall(_ wamp.Peer, call *wamp.Call) {
	if !strings.HasSuffix(call.Procedure, "echo") {
		_ = call.Error(call.Procedure, RatchetDemoDescription, nil)
		return
	}
	args, err := call.JSONArgs()
	if err != nil {
		_ = call.Error(wamp.ErrorInvalidArgument, err.Error(), nil)
		return
	}
	if len(args) == 1 && isContainer(args[0]) {
		_ = call.Result(args[0])
		return
	}
	_ = call.Result(rawList(args))
}

// isContainer reports whether raw compact JSON v is a list or an object.
func isContainer(v json.RawMessage) bool {
	return len(v) > 0 && (v[0] == '[' || v[0] == '{')
}

// rawList joins raw JSON values into one raw JSON list.
func rawList(vals []json.RawMessage) json.RawMessage {
	b := []byte{'['}
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return append(b, ']')
}
