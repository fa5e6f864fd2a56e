// Package natsbus joins wampgate nodes into a cluster through NATS
// (`wampgate run --bus nats`) instead of the peer mesh of package
// broadcast. Bus is a broadcast.Bus for publications and a
// wamp.ClusterLinks for the control traffic (registrations, calls,
// interest), like broadcast.Mesh:
//
//   - publications go to subjects derived from their realm and topic
//     (subject.go), and a node subscribes only to the subjects of its
//     local subscribers' topics and patterns (interest.go), so the NATS
//     server routes by interest;
//   - nodes find each other by heartbeats on a presence subject and open
//     pair sessions, over which the router's control records travel in
//     order on per-node subjects (peers.go, frame.go);
//   - one outgoing queue and one publishing goroutine keep Relay and Send
//     from blocking and keep everything a node sends in one order
//     (outbox.go); every subscription delivers into one channel handled by
//     one goroutine, so a node handles what it receives in arrival order.
//
// The README's "Clusters on NATS" section describes the semantics and
// where they differ from the mesh.
package natsbus
