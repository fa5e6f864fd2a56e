package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// peerInterests reads, from a node's /healthz, the topics and patterns
// each peer described (peer_interests), by peer address; nil when the
// node does not answer.
func peerInterests(addr string) map[string]float64 {
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var h struct {
		Cluster *struct {
			Links []struct {
				Peer      string  `json:"peer"`
				Interests float64 `json:"peer_interests"`
			} `json:"links"`
		} `json:"cluster"`
	}
	if json.NewDecoder(resp.Body).Decode(&h) != nil || h.Cluster == nil {
		return nil
	}
	m := make(map[string]float64)
	for _, l := range h.Cluster.Links {
		m[l.Peer] = l.Interests
	}
	return m
}

// waitPeerInterest waits until node from knows of at least one topic
// subscribed on each of the nodes to: a v1 subscriber there (no
// SUBSCRIBED) then gets what is published on from.
func waitPeerInterest(t *testing.T, from *nodeProcess, to ...*nodeProcess) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, n := range to {
		for peerInterests(from.addr)[n.addr] < 1 {
			if time.Now().After(deadline) {
				t.Fatalf("node %s does not know the subscriptions of %s: %v", from.addr, n.addr, peerInterests(from.addr))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
