package netpoll

import "sync"

// pool is the bounded worker pool. Connections wait in two intrusive FIFO
// queues (no allocation, at most one entry per connection and queue): one
// for sockets that became readable and one for connections with queued
// outbound bytes. Flushes go first, which drains memory before reading more
// input, but a read is taken at least every maxFlushStreak tasks so
// publishers are never starved.
type pool struct {
	mu          sync.Mutex
	cond        sync.Cond
	readHead    *Conn
	readTail    *Conn
	flushHead   *Conn
	flushTail   *Conn
	flushStreak int
	closed      bool
	wg          sync.WaitGroup
}

const maxFlushStreak = 64

type taskKind uint8

const (
	taskRead taskKind = iota
	taskFlush
)

func newPool(workers, readBuf int, srv *Server) *pool {
	p := &pool{}
	p.cond.L = &p.mu
	p.wg.Add(workers)
	for i := 0; i < workers; i++ {
		w := newWorker(readBuf, srv)
		go func() {
			defer p.wg.Done()
			p.run(w)
		}()
	}
	return p
}

// scheduleRead queues c for a read pass.
func (p *pool) scheduleRead(c *Conn) {
	p.mu.Lock()
	if c.inReadQ {
		p.mu.Unlock()
		return
	}
	c.inReadQ = true
	if p.readTail == nil {
		p.readHead = c
	} else {
		p.readTail.nextRead = c
	}
	p.readTail = c
	p.mu.Unlock()
	p.cond.Signal()
}

// scheduleFlush queues c for a flush.
func (p *pool) scheduleFlush(c *Conn) {
	p.mu.Lock()
	if c.inFlushQ {
		p.mu.Unlock()
		return
	}
	c.inFlushQ = true
	if p.flushTail == nil {
		p.flushHead = c
	} else {
		p.flushTail.nextFlush = c
	}
	p.flushTail = c
	p.mu.Unlock()
	p.cond.Signal()
}

// next blocks until there is a task or the pool is closed.
func (p *pool) next() (*Conn, taskKind, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.readHead == nil && p.flushHead == nil {
		if p.closed {
			return nil, 0, false
		}
		p.cond.Wait()
	}
	if p.flushHead != nil && (p.readHead == nil || p.flushStreak < maxFlushStreak) {
		p.flushStreak++
		c := p.flushHead
		p.flushHead = c.nextFlush
		if p.flushHead == nil {
			p.flushTail = nil
		}
		c.nextFlush = nil
		c.inFlushQ = false
		return c, taskFlush, true
	}
	p.flushStreak = 0
	c := p.readHead
	p.readHead = c.nextRead
	if p.readHead == nil {
		p.readTail = nil
	}
	c.nextRead = nil
	c.inReadQ = false
	return c, taskRead, true
}

func (p *pool) run(w *worker) {
	for {
		c, kind, ok := p.next()
		if !ok {
			return
		}
		if kind == taskRead {
			c.readPass(w)
		} else {
			c.flush(w)
		}
	}
}

// close stops the workers once the queues are empty and waits for them.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Broadcast()
	p.wg.Wait()
}
