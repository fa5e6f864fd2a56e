// Package nginxconf renders the nginx configuration that balances
// WebSocket clients over a pool of wampgate nodes: a complete nginx.conf
// that refers to no system path, so it runs from its own prefix directory
// next to (never instead of) the system's nginx.
package nginxconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
)

// DefaultConnections is the number of client connections a rendered
// configuration is sized for when Config.Connections is zero: about one
// full node's worth (a node holds some 19,900 sessions under a 20,000
// descriptor limit).
const DefaultConnections = 20000

// descriptorMargin is what nginx needs beyond its proxied connections, in
// connection slots and again in descriptors: listening sockets, plain HTTP
// requests such as /healthz, log files, epoll and eventfd.
const descriptorMargin = 512

// Config describes the load balancer to render.
type Config struct {
	// Listen is the address nginx accepts clients on (host:port).
	Listen string
	// Pool lists the wampgate nodes (host:port), as `wampgate run --pool`
	// does.
	Pool []string
	// Connections is the number of concurrent client connections to size
	// nginx for (0: DefaultConnections).
	Connections int
	// Prefix, when set, is the absolute directory the rendered file's
	// paths (pid, error log, temporary files) are put under, so that it
	// also runs without `nginx -p`. When empty the paths are relative and
	// nginx resolves them against its -p prefix.
	Prefix string
	// TLSCert and TLSKey, both set, make nginx terminate TLS on Listen
	// with this certificate chain and private key (PEM files; absolute
	// paths, or relative to nginx's prefix): TLS 1.2 and 1.3 only, forward
	// secret AEAD ciphers; clients connect with wss://.
	TLSCert string
	TLSKey  string
	// RedirectListen, with TLS, is an address where nginx answers plain
	// HTTP with a 301 to the same URL over https:// on Listen's port.
	RedirectListen string
	// OpsAllow lists the client addresses and networks (an IP address or
	// a CIDR) nginx passes the nodes' operator endpoints (/metrics,
	// /status, /status.json, /healthz) to; every other client gets 403.
	// Empty: DefaultOpsAllow.
	OpsAllow []string
	// OpsHide answers the operator endpoints with 404 for everyone
	// instead: scrape the nodes directly (or on --metrics-listen).
	OpsHide bool
}

// DefaultOpsAllow is who may reach the operator endpoints through nginx
// unless Config.OpsAllow says otherwise: the machine itself.
var DefaultOpsAllow = []string{"127.0.0.1", "::1"}

// OpsPaths are the nodes' operator endpoints, which nginx keeps private.
var OpsPaths = []string{"/metrics", "/status", "/status.json", "/healthz"}

// tlsCiphers are the TLS 1.2 cipher suites offered: ECDHE key exchange
// with an AEAD cipher only (TLS 1.3 suites are not configurable and all
// fine).
const tlsCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" +
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" +
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

// WorkerConnections is nginx's worker_connections for clients concurrent
// WebSocket clients: each proxied connection takes two slots (the client's
// and the upstream's), plus a margin. Every worker is sized for all of
// them, since nginx does not spread long-lived connections evenly.
func WorkerConnections(clients int) int { return 2*clients + descriptorMargin }

// FileLimit is nginx's worker_rlimit_nofile for clients concurrent
// WebSocket clients: one descriptor per connection slot, plus a margin.
func FileLimit(clients int) int { return WorkerConnections(clients) + descriptorMargin }

// MaxClients is the largest number of clients whose FileLimit fits in
// fileLimit descriptors, or 0 if none does.
func MaxClients(fileLimit int) int {
	return max(0, (fileLimit-2*descriptorMargin)/2)
}

// Render writes the nginx.conf for c to w.
func Render(w io.Writer, c Config) error {
	data, err := c.templateData()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := confTemplate.Execute(&buf, data); err != nil {
		return fmt.Errorf("render nginx config: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write nginx config: %w", err)
	}
	return nil
}

// templateData checks c and returns what the template needs.
func (c Config) templateData() (templateData, error) {
	d := templateData{Listen: c.Listen, Pool: c.Pool, Connections: c.Connections}
	if d.Connections == 0 {
		d.Connections = DefaultConnections
	}
	if d.Connections < 0 {
		return d, fmt.Errorf("connections %d: must not be negative", c.Connections)
	}
	if err := checkAddr(c.Listen); err != nil {
		return d, fmt.Errorf("listen address: %w", err)
	}
	if len(c.Pool) == 0 {
		return d, errors.New("the pool is empty: give at least one wampgate node (host:port)")
	}
	for _, a := range c.Pool {
		if err := checkAddr(a); err != nil {
			return d, fmt.Errorf("pool: %w", err)
		}
	}
	if c.Prefix != "" {
		if !filepath.IsAbs(c.Prefix) {
			return d, fmt.Errorf("prefix %q: must be an absolute directory", c.Prefix)
		}
		if strings.ContainsAny(c.Prefix, "\"\\$\r\n") {
			return d, fmt.Errorf("prefix %q: quotes, backslashes, $ and line breaks cannot be used in an nginx path", c.Prefix)
		}
		d.Dir = filepath.Clean(c.Prefix) + "/"
	}
	if err := c.tlsData(&d); err != nil {
		return d, err
	}
	if err := c.opsData(&d); err != nil {
		return d, err
	}
	d.WorkerConnections = WorkerConnections(d.Connections)
	d.FileLimit = FileLimit(d.Connections)
	return d, nil
}

// tlsData checks the TLS settings of c and fills those of d.
func (c Config) tlsData(d *templateData) error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("TLS needs both a certificate and a key")
	}
	if c.TLSCert == "" {
		if c.RedirectListen != "" {
			return errors.New("an HTTP to HTTPS redirect needs TLS (a certificate and a key)")
		}
		return nil
	}
	for _, p := range []string{c.TLSCert, c.TLSKey} {
		if strings.ContainsAny(p, "\"\\$\r\n;{}") {
			return fmt.Errorf("TLS file %q: quotes, backslashes, $, ;, braces and line breaks cannot be used in an nginx path", p)
		}
	}
	d.TLSCert, d.TLSKey, d.TLSCiphers = c.TLSCert, c.TLSKey, tlsCiphers
	if c.RedirectListen != "" {
		if err := checkAddr(c.RedirectListen); err != nil {
			return fmt.Errorf("redirect listen address: %w", err)
		}
		d.RedirectListen = c.RedirectListen
		if _, port, _ := net.SplitHostPort(c.Listen); port != "443" {
			d.HTTPSPort = ":" + port
		}
	}
	return nil
}

// opsData checks the operator endpoints' settings of c and fills those of
// d.
func (c Config) opsData(d *templateData) error {
	d.OpsHide = c.OpsHide
	if c.OpsHide {
		if len(c.OpsAllow) > 0 {
			return errors.New("operator endpoints: hidden from everyone, yet allowed to some")
		}
		return nil
	}
	allow := c.OpsAllow
	if len(allow) == 0 {
		allow = DefaultOpsAllow
	}
	for _, a := range allow {
		if p, err := netip.ParsePrefix(a); err == nil {
			d.OpsAllow = append(d.OpsAllow, p.Masked().String())
		} else if ip, err := netip.ParseAddr(a); err == nil && ip.Zone() == "" {
			d.OpsAllow = append(d.OpsAllow, ip.String())
		} else {
			return fmt.Errorf("operator endpoints: allow %q: want an IP address or a CIDR network", a)
		}
	}
	return nil
}

// checkAddr requires host:port with a numeric port and a host nginx reads
// as one token (an IP address or a DNS name).
func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q: want host:port", a)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q: port must be a number from 1 to 65535", a)
	}
	if host == "" {
		return fmt.Errorf("%q: host is missing", a)
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return fmt.Errorf("%q: host must be an IP address or a DNS name", a)
		}
	}
	return nil
}

// templateData is what confTemplate renders.
type templateData struct {
	Listen            string
	Pool              []string
	Connections       int
	WorkerConnections int
	FileLimit         int
	// Dir is the absolute prefix with a trailing slash, or empty for
	// paths relative to nginx's -p prefix.
	Dir string
	// TLS: files and ciphers (empty: plain HTTP), the redirect's listen
	// address and the ":port" of its https:// URLs (empty for 443).
	TLSCert, TLSKey, TLSCiphers string
	RedirectListen, HTTPSPort   string
	// OpsAllow are the canonical addresses and networks allowed to the
	// operator endpoints; OpsHide answers them 404 instead.
	OpsAllow []string
	OpsHide  bool
}

// confTemplate is the nginx.conf. Addresses are checked before rendering;
// net.JoinHostPort-style IPv6 literals ([::1]:8095) are what nginx expects.
var confTemplate = template.Must(template.New("nginx.conf").Parse(`# nginx in front of a wampgate pool, generated by ` + "`wampgate nginx-config`" + `.
# Every path is under nginx's prefix; run it next to the system's nginx with
#   nginx -p PREFIX -c nginx.conf -e error.log
# (-e keeps nginx's compiled-in error log out of the way until this file is read).
#
# No user directive: a root master starts its workers as nobody, and they
# need no file (the master opens the logs, nothing is buffered to disk).

worker_processes auto;
# Sized for {{.Connections}} WebSocket clients, two descriptors each (client and upstream).
worker_rlimit_nofile {{.FileLimit}};
pid "{{.Dir}}nginx.pid";
error_log "{{.Dir}}error.log" warn;
# A graceful stop (SIGQUIT) would otherwise wait for every WebSocket to end.
worker_shutdown_timeout 10s;

events {
    worker_connections {{.WorkerConnections}};
}

http {
    access_log off;
    client_body_temp_path "{{.Dir}}client_body_temp";
    proxy_temp_path "{{.Dir}}proxy_temp";
    fastcgi_temp_path "{{.Dir}}fastcgi_temp";
    uwsgi_temp_path "{{.Dir}}uwsgi_temp";
    scgi_temp_path "{{.Dir}}scgi_temp";

    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }

    # Connections are long-lived, so balance on open connections, not
    # requests, counted across all workers (the zone). No upstream
    # keepalive: an upgraded connection is never reused.
    upstream wampgate {
        zone wampgate 256k;
        least_conn;
{{- range .Pool}}
        server {{.}};
{{- end}}
    }

    server {
{{- if .TLSCert}}
        listen {{.Listen}} ssl backlog=4096;
        # TLS terminates here; nodes see plain WebSocket. No http2: nginx
        # upgrades WebSockets over HTTP/1.1 only.
        ssl_certificate "{{.TLSCert}}";
        ssl_certificate_key "{{.TLSKey}}";
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers {{.TLSCiphers}};
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:wampgate_tls:10m;
        ssl_session_timeout 1d;
        ssl_session_tickets off;
{{- else}}
        listen {{.Listen}} backlog=4096;
{{- end}}

        # The nodes' operator endpoints (metrics, status page, counters)
        # are not the clients' business: nginx matches the decoded,
        # normalized path, so no spelling gets around this.
        location ~ ^/(metrics|status|status\.json|healthz)/?$ {
{{- if .OpsHide}}
            return 404;
{{- else}}
{{- range .OpsAllow}}
            allow {{.}};
{{- end}}
            deny all;
            proxy_pass http://wampgate;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
            proxy_read_timeout 30s;
{{- end}}
        }

        location / {
            proxy_pass http://wampgate;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
            # Nodes ping silent sessions every 30 s; an hour of silence
            # in both directions means the connection is gone.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_buffering off;
            proxy_request_buffering off;
        }
    }
{{- if .RedirectListen}}

    # Plain HTTP: every request is sent to the same URL over TLS.
    server {
        listen {{.RedirectListen}};
        return 301 https://$host{{.HTTPSPort}}$request_uri;
    }
{{- end}}
}
`))
