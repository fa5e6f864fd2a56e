package v2

// Message is one WAMP v2 message. Which fields a type uses, and in which
// order they go on the wire, is the type's schema (schema.go):
//
//	HELLO        [1, Realm→URI, Details→Dict]
//	WELCOME      [2, Session→Request, Details→Dict]
//	ABORT        [3, Details→Dict, Reason→URI]
//	CHALLENGE    [4, AuthMethod→URI, Extra→Dict]
//	AUTHENTICATE [5, Signature→URI, Extra→Dict]
//	GOODBYE      [6, Details→Dict, Reason→URI]
//	ERROR        [8, REQUEST.Type→ReqType, REQUEST.Request→Request, Details→Dict, Error→URI, (Args, (Kwargs))]
//	PUBLISH      [16, Request, Options→Dict, Topic→URI, (Args, (Kwargs))]
//	PUBLISHED    [17, Request, Publication→ID]
//	SUBSCRIBE    [32, Request, Options→Dict, Topic→URI]
//	SUBSCRIBED   [33, Request, Subscription→ID]
//	UNSUBSCRIBE  [34, Request, Subscription→ID]
//	UNSUBSCRIBED [35, Request, (Details→Dict)]
//	EVENT        [36, Subscription→Request, Publication→ID, Details→Dict, (Args, (Kwargs))]
//	CALL         [48, Request, Options→Dict, Procedure→URI, (Args, (Kwargs))]
//	CANCEL       [49, Request, Options→Dict]
//	RESULT       [50, Request, Details→Dict, (Args, (Kwargs))]
//	REGISTER     [64, Request, Options→Dict, Procedure→URI]
//	REGISTERED   [65, Request, Registration→ID]
//	UNREGISTER   [66, Request, Registration→ID]
//	UNREGISTERED [67, Request, (Details→Dict)]
//	INVOCATION   [68, Request, Registration→ID, Details→Dict, (Args, (Kwargs))]
//	INTERRUPT    [69, Request, Options→Dict]
//	YIELD        [70, Request, Options→Dict, (Args, (Kwargs))]
//
// Elements in parentheses are optional. UNSUBSCRIBED's and UNREGISTERED's
// Details are the advanced profile's revocation form ([35, 0, Details]).
// Fields a type does not use are ignored when encoding and zero after
// decoding.
type Message struct {
	Type Type
	// ReqType is ERROR's REQUEST.Type: the type of the request it answers.
	ReqType Type
	// Request is the first id: the request id; WELCOME's session id,
	// EVENT's subscription id, INVOCATION's, INTERRUPT's and YIELD's
	// invocation request id.
	Request uint64
	// ID is the second id: the publication of PUBLISHED and EVENT, the
	// subscription of SUBSCRIBED and UNSUBSCRIBE, the registration of
	// REGISTERED, UNREGISTER and INVOCATION.
	ID uint64
	// Dict is the message's Details, Options or Extra; nil is an empty
	// dict (and, for UNSUBSCRIBED and UNREGISTERED, an absent one).
	// Decoding gives nil for an empty dict. Values are wamp/value's
	// neutral values.
	Dict map[string]any
	// URI is the realm, topic, procedure, error or reason URI, CHALLENGE's
	// auth method or AUTHENTICATE's signature.
	URI string
	// Args is the Arguments list and Kwargs the ArgumentsKw dict, raw, in
	// the format of the serializer that decoded or will encode the
	// message; nil when absent. After decoding they alias the input.
	// Encoding writes them verbatim (an absent Args before a present
	// Kwargs is written as an empty list).
	Args   []byte
	Kwargs []byte
}
