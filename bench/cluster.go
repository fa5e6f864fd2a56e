//go:build linux

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/wampgate/wampgate/bench/latency"
	"github.com/wampgate/wampgate/bench/procstat"
)

// ClusterOptions configures RunCluster. The embedded FanoutOptions keep
// their meaning and defaults (Topic defaults to "bench/cluster"), except
// that Subs is the total over all nodes and Common.URL and
// Common.ServerPID are replaced by URLs and ServerPIDs.
type ClusterOptions struct {
	FanoutOptions
	// URLs has one ws:// URL per node; publishers connect to the first.
	URLs []string
	// ServerPIDs has the server process of each URL, for its CPU time;
	// missing or 0: the process listening on the URL's port.
	ServerPIDs []int
	// BrokerPIDs are processes that carry the traffic between the nodes
	// (a nats-server for --bus nats): their CPU time over the measured
	// phase counts as server CPU too.
	BrokerPIDs []int
}

// clusterNode is one node of a run as RunCluster tracks it.
type clusterNode struct {
	target  target
	srv     server
	subs    int   // subscribers asked for
	workers []int // worker indexes (board slots) of its subscribers
}

// RunCluster measures a cluster: opts.Subs subscribers spread evenly over
// the nodes of opts.URLs (each worker process connects to one node),
// opts.Pubs publishers on the first node. After a warm-up event reached
// the subscribers (through the peer links, for the other nodes), the
// publishers publish for opts.Duration, with the window counting every
// subscriber, so a slow relay slows the publishers rather than piling up.
// Every subscriber checks each event's sequence number, so duplicates
// are counted apart from losses. The result has deliveries, latency and
// server CPU per node, latency local versus relayed, and the peer links'
// counters from /healthz.
func RunCluster(ctx context.Context, opts ClusterOptions) (*ClusterResult, error) {
	if len(opts.URLs) == 0 {
		return nil, fmt.Errorf("cluster: no node URL")
	}
	if opts.Topic == "" {
		opts.Topic = "bench/cluster"
	}
	opts.URL = opts.URLs[0]
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	nodes, err := opts.plan()
	if err != nil {
		return nil, err
	}
	nWorkers := 1
	for _, n := range nodes {
		nWorkers += len(n.workers)
	}
	pubW := nWorkers - 1 // the publishers' worker comes last
	ips, err := sourceIPs(opts.SourceBase, 0, nWorkers)
	if err != nil {
		return nil, err
	}
	res := &ClusterResult{Mode: "cluster", Label: opts.Label, URLs: opts.URLs, Topic: opts.Topic,
		TargetSubscribers: opts.Subs, Workers: nWorkers, EventBytes: opts.Size,
		RateTarget: opts.Rate, Window: opts.Window, Batch: opts.Batch}

	p, err := startPool(nWorkers, opts.WorkerCommand, opts.WorkerEnv, opts.Log)
	if err != nil {
		return nil, err
	}
	defer p.close()
	lifetime := opts.ConnectTimeout + opts.Duration + opts.Drain + 3*time.Minute

	// Setup: every subscriber worker on its node, the publishers on the
	// first; subscribers track the publishers' sequence numbers.
	nodeOf := make([]int, nWorkers)
	for k, n := range nodes {
		for _, w := range n.workers {
			nodeOf[w] = k
		}
	}
	opts.logf("cluster: opening %d subscribers on %d node(s) in %d worker(s), %d publisher(s) on %s",
		opts.Subs, len(nodes), nWorkers-1, opts.Pubs, opts.URLs[0])
	ready, err := p.callAll(ctx, p.all(), func(i int) request {
		if i == pubW {
			return opts.setupFor(nodes[0].target, i, ips[i:i+1], opts.Topic, 0, opts.Pubs, lifetime)
		}
		n := nodes[nodeOf[i]]
		req := opts.setupFor(n.target, i, ips[i:i+1], opts.Topic, share(n.subs, len(n.workers), slices.Index(n.workers, i)), 0, lifetime)
		req.Setup.TrackBase, req.Setup.TrackPublishers = pubW*100, opts.Pubs
		return req
	}, opts.ConnectTimeout+15*time.Second)
	if err != nil {
		return nil, err
	}
	established := make([]int, len(nodes))
	for i, r := range ready {
		if i == pubW {
			res.Publishers = r.Ready.Publishers
		} else {
			established[nodeOf[i]] += r.Ready.Subscribers
			res.Subscribers += r.Ready.Subscribers
		}
		res.Failed += r.Ready.Failed
		res.Failures = mergeCounts(res.Failures, r.Ready.Failures)
	}
	opts.logf("cluster: %d subscribers %v and %d publishers established, %d failed", res.Subscribers, established, res.Publishers, res.Failed)
	if res.Subscribers == 0 || res.Publishers == 0 {
		return res, errNoSessions
	}
	subSlots := p.all()[:pubW]
	if res.WarmedUp, err = warmUp(ctx, p, pubW, subSlots, res.Subscribers, opts.Size, opts.logf); err != nil {
		return nil, err
	}
	if res.WarmedUp == 0 {
		return res, fmt.Errorf("no subscriber received the warm-up event")
	}
	if _, err := p.callAll(ctx, p.all(), func(int) request { return request{Op: opReset} }, 10*time.Second); err != nil {
		return nil, err
	}

	// Measure.
	opts.logf("cluster: publishing for %v to %d subscribers (%d warmed up)", opts.Duration, res.Subscribers, res.WarmedUp)
	health0 := make([]json.RawMessage, len(nodes))
	s0 := make([]procstat.Sample, len(nodes))
	for k, n := range nodes {
		health0[k] = healthz(n.target)
		s0[k] = n.srv.sample()
	}
	b0 := make([]procstat.Sample, len(opts.BrokerPIDs))
	for k, pid := range opts.BrokerPIDs {
		b0[k] = server{pid: pid, log: opts.logf}.sample()
	}
	c0 := p.cpuSeconds()
	t0 := time.Now()
	// The window counts the subscribers the warm-up reached: a node the
	// events cannot reach (no link) must not stall the publishers.
	pubResp, err := p.call(ctx, pubW, request{Op: opPublish, Publish: &publishParams{
		Duration:    opts.Duration,
		Rate:        opts.Rate,
		Window:      opts.Window,
		Batch:       opts.Batch,
		Subscribers: res.WarmedUp,
		SubSlots:    subSlots,
		Size:        opts.Size,
	}}, opts.Duration+30*time.Second)
	if err != nil {
		return nil, err
	}
	pr := pubResp.Published
	res.Published, res.PublishSeconds = pr.Sent, pr.Seconds
	res.WindowWaits, res.Late, res.PublishError = pr.WindowWaits, pr.Late, pr.Err
	if pr.Seconds > 0 {
		res.PublishRate = float64(pr.Sent) / pr.Seconds
	}
	_, t1, err := drain(ctx, p, subSlots, res.Published*uint64(res.Subscribers), opts.Drain)
	if err != nil {
		return nil, err
	}
	res.ClientCPUSeconds = p.cpuSeconds() - c0
	res.MeasureSeconds = t1.Sub(t0).Seconds()
	for k, pid := range opts.BrokerPIDs {
		res.BrokerCPUSeconds += cpuBetween(b0[k], server{pid: pid, log: opts.logf}.sample())
	}
	res.ServerCPUSeconds += res.BrokerCPUSeconds
	res.Nodes = make([]ClusterNode, len(nodes))
	counted := map[int]bool{} // a process serving several URLs counts once
	for k, n := range nodes {
		s1 := n.srv.sample()
		node := &res.Nodes[k]
		*node = ClusterNode{URL: n.target.URL, Publisher: k == 0, Workers: len(n.workers),
			Subscribers: established[k], PID: n.srv.pid, RSSAfterKiB: s1.RSSKiB}
		if n.srv.pid != 0 {
			node.CPUSeconds = cpuBetween(s0[k], s1)
			if !counted[n.srv.pid] {
				counted[n.srv.pid] = true
				res.ServerCPUSeconds += node.CPUSeconds
			}
		}
		links, ok := linksBetween(health0[k], healthz(n.target), res.PublishSeconds)
		if ok {
			res.Links = append(res.Links, links...)
		}
	}

	reports, err := p.callAll(ctx, p.all(), func(int) request { return request{Op: opReport} }, 10*time.Second)
	if err != nil {
		return nil, err
	}
	res.summarize(reports, nodeOf, pubW)
	return res, nil
}

// plan checks the URLs and PIDs and assigns subscribers and worker
// processes to the nodes: subscribers evenly, the first nodes taking the
// remainder; at least one worker per node, each at most PerWorker
// subscribers.
func (o *ClusterOptions) plan() ([]clusterNode, error) {
	if len(o.ServerPIDs) > len(o.URLs) {
		return nil, fmt.Errorf("cluster: %d server PIDs for %d URLs", len(o.ServerPIDs), len(o.URLs))
	}
	if o.Subs < len(o.URLs) {
		return nil, fmt.Errorf("cluster: %d subscribers cannot cover %d nodes", o.Subs, len(o.URLs))
	}
	nodes := make([]clusterNode, len(o.URLs))
	w := 0
	for k, u := range o.URLs {
		t, err := parseTarget(u)
		if err != nil {
			return nil, fmt.Errorf("cluster node %d: %w", k, err)
		}
		c := o.Common
		c.URL, c.ServerPID = u, 0
		if k < len(o.ServerPIDs) {
			c.ServerPID = o.ServerPIDs[k]
		}
		n := &nodes[k]
		n.target, n.srv = t, findServer(&c, t)
		n.subs = share(o.Subs, len(o.URLs), k)
		for range ceilDiv(n.subs, o.PerWorker) {
			n.workers = append(n.workers, w)
			w++
		}
	}
	if w+1 > maxWorkers {
		return nil, fmt.Errorf("cluster: %d worker processes needed, at most %d", w+1, maxWorkers)
	}
	return nodes, nil
}

// summarize fills in deliveries and latency, per node and in all, from
// the workers' reports.
func (r *ClusterResult) summarize(reports []response, nodeOf []int, pubW int) {
	type acc struct {
		received, repeats uint64
		lat               latency.Histogram
	}
	per := make([]acc, len(r.Nodes))
	var all, relayed latency.Histogram
	for i, resp := range reports {
		rep := resp.Report
		r.Disconnects = mergeCounts(r.Disconnects, rep.Disconnects)
		r.Foreign += rep.Foreign
		if i == pubW {
			continue
		}
		a := &per[nodeOf[i]]
		a.received += rep.Received
		a.repeats += rep.Repeats
		a.lat.MergeSnapshot(rep.Latency)
		all.MergeSnapshot(rep.Latency)
		if nodeOf[i] != 0 {
			relayed.MergeSnapshot(rep.Latency)
		}
	}
	for _, n := range r.Disconnects {
		r.Disconnected += n
	}
	var received, repeats uint64
	for k := range r.Nodes {
		n, a := &r.Nodes[k], &per[k]
		n.Deliveries = newDeliveryCount(r.Published*uint64(n.Subscribers), a.received, a.repeats)
		n.Latency = a.lat.Summary()
		if r.MeasureSeconds > 0 {
			n.DeliveriesPerSec = float64(a.received) / r.MeasureSeconds
		}
		received += a.received
		repeats += a.repeats
	}
	r.Deliveries = newDeliveryCount(r.Published*uint64(r.Subscribers), received, repeats)
	if r.MeasureSeconds > 0 {
		r.DeliveriesPerSec = float64(received) / r.MeasureSeconds
	}
	r.Latency, r.Local, r.Relayed = all.Summary(), r.Nodes[0].Latency, relayed.Summary()
	if r.Local.Count > 0 && r.Relayed.Count > 0 {
		r.RelayAddedP99Ms = r.Relayed.P99Ms - r.Local.P99Ms
	}
	if r.ServerCPUSeconds > 0 && received > 0 {
		r.DeliveriesPerCPUSec = float64(received) / r.ServerCPUSeconds
		r.ServerCPUMicrosPerDelivery = r.ServerCPUSeconds * 1e6 / float64(received)
	}
	for _, l := range r.Links {
		r.MaxLinkEventsPerSec = max(r.MaxLinkEventsPerSec, l.EventsPerSec)
	}
	if len(r.Links) == 0 {
		r.LinksNote = "unavailable: no node's /healthz has a \"cluster\" object with links"
	}
}

// share is part k of total split into n parts as evenly as possible, the
// first parts taking the remainder.
func share(total, n, k int) int {
	s := total / n
	if k < total%n {
		s++
	}
	return s
}
