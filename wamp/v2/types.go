package v2

import "strconv"

// Type is a WAMP v2 message type code.
type Type uint8

// The message types of the basic and advanced profiles, with the spec's
// codes.
const (
	Hello        Type = 1
	Welcome      Type = 2
	Abort        Type = 3
	Challenge    Type = 4
	Authenticate Type = 5
	Goodbye      Type = 6
	Error        Type = 8
	Publish      Type = 16
	Published    Type = 17
	Subscribe    Type = 32
	Subscribed   Type = 33
	Unsubscribe  Type = 34
	Unsubscribed Type = 35
	Event        Type = 36
	Call         Type = 48
	Cancel       Type = 49
	Result       Type = 50
	Register     Type = 64
	Registered   Type = 65
	Unregister   Type = 66
	Unregistered Type = 67
	Invocation   Type = 68
	Interrupt    Type = 69
	Yield        Type = 70
)

// String returns the spec's name of the type, e.g. "PUBLISH", or
// "TYPE(n)" for a code that is not a message type.
func (t Type) String() string {
	if int(t) < len(schemas) && schemas[t].name != "" {
		return schemas[t].name
	}
	return "TYPE(" + strconv.Itoa(int(t)) + ")"
}

// Known reports whether t is one of the message types above.
func (t Type) Known() bool { return int(t) < len(schemas) && schemas[t].name != "" }

// IsRequest reports whether t is a request an ERROR can answer (the
// spec's REQUEST.Type values): SUBSCRIBE, UNSUBSCRIBE, PUBLISH, REGISTER,
// UNREGISTER, CALL and INVOCATION.
func (t Type) IsRequest() bool {
	switch t {
	case Subscribe, Unsubscribe, Publish, Register, Unregister, Call, Invocation:
		return true
	}
	return false
}

// MaxID is the largest WAMP id: ids are integers in [0, 2^53] (0 only
// where the spec allows it, e.g. a router-initiated UNSUBSCRIBED).
const MaxID = 1 << 53
