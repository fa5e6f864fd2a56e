//go:build linux

package bench

// track checks the sequence number of an event from publisher pub that c
// received. Publishers number their publications 1, 2, 3, … and every
// path from a publisher to a subscriber (one TCP connection, or one peer
// link and then one) keeps their order, so an event whose number is not
// above the last one c received from the same publisher is a duplicate
// or out of order: either breaks exactly-once, in-order delivery and is
// counted as a repeat. Publishers outside the tracked range are ignored.
func (r *reactor) track(c *conn, seq uint64, pub int) {
	k := pub - r.cfg.TrackBase
	if k < 0 || k >= len(c.lastSeq) {
		return
	}
	if seq <= c.lastSeq[k] {
		r.repeats++
		return
	}
	c.lastSeq[k] = seq
}
