// Package broadcast joins wampgate nodes into a cluster: persistent,
// authenticated peer links carry every publication that originated on one
// node to every other node, once and in order, and a relayed publication
// is delivered locally and never relayed again.
//
// The broker reaches the cluster through the small Bus interface, so a
// deployment that outgrows a full mesh can swap the peer links for an
// existing message broker without touching the broker.
package broadcast
