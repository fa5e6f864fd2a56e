package gateway

import (
	"bytes"
	"net/url"
)

// handshakeToken returns the token (a JWT) an upgrade request head
// carries, looked for in this order: the first Authorization header of
// scheme Bearer; the first token parameter of the request target's
// query (percent-decoded; one that does not decode is an empty token);
// the first cookie named cookie ("": none), its quotes removed. found is
// false when there is none.
func handshakeToken(head []byte, cookie string) (token string, found bool) {
	line, rest, _ := bytes.Cut(head, crlf)
	var queryToken, cookieToken string
	var inQuery, inCookie bool
	if fields := bytes.Fields(line); len(fields) >= 2 {
		if _, query, ok := bytes.Cut(fields[1], []byte("?")); ok {
			queryToken, inQuery = queryParam(query, "token")
		}
	}
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, crlf)
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		name, value = bytes.TrimSpace(name), bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Authorization")):
			scheme, credentials, _ := bytes.Cut(value, []byte(" "))
			if bytes.EqualFold(scheme, []byte("Bearer")) {
				return string(bytes.TrimSpace(credentials)), true
			}
		case cookie != "" && !inCookie && bytes.EqualFold(name, []byte("Cookie")):
			cookieToken, inCookie = cookieValue(value, cookie)
		}
	}
	if inQuery {
		return queryToken, true
	}
	return cookieToken, inCookie
}

var crlf = []byte("\r\n")

// queryParam returns the first parameter name of a URL query,
// percent-decoded ("" when it does not decode).
func queryParam(query []byte, name string) (string, bool) {
	for len(query) > 0 {
		var pair []byte
		pair, query, _ = bytes.Cut(query, []byte("&"))
		k, v, _ := bytes.Cut(pair, []byte("="))
		if key, err := url.QueryUnescape(string(k)); err != nil || key != name {
			continue
		}
		value, err := url.QueryUnescape(string(v))
		if err != nil {
			return "", true
		}
		return value, true
	}
	return "", false
}

// cookieValue returns the value of the first cookie called name in a
// Cookie header value ("a=1; b=2"), without its double quotes.
func cookieValue(header []byte, name string) (string, bool) {
	for len(header) > 0 {
		var pair []byte
		pair, header, _ = bytes.Cut(header, []byte(";"))
		k, v, ok := bytes.Cut(bytes.TrimSpace(pair), []byte("="))
		if !ok || string(k) != name {
			continue
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return string(v), true
	}
	return "", false
}
