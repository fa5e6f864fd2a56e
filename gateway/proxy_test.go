package gateway

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// linkProxy forwards TCP connections from its own loopback address to a
// node, so that a pool naming the proxy sends the node's peer links
// through it and a test can stall them and cut them.
type linkProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns map[*net.TCPConn]bool // both ends of every forwarded connection
	gate  chan struct{}         // closed while forwarding; open while paused
	wg    sync.WaitGroup
}

// startProxy listens on a free loopback port and forwards to target
// until the test ends.
func startProxy(t testing.TB, target string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{ln: ln, target: target, conns: map[*net.TCPConn]bool{}, gate: make(chan struct{})}
	close(p.gate)
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's address, for the pool.
func (p *linkProxy) Addr() string { return p.ln.Addr().String() }

func (p *linkProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // the listener closed at the end of the test
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		a, b := c.(*net.TCPConn), up.(*net.TCPConn)
		p.mu.Lock()
		p.conns[a], p.conns[b] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.forward(a, b)
		go p.forward(b, a)
	}
}

// forward copies src to dst, holding each chunk while the proxy is
// paused, until either side fails.
func (p *linkProxy) forward(src, dst *net.TCPConn) {
	defer p.wg.Done()
	defer p.drop(src, dst)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			gate := p.gate
			p.mu.Unlock()
			<-gate // cut() reopens it, so a paused chunk never waits forever
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				_ = dst.CloseWrite()
			}
			return
		}
	}
}

// drop forgets and closes a forwarded pair.
func (p *linkProxy) drop(a, b *net.TCPConn) {
	p.mu.Lock()
	delete(p.conns, a)
	delete(p.conns, b)
	p.mu.Unlock()
	a.Close()
	b.Close()
}

// pause stops forwarding: what the nodes write piles up in the kernel's
// socket buffers and in the proxy, as on a congested network.
func (p *linkProxy) pause() {
	p.mu.Lock()
	select {
	case <-p.gate:
		p.gate = make(chan struct{})
	default:
	}
	p.mu.Unlock()
}

// resume forwards again.
func (p *linkProxy) resume() {
	p.mu.Lock()
	select {
	case <-p.gate:
	default:
		close(p.gate)
	}
	p.mu.Unlock()
}

// cut resets every forwarded connection (SO_LINGER 0: the bytes still in
// flight are discarded, as when a network path fails) and forwards new
// connections again. It returns how many connections it cut.
func (p *linkProxy) cut() int {
	p.mu.Lock()
	conns := make([]*net.TCPConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.SetLinger(0)
		c.Close()
	}
	p.resume()
	return len(conns) / 2
}
