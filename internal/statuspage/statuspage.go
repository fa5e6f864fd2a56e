// Package statuspage holds the node's status page: one HTML file with
// its style and script inline (no external asset), embedded in the
// binary. The script fetches status.json by a relative URL every few
// seconds, so the page works at /status on the node and under any path
// prefix a proxy puts in front of it.
package statuspage

import _ "embed"

// HTML is the page served at /status.
//
//go:embed status.html
var HTML []byte
