package v1

import (
	"strconv"

	"github.com/gobwas/ws"

	"github.com/wampgate/wampgate/internal/wsframe"
	"github.com/wampgate/wampgate/wamp"
)

// The encoders append one server message to dst, with no spaces and every
// string escaped like PHP's json_encode (see AppendPHPString), as
// Ratchet sends them. JSON arguments (call ids, results, details, event
// payloads) are raw compact JSON and copied as they are; a nil event is
// written as null.

// AppendWelcome appends [0,"<sessionID>",1,"<serverIdent>"], the session
// id as a decimal string.
func AppendWelcome(dst []byte, sessionID wamp.ID, serverIdent string) []byte {
	dst = append(dst, '[', '0', ',', '"')
	dst = strconv.AppendUint(dst, uint64(sessionID), 10)
	dst = append(dst, '"', ',')
	dst = strconv.AppendInt(dst, ProtocolVersion, 10)
	dst = append(dst, ',')
	dst = AppendPHPString(dst, serverIdent)
	return append(dst, ']')
}

// AppendEvent appends [8,"<topic>",<event>].
func AppendEvent(dst []byte, topic string, event []byte) []byte {
	dst = append(dst, '[', '8', ',')
	dst = AppendPHPString(dst, topic)
	dst = append(dst, ',')
	dst = appendJSON(dst, event)
	return append(dst, ']')
}

// AppendCallResult appends [3,<callID>,<result>].
func AppendCallResult(dst, callID, result []byte) []byte {
	dst = append(dst, '[', '3', ',')
	dst = appendJSON(dst, callID)
	dst = append(dst, ',')
	dst = appendJSON(dst, result)
	return append(dst, ']')
}

// AppendCallError appends [4,<callID>,"<errorURI>","<desc>"] and, when
// details is not nil, the details as a fifth element.
func AppendCallError(dst, callID []byte, errorURI, desc string, details []byte) []byte {
	dst = append(dst, '[', '4', ',')
	dst = appendJSON(dst, callID)
	dst = append(dst, ',')
	dst = AppendPHPString(dst, errorURI)
	dst = append(dst, ',')
	dst = AppendPHPString(dst, desc)
	if details != nil {
		dst = append(dst, ',')
		dst = append(dst, details...)
	}
	return append(dst, ']')
}

// appendJSON appends raw JSON v, or null when v is nil.
func appendJSON(dst, v []byte) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	return append(dst, v...)
}

// EventFrame encodes pub as a complete WebSocket text frame carrying the
// v1 EVENT [8,"<topic>",<event>], in one exactly sized allocation, where
// the event is pub.Event() (the first argument, else the keyword
// arguments, else null). It is the wamp.Protocol hook the broker calls
// once per publication: a v1 EVENT does not depend on the subscription.
// It returns nil when the payload cannot be written as JSON.
func EventFrame(pub *wamp.Publication, _ *wamp.Subscription) []byte {
	event := pub.Event()
	if event == nil {
		return nil
	}
	n := len("[8,") + PHPStringLen(pub.Topic) + len(",") + len(event) + len("]")
	frame := make([]byte, 0, wsframe.HeaderLen(n)+n)
	frame = wsframe.AppendHeader(frame, ws.OpText, n)
	return AppendEvent(frame, pub.Topic, event)
}

// Protocol is WAMP v1 as the router sees it.
var Protocol = &wamp.Protocol{Name: Subprotocol, EventFrame: EventFrame}
