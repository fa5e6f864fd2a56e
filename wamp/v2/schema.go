package v2

import "fmt"

// field is where an element of a message goes in Message.
type field uint8

const (
	fieldReqType field = iota + 1
	fieldRequest
	fieldID
	fieldDict
	fieldURI
	fieldArgs
	fieldKwargs
)

// element is one element of a message after the type code.
type element struct {
	field field
	name  string // the spec's name, for errors: "Options", "Topic"
}

// schema is the layout of one message type: its elements in wire order,
// of which the first required must be present and the rest are optional,
// each needing the one before it.
type schema struct {
	name     string
	elems    []element
	required int
}

// lengths describes the valid element counts (type code included), for
// errors: "4" or "4 to 6".
func (s *schema) lengths() string {
	if s.required == len(s.elems) {
		return fmt.Sprint(s.required + 1)
	}
	return fmt.Sprintf("%d to %d", s.required+1, len(s.elems)+1)
}

// maxElements is the most elements a message has after its type code
// (ERROR's six).
const maxElements = 6

var (
	args   = element{fieldArgs, "Arguments"}
	kwargs = element{fieldKwargs, "ArgumentsKw"}
)

func elems(e ...element) []element { return e }

// schemas is indexed by type code; unknown codes have no name.
var schemas = [Yield + 1]schema{
	Hello:        {"HELLO", elems(element{fieldURI, "Realm"}, element{fieldDict, "Details"}), 2},
	Welcome:      {"WELCOME", elems(element{fieldRequest, "Session"}, element{fieldDict, "Details"}), 2},
	Abort:        {"ABORT", elems(element{fieldDict, "Details"}, element{fieldURI, "Reason"}), 2},
	Challenge:    {"CHALLENGE", elems(element{fieldURI, "AuthMethod"}, element{fieldDict, "Extra"}), 2},
	Authenticate: {"AUTHENTICATE", elems(element{fieldURI, "Signature"}, element{fieldDict, "Extra"}), 2},
	Goodbye:      {"GOODBYE", elems(element{fieldDict, "Details"}, element{fieldURI, "Reason"}), 2},
	Error: {"ERROR", elems(element{fieldReqType, "REQUEST.Type"}, element{fieldRequest, "REQUEST.Request"},
		element{fieldDict, "Details"}, element{fieldURI, "Error"}, args, kwargs), 4},
	Publish:      {"PUBLISH", elems(element{fieldRequest, "Request"}, element{fieldDict, "Options"}, element{fieldURI, "Topic"}, args, kwargs), 3},
	Published:    {"PUBLISHED", elems(element{fieldRequest, "PUBLISH.Request"}, element{fieldID, "Publication"}), 2},
	Subscribe:    {"SUBSCRIBE", elems(element{fieldRequest, "Request"}, element{fieldDict, "Options"}, element{fieldURI, "Topic"}), 3},
	Subscribed:   {"SUBSCRIBED", elems(element{fieldRequest, "SUBSCRIBE.Request"}, element{fieldID, "Subscription"}), 2},
	Unsubscribe:  {"UNSUBSCRIBE", elems(element{fieldRequest, "Request"}, element{fieldID, "SUBSCRIBED.Subscription"}), 2},
	Unsubscribed: {"UNSUBSCRIBED", elems(element{fieldRequest, "UNSUBSCRIBE.Request"}, element{fieldDict, "Details"}), 1},
	Event: {"EVENT", elems(element{fieldRequest, "SUBSCRIBED.Subscription"}, element{fieldID, "PUBLISHED.Publication"},
		element{fieldDict, "Details"}, args, kwargs), 3},
	Call:         {"CALL", elems(element{fieldRequest, "Request"}, element{fieldDict, "Options"}, element{fieldURI, "Procedure"}, args, kwargs), 3},
	Cancel:       {"CANCEL", elems(element{fieldRequest, "CALL.Request"}, element{fieldDict, "Options"}), 2},
	Result:       {"RESULT", elems(element{fieldRequest, "CALL.Request"}, element{fieldDict, "Details"}, args, kwargs), 2},
	Register:     {"REGISTER", elems(element{fieldRequest, "Request"}, element{fieldDict, "Options"}, element{fieldURI, "Procedure"}), 3},
	Registered:   {"REGISTERED", elems(element{fieldRequest, "REGISTER.Request"}, element{fieldID, "Registration"}), 2},
	Unregister:   {"UNREGISTER", elems(element{fieldRequest, "Request"}, element{fieldID, "REGISTERED.Registration"}), 2},
	Unregistered: {"UNREGISTERED", elems(element{fieldRequest, "UNREGISTER.Request"}, element{fieldDict, "Details"}), 1},
	Invocation: {"INVOCATION", elems(element{fieldRequest, "Request"}, element{fieldID, "REGISTERED.Registration"},
		element{fieldDict, "Details"}, args, kwargs), 3},
	Interrupt: {"INTERRUPT", elems(element{fieldRequest, "INVOCATION.Request"}, element{fieldDict, "Options"}), 2},
	Yield:     {"YIELD", elems(element{fieldRequest, "INVOCATION.Request"}, element{fieldDict, "Options"}, args, kwargs), 2},
}
