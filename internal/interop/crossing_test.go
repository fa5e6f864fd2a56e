package interop

// Publications crossing libraries and serializers: each library's
// publisher reaches each library's subscriber over every serializer with
// the same values, binary payloads included.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
)

// endpoint is one library over one serializer.
type endpoint struct {
	lib *library
	ser string
}

func (e endpoint) String() string { return e.lib.name + "/" + e.ser }

// everyEndpoint lists every library over every serializer it speaks.
func everyEndpoint() []endpoint {
	var es []endpoint
	for _, lib := range libraries {
		for _, ser := range lib.serializers {
			es = append(es, endpoint{lib, ser})
		}
	}
	return es
}

// subscriber is a running subscribe role.
type subscriber struct {
	endpoint
	c       *client
	session uint64
}

// subscribe starts the subscribe role of every endpoint at once, each to
// receive count(endpoint) events, and waits until all are subscribed.
func subscribe(t *testing.T, url string, es []endpoint, topic string, count func(endpoint) int) map[endpoint]*subscriber {
	t.Helper()
	subs := map[endpoint]*subscriber{}
	for _, e := range es {
		subs[e] = &subscriber{endpoint: e, c: e.lib.run(t, url, realm, e.ser, "subscribe", obj{"topic": topic, "count": count(e)})}
	}
	for _, e := range es {
		var r struct {
			Session json.Number `json:"session"`
		}
		subs[e].c.ready(&r)
		subs[e].session = id(t, e.String()+" subscriber session", r.Session)
	}
	return subs
}

// times returns a count function giving n for every endpoint.
func times(n int) func(endpoint) int { return func(endpoint) int { return n } }

// events waits for the subscriber's result.
func (s *subscriber) events(t *testing.T) []map[string]any {
	t.Helper()
	var r struct {
		Events []map[string]any `json:"events"`
	}
	s.c.result(&r)
	return r.Events
}

// publish runs the publish role to completion and returns its session and
// publication ids.
func publish(t *testing.T, url string, e endpoint, topic string, pubs ...obj) (uint64, []uint64) {
	t.Helper()
	var r struct {
		Session   json.Number   `json:"session"`
		Published []json.Number `json:"published"`
	}
	e.lib.run(t, url, realm, e.ser, "publish", obj{"topic": topic, "publications": pubs}).result(&r)
	if len(r.Published) != len(pubs) {
		t.Fatalf("%s published %d, want %d", e, len(r.Published), len(pubs))
	}
	ids := make([]uint64, len(pubs))
	for i, p := range r.Published {
		ids[i] = id(t, fmt.Sprintf("%s publication %d", e, i), p)
	}
	return id(t, e.String()+" publisher session", r.Session), ids
}

// richArgs and richKwargs exercise every JSON-representable kind.
var (
	richArgs   = arr{"text", 42, -7, 2.5, true, nil, obj{"nested": arr{1, "two"}}, arr{}, obj{}}
	richKwargs = obj{"unicode": "héllo ✓ 𝄞", "big": int64(1)<<53 - 1, "neg": -(int64(1)<<53 - 1), "tenth": 0.1}
)

// TestMixedLibrariesAndSerializers: every library over every serializer
// publishes once (Autobahn|JS with disclose_me); every library over every
// serializer receives all of them, in order, with the same values.
func TestMixedLibrariesAndSerializers(t *testing.T) {
	n := startNode(t)
	url, topic := wsURL(n), prefix(t)+".mixed"
	endpoints := everyEndpoint()
	subs := subscribe(t, url, endpoints, topic, times(len(endpoints)))
	var want []any
	for i, e := range endpoints {
		p := obj{"args": append(arr{e.String(), i}, richArgs...), "kwargs": richKwargs}
		if e.lib == js {
			p["options"] = obj{"disclose_me": true}
		}
		session, ids := publish(t, url, e, topic, p)
		var publisher any
		if e.lib == js {
			publisher = session
		}
		want = append(want, obj{"args": p["args"], "kwargs": richKwargs, "publication": ids[0], "publisher": publisher, "topic": topic, "retained": false})
	}
	for _, e := range endpoints {
		sameJSON(t, e.String()+"'s events", subs[e].events(t), want)
	}
}

// TestBinaryAcrossSerializers: byte strings published over MessagePack,
// JSON (Autobahn|Python's "\u0000"+base64 form) and CBOR reach subscribers
// of every serializer as the same bytes. Autobahn|JS leaves the JSON form
// to the application: its JSON subscriber gets the string "\u0000"+base64,
// exactly as the spec writes it. A v1 subscriber gets args[0] in that
// JSON form too.
func TestBinaryAcrossSerializers(t *testing.T) {
	n := startNode(t)
	url, topic := wsURL(n), prefix(t)+".binary"
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	blobs := [][]byte{all, []byte("\x00\x01binary\xff\xfe"), {}, []byte("\xde\xad\xbe\xef not UTF-8 \xc3\x28")}
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	publications := []struct {
		from endpoint
		pub  obj
		args [][]byte
		kw   map[string][]byte
	}{
		{endpoint{python, "msgpack"}, nil, [][]byte{blobs[0]}, map[string][]byte{"blob": blobs[1]}},
		{endpoint{python, "json"}, nil, [][]byte{blobs[2]}, nil},
		{endpoint{js, "cbor"}, nil, [][]byte{blobs[3]}, nil},
		{endpoint{js, "msgpack"}, nil, [][]byte{blobs[1], blobs[0]}, nil},
	}
	for i := range publications {
		p := &publications[i]
		args := arr{}
		for _, b := range p.args {
			args = append(args, obj{"bytes_b64": b64(b)})
		}
		kwargs := obj{}
		for k, b := range p.kw {
			kwargs[k] = obj{"bytes_b64": b64(b)}
		}
		p.pub = obj{"args": args, "kwargs": kwargs}
	}

	v1 := dialV1(t, n.Addr())
	v1.send(5, topic)
	v1.sync()
	subs := subscribe(t, url, everyEndpoint(), topic, times(len(publications)))
	var ids []uint64
	for _, p := range publications {
		_, pid := publish(t, url, p.from, topic, p.pub)
		ids = append(ids, pid[0])
	}

	for _, e := range everyEndpoint() {
		s := subs[e]
		// How the subscriber's library hands over bytes.
		asBytes := func(b []byte) any { return obj{"bytes_b64": b64(b)} }
		if s.lib == js && s.ser == "json" {
			asBytes = func(b []byte) any { return "\x00" + b64(b) }
		}
		var want []any
		for i, p := range publications {
			args := arr{}
			for _, b := range p.args {
				args = append(args, asBytes(b))
			}
			kwargs := obj{}
			for k, b := range p.kw {
				kwargs[k] = asBytes(b)
			}
			want = append(want, obj{"args": args, "kwargs": kwargs, "publication": ids[i], "publisher": nil, "topic": topic, "retained": false})
		}
		sameJSON(t, s.String()+"'s events", s.events(t), want)
	}
	for i, p := range publications {
		var ev []any
		v1.readJSON(&ev)
		sameJSON(t, fmt.Sprintf("v1 EVENT %d", i), ev, arr{8, topic, "\x00" + b64(p.args[0])})
	}
	v1.sync()
}
