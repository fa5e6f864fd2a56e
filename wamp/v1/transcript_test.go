package v1

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wampgate/wampgate/wamp"
	"github.com/wampgate/wampgate/wamp/wamptest"
)

// This file replays the recorded Ratchet transcripts
// (shared/conformance/ratchet-v1-transcripts.json) at the session level:
// each client is a v1.Session on a recording fake Conn, all on one Router
// with the demo app the transcripts were recorded with. The WebSocket
// layer (handshake, close handshake, TCP) is the gateway's and is replayed
// at the socket level in gateway/.

// transcriptPath finds the transcripts: $WAMPGATE_TRANSCRIPTS, or shared/
// beside the repository (where CI and the developers' machines have it).
func transcriptPath() string {
	if p := os.Getenv("WAMPGATE_TRANSCRIPTS"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "conformance", "ratchet-v1-transcripts.json")
}

type transcriptFile struct {
	Cases []transcriptCase `json:"cases"`
}

type transcriptCase struct {
	Name     string                      `json:"name"`
	Group    string                      `json:"group"`
	Steps    []transcriptStep            `json:"steps"`
	Received map[string][]transcriptRecv `json:"received"`
}

type transcriptStep struct {
	Client  string `json:"client"`
	Action  string `json:"action"`
	Opcode  string `json:"opcode"`
	Frame   string `json:"frame"`
	DataHex string `json:"data_hex"`
	Length  int    `json:"length"`
}

type transcriptRecv struct {
	AfterStep int    `json:"after_step"`
	Type      string `json:"type"`
	Data      string `json:"data"`
	Code      uint16 `json:"code"`
}

// observed is one thing a client saw, in a comparable form.
type observed struct {
	AfterStep int
	What      string // "text <payload>" or "close <code>"
}

func (o observed) String() string { return fmt.Sprintf("after step %d: %s", o.AfterStep, o.What) }

// replayedGroups are the transcript groups that are about the WAMP layer.
var replayedGroups = map[string]bool{"pubsub": true, "prefix": true, "rpc": true, "errors": true, "fatal": true}

// extraCases are cases of other groups that concern the WAMP layer.
var extraCases = map[string]bool{"binary_frame_valid_json": true, "binary_frame_garbage": true}

// skippedCases are out of scope here, with the reason.
var skippedCases = map[string]string{
	"relay_peer_down": "about the original relay method (wampgate's cluster layer replaces it)",
}

// differences holds the expected observations where wampgate deliberately
// differs from Ratchet (see ../DIFFERENCES.md), by case and client. The
// fatal cases (Ratchet's process dies) are here too.
var differences = map[string]map[string][]observed{
	// Difference 2: event payloads are forwarded as sent ('/' unescaped).
	"subscribe_publish_self": {"A": {
		welcome(0, "A"), textAt(2, `[8,"price\/channel",{"price":100,"lot":"a/b"}]`),
	}},
	// Difference 1: a prefix URI ending in '#' is concatenated as the
	// spec says, so the CURIE and the spec-style full URI are one topic.
	"prefix_trailing_hash": {"A": {
		welcome(0, "A"),
		textAt(3, `[8,"http:\/\/example.com\/simple\/calc#square","curie"]`),
		textAt(4, `[8,"http:\/\/example.com\/simple\/calc#square","full-uri-spec-style"]`),
	}},
	// Difference 3: exclude elements that are not session ids match no
	// session.
	"publish_exclude_list_with_true": {
		"A": {welcome(0, "A"), textAt(4, `[8,"t","excl-true-elem"]`)},
		"B": {welcome(1, "B"), textAt(4, `[8,"t","excl-true-elem"]`)},
	},
	// Difference 4: CALL procedures that are not strings or numbers get a
	// CALLERROR; numbers keep their JSON text (Ratchet: PHP array key "1").
	"call_proc_scalar_types": {"A": {
		welcome(0, "A"),
		textAt(1, `[4,"n","5","RPC not supported on this demo"]`),
		textAt(2, `[4,"b","wamp.error.invalid_uri","procedure URI must be a string, not a boolean"]`),
		textAt(3, `[4,"f","1.5","RPC not supported on this demo"]`),
	}},
	"eligible_not_list_kills_node": {
		"A": {welcome(0, "A"), closed(3, 1007)},
		"B": {welcome(1, "B")},
	},
	"eligible_null_kills_node": {"A": {welcome(0, "A"), closed(1, 1007)}},
	"strict_array_relay_scalar_event": {
		"A": {welcome(0, "A"), textAt(4, `[8,"price\/channel",{"obj":"ok"}]`), textAt(5, `[8,"price\/channel","a string"]`)},
		"B": {welcome(1, "B"), textAt(4, `[8,"price\/channel",{"obj":"ok"}]`), textAt(5, `[8,"price\/channel","a string"]`)},
	},
	"call_proc_list_kills_node": {
		"A": {welcome(0, "A"), textAt(2, `[4,"id","wamp.error.invalid_uri","procedure URI must be a string, not a list"]`)},
		"B": {welcome(1, "B")},
	},
	"call_missing_proc_kills_node": {"A": {
		welcome(0, "A"), textAt(1, `[4,"only-id","wamp.error.invalid_uri","CALL without a procedure URI"]`),
	}},
	"call_proc_object_kills_node": {"A": {
		welcome(0, "A"), textAt(1, `[4,"id","wamp.error.invalid_uri","procedure URI must be a string, not an object"]`),
	}},
}

func welcome(step int, client string) observed {
	return textAt(step, `[0,"$SESSION_`+client+`",1,"Ratchet\/0.4.4"]`)
}
func textAt(step int, payload string) observed { return observed{step, "text " + payload} }
func closed(step int, code uint16) observed    { return observed{step, fmt.Sprintf("close %d", code)} }

func TestRatchetTranscripts(t *testing.T) {
	raw, err := os.ReadFile(transcriptPath())
	if err != nil {
		t.Skipf("transcripts not available: %v", err)
	}
	var file transcriptFile
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parse transcripts: %v", err)
	}
	replayed := 0
	for _, c := range file.Cases {
		if !replayedGroups[c.Group] && !extraCases[c.Name] {
			continue
		}
		t.Run(c.Group+"/"+c.Name, func(t *testing.T) {
			if why, ok := skippedCases[c.Name]; ok {
				t.Skip(why)
			}
			replayCase(t, c)
		})
		replayed++
	}
	if replayed < 60 {
		t.Errorf("replayed only %d cases; transcript file changed?", replayed)
	}
}

func replayCase(t *testing.T, c transcriptCase) {
	r := newRouter(wamp.RouterConfig{
		Handler:    wamptest.RatchetDemoHandler{},
		Agent:      "Ratchet/0.4.4",
		LocalTopic: LegacyBroadcastTopic,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	type client struct {
		conn   *wamptest.Conn
		sess   *Session
		closed bool
	}
	clients := map[string]*client{}
	var order []string
	ids := map[string]string{} // client name → session id
	got := map[string][]observed{}
	subst := func(s string) string {
		for name, id := range ids {
			s = strings.ReplaceAll(s, "$SESSION_"+name, id)
		}
		return s
	}
	// Cases with a "wait" step sent their frames back to back and observed
	// the answers at the wait: collect at connects and waits only.
	pipelined := slices.ContainsFunc(c.Steps, func(st transcriptStep) bool { return st.Action == "wait" })
	for i, st := range c.Steps {
		cl := clients[st.Client]
		switch st.Action {
		case "connect":
			conn := wamptest.NewConn("127.0.0.1:1")
			cl = &client{conn: conn, sess: NewSession(r, conn)}
			clients[st.Client] = cl
			order = append(order, st.Client)
			conn.SendText(cl.sess.Open())
			ids[st.Client] = cl.sess.ID().String()
		case "send":
			if cl == nil || cl.closed {
				t.Fatalf("step %d: send on a client that is not open", i)
			}
			var payload []byte
			switch {
			case st.DataHex != "":
				var err error
				if payload, err = hex.DecodeString(st.DataHex); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			case st.Length > 0:
				t.Skip("large frames are replayed at the socket level")
			default:
				payload = []byte(subst(st.Frame))
			}
			if err := cl.sess.HandleMessage(payload, st.Opcode == "binary"); err != nil {
				ce, ok := err.(*wamp.CloseError)
				if !ok {
					t.Fatalf("step %d: error %v is not a *wamp.CloseError", i, err)
				}
				got[st.Client] = append(got[st.Client], closed(i, ce.Code))
				cl.sess.Closed()
				cl.closed = true
			}
		case "close":
			cl.sess.Closed()
			cl.closed = true
		}
		if pipelined && st.Action != "connect" && st.Action != "wait" {
			continue
		}
		for _, name := range order {
			for _, m := range clients[name].conn.Take() {
				got[name] = append(got[name], textAt(i, m))
			}
		}
	}
	for _, name := range order {
		want := expected(c, name)
		for j := range want {
			want[j].What = subst(want[j].What)
		}
		if !slices.Equal(got[name], want) {
			t.Errorf("client %s:\n got: %s\nwant: %s", name, list(got[name]), list(want))
		}
		if errs := clients[name].conn.FrameErrors(); len(errs) > 0 {
			t.Errorf("client %s: bad frames: %v", name, errs)
		}
	}
}

// expected returns what client name should observe: the recorded frames
// (close frames only where the server closed on a message, TCP events
// dropped), or the deliberate difference.
func expected(c transcriptCase, name string) []observed {
	if d, ok := differences[c.Name][name]; ok {
		return slices.Clone(d)
	}
	if c.Name == "payload_reencoding" {
		return payloadAsSent(c)
	}
	var want []observed
	for _, rcv := range c.Received[name] {
		switch rcv.Type {
		case "text":
			want = append(want, textAt(rcv.AfterStep, rcv.Data))
		case "close":
			if st := c.Steps[rcv.AfterStep]; st.Action == "send" && st.Client == name {
				want = append(want, closed(rcv.AfterStep, rcv.Code))
			}
		}
	}
	return want
}

// payloadAsSent builds the expectation of payload_reencoding under
// difference 2: every event comes back exactly as sent (the frames have no
// whitespace to compact), where Ratchet re-encodes through PHP arrays.
func payloadAsSent(c transcriptCase) []observed {
	want := []observed{welcome(0, "A")}
	for i, st := range c.Steps {
		if ev, ok := strings.CutPrefix(st.Frame, `[7,"t",`); ok {
			want = append(want, textAt(i, `[8,"t",`+ev))
		}
	}
	return want
}

func list(obs []observed) string {
	var b strings.Builder
	for _, o := range obs {
		b.WriteString("\n\t" + o.String())
	}
	return b.String()
}
