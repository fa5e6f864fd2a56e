package hooks

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Policy is what a hook failure (timeout, connection refused, a status
// other than 200, an answer that is not the contract's) does.
type Policy uint8

const (
	// Deny refuses the operation with wamp.error.hook_failed.
	Deny Policy = iota
	// Allow lets the operation proceed as if the hook accepted it.
	Allow
)

// String is the policy's flag value, "deny" or "allow".
func (p Policy) String() string {
	if p == Allow {
		return "allow"
	}
	return "deny"
}

// ParsePolicy reads "deny" or "allow".
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "deny":
		return Deny, nil
	case "allow":
		return Allow, nil
	}
	return Deny, fmt.Errorf("hook failure policy %q: want deny or allow", s)
}

// Defaults of Config.
const (
	DefaultTimeout     = 2 * time.Second
	DefaultConcurrency = 256
	// queueFactor times Concurrency requests may wait for a slot.
	queueFactor = 64
)

// Config says where the application is and which operations it decides.
type Config struct {
	// URL is the application's base URL, http:// only; the paths
	// /connect, /subscribe, /publish and /call are appended.
	URL string
	// Connect sends every new session to URL/connect.
	Connect bool
	// Subscribe, Publish and Call list the URI prefixes whose operations
	// go to the application; "*" is every URI.
	Subscribe, Publish, Call []string
	// Timeout bounds one request (0: DefaultTimeout).
	Timeout time.Duration
	// Concurrency bounds the requests in flight (0: DefaultConcurrency).
	Concurrency int
	// Failure is the failure policy.
	Failure Policy
}

// Enabled reports whether a hook URL is configured.
func (c *Config) Enabled() bool { return c.URL != "" }

// Any reports whether any operation goes to the application.
func (c *Config) Any() bool {
	return c.Connect || len(c.Subscribe)+len(c.Publish)+len(c.Call) > 0
}

// ErrNoURL is returned by Check for hook options without a URL.
var ErrNoURL = errors.New("hook options given without a hook URL")

// Check validates c and fills in the defaults.
func (c *Config) Check() error {
	if c.URL == "" {
		if c.Any() {
			return ErrNoURL
		}
		return nil
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("hook URL: %w", err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("hook URL %q: want http://host[:port][/path]", Redact(c.URL))
	}
	if c.Timeout < 0 || c.Concurrency < 0 {
		return fmt.Errorf("hook timeout %v and concurrency %d must not be negative", c.Timeout, c.Concurrency)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	for _, list := range [][]string{c.Subscribe, c.Publish, c.Call} {
		for _, p := range list {
			if p == "" {
				return errors.New("hook prefix lists must not hold an empty prefix")
			}
		}
	}
	return nil
}

// SplitList reads a comma-separated prefix list, dropping spaces and
// empty items.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Redact is rawURL without its user information (for logs).
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}
