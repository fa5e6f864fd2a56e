package natsbus

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Defaults of Config.
const (
	DefaultSubjectPrefix     = "wampgate"
	DefaultHeartbeat         = time.Second
	DefaultPeerTimeout       = 5 * time.Second
	DefaultReconnectWait     = 500 * time.Millisecond
	DefaultQueueLimit        = 65536
	DefaultQueueBytes        = 64 << 20
	DefaultReceiveQueue      = 65536
	DefaultReconnectBufBytes = 8 << 20
)

// Config is a node's connection to a NATS cluster and its place among
// the nodes that share the subject prefix.
type Config struct {
	// Node is this node's name among them (its client address by
	// default); every node needs its own.
	Node string
	// Slot is this node's session id slot (gateway.Config.NodeSlot):
	// heartbeats carry it, and a node that sees another with its own
	// slot refuses to join it (session ids would collide across nodes).
	Slot int
	// URLs are the NATS servers ("nats://127.0.0.1:4222"), tried in
	// turn; the client learns the others of a NATS cluster from them.
	URLs []string
	// Creds is a NATS credentials file (user JWT and NKey seed); Token an
	// authentication token. At most one.
	Creds string
	Token string
	// TLSCA verifies the server's certificate (PEM file); TLSCert and
	// TLSKey, together, are this node's client certificate. Any of them
	// turns TLS on.
	TLSCA, TLSCert, TLSKey string
	// SubjectPrefix starts every subject the bus uses (default
	// "wampgate"): nodes with the same prefix on the same NATS account
	// are one cluster.
	SubjectPrefix string
	// Heartbeat is how often the node announces itself; PeerTimeout how
	// long a peer may stay silent before it is down (its registrations
	// go, calls to it fail).
	Heartbeat, PeerTimeout time.Duration
	// ReconnectWait is the pause between reconnection attempts to the
	// NATS servers (forever: the node never gives up).
	ReconnectWait time.Duration
	// ReconnectBufBytes is what the client library keeps of outgoing
	// messages while disconnected (nats.go's reconnect buffer); beyond
	// it they are dropped and counted.
	ReconnectBufBytes int
	// QueueLimit and QueueBytes bound the outgoing queue between the
	// router and the NATS connection; when full, new messages are
	// dropped and counted.
	QueueLimit, QueueBytes int
	// ReceiveQueue bounds the messages received and not yet handled;
	// beyond it the client library drops them (slow consumer), counted.
	ReceiveQueue int
	// Logger receives the bus's logs (nil: slog.Default()).
	Logger *slog.Logger
}

// Validate checks c.
func (c Config) Validate() error {
	if c.Node == "" {
		return errors.New("nats bus: no node name")
	}
	if len(c.URLs) == 0 {
		return errors.New("nats bus: no server URL")
	}
	for _, u := range c.URLs {
		if u == "" || strings.ContainsAny(u, ", \t") {
			return fmt.Errorf("nats bus: server URL %q", u)
		}
	}
	if c.Creds != "" && c.Token != "" {
		return errors.New("nats bus: both a credentials file and a token: give one")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("nats bus: a TLS client certificate needs both the certificate and the key")
	}
	if c.Slot < 0 || c.Slot > 1023 {
		return fmt.Errorf("nats bus: node slot %d out of [0, 1023]", c.Slot)
	}
	if c.SubjectPrefix != "" {
		if err := checkPrefix(c.SubjectPrefix); err != nil {
			return fmt.Errorf("nats bus: %w", err)
		}
	}
	if c.Heartbeat < 0 || c.PeerTimeout < 0 || c.ReconnectWait < 0 || c.QueueLimit < 0 || c.QueueBytes < 0 || c.ReceiveQueue < 0 || c.ReconnectBufBytes < 0 {
		return errors.New("nats bus: negative limit or interval")
	}
	return nil
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.PeerTimeout == 0 {
		c.PeerTimeout = max(DefaultPeerTimeout, 3*c.Heartbeat)
	}
	if c.ReconnectWait == 0 {
		c.ReconnectWait = DefaultReconnectWait
	}
	if c.ReconnectBufBytes == 0 {
		c.ReconnectBufBytes = DefaultReconnectBufBytes
	}
	if c.QueueLimit == 0 {
		c.QueueLimit = DefaultQueueLimit
	}
	if c.QueueBytes == 0 {
		c.QueueBytes = DefaultQueueBytes
	}
	if c.ReceiveQueue == 0 {
		c.ReceiveQueue = DefaultReceiveQueue
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// options are the nats.go options of c, without the handlers (New adds
// them).
func (c Config) options() []nats.Option {
	opts := []nats.Option{
		nats.Name("wampgate " + c.Node),
		nats.NoEcho(), // a node never receives what it published
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(c.ReconnectWait),
		nats.ReconnectBufSize(c.ReconnectBufBytes),
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token))
	}
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if c.TLSCert != "" {
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	if c.TLSCA != "" || c.TLSCert != "" {
		opts = append(opts, nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	return opts
}
