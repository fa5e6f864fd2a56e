package bench

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// target is the server under test, resolved from a ws:// URL.
type target struct {
	URL  string
	Host string // Host header: host[:port] as in the URL
	Path string // request target: path and query
	IP   [4]byte
	Port int
}

// parseTarget resolves a ws:// URL whose host is an IPv4 loopback address
// (or "localhost"); the benchmark never sends traffic anywhere else.
func parseTarget(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, err
	}
	if u.Scheme != "ws" {
		return target{}, fmt.Errorf("url %q: only ws:// is supported", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host).To4()
	if ip == nil || ip[0] != 127 {
		return target{}, fmt.Errorf("url %q: host must be an IPv4 loopback address (127.0.0.0/8)", raw)
	}
	port := 80
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port <= 0 || port > 65535 {
			return target{}, fmt.Errorf("url %q: bad port", raw)
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	t := target{URL: raw, Host: u.Host, Path: path, Port: port}
	copy(t.IP[:], ip)
	return t, nil
}

// sourceIPs returns count loopback addresses starting at base and skipping
// addresses ending in .0 or .255, staying inside 127.0.0.0/8.
func sourceIPs(base string, skip, count int) ([]string, error) {
	ip := net.ParseIP(base).To4()
	if ip == nil || ip[0] != 127 {
		return nil, fmt.Errorf("source base %q: not an IPv4 loopback address", base)
	}
	v := uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
	var out []string
	for k := 0; len(out) < count; v++ {
		if v >= 1<<24-1 {
			return nil, fmt.Errorf("source addresses exhausted after %d", len(out))
		}
		if b := v & 0xFF; b == 0 || b == 0xFF {
			continue
		}
		if k >= skip {
			out = append(out, fmt.Sprintf("127.%d.%d.%d", v>>16&0xFF, v>>8&0xFF, v&0xFF))
		}
		k++
	}
	return out, nil
}
