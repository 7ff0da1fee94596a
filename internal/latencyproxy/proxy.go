// Package latencyproxy is a TCP proxy on loopback that delays every byte by a fixed time
// in each direction, like a long network path of unlimited bandwidth. It is a test and
// benchmark tool: a 10 ms round trip is a proxy with a 5 ms one-way delay.
//
// Each chunk read from one side is written to the other side the delay after it was read,
// in order. Chunks are not held back by one another: a chunk read 1 ms after the previous
// one leaves 1 ms after it, so pipelined traffic pays the delay once, not once per chunk.
package latencyproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// queueLen is how many chunks may wait in one direction before reading pauses.
const queueLen = 4096

// chunkSize is the largest read.
const chunkSize = 64 << 10

// Proxy forwards the connections it accepts to a target address, delayed.
type Proxy struct {
	ln     net.Listener
	target string
	delay  time.Duration

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on a free loopback port and forwards each connection to target, adding
// oneWay to each direction.
func Start(target string, oneWay time.Duration) (*Proxy, error) {
	if oneWay < 0 {
		return nil, fmt.Errorf("latencyproxy: negative delay %v", oneWay)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, delay: oneWay, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the address clients connect to, as host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Delay returns the one-way delay.
func (p *Proxy) Delay() time.Duration { return p.delay }

// Close stops accepting, closes every open connection and waits for them to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

// accept serves every connection until the listener is closed.
func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(client)
	}
}

// serve connects to the target and forwards both ways until both directions have ended.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		return
	}
	var dirs sync.WaitGroup
	dirs.Add(2)
	go p.forward(client, server, &dirs)
	go p.forward(server, client, &dirs)
	dirs.Wait()
	p.untrack(client, server)
}

// track registers the pair for Close; it closes them and reports false if the proxy is
// already closed.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

// untrack closes the pair and forgets it.
func (p *Proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

// chunk is data read at a time, or the end of the direction (data nil) with its error.
type chunk struct {
	data []byte
	read time.Time
	err  error
}

// forward copies src to dst, each chunk the delay after it was read. At src's end of
// file it half-closes dst the delay later; on an error it closes both.
func (p *Proxy) forward(src, dst net.Conn, done *sync.WaitGroup) {
	defer done.Done()
	queue := make(chan chunk, queueLen)
	go read(src, queue)
	failed := false
	for ch := range queue { // after a failure, drains the queue until read sees it too
		if failed {
			continue
		}
		p.wait(ch.read)
		if ch.data == nil {
			failed = p.end(src, dst, ch.err)
		} else if _, err := dst.Write(ch.data); err != nil {
			failed = true
			src.Close()
			dst.Close()
		}
	}
}

// read sends src's chunks to queue, then its end, and closes queue.
func read(src net.Conn, queue chan<- chunk) {
	defer close(queue)
	buf := make([]byte, chunkSize)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			queue <- chunk{data: append([]byte(nil), buf[:n]...), read: time.Now()}
		}
		if err != nil {
			queue <- chunk{read: time.Now(), err: err}
			return
		}
	}
}

// wait sleeps until the delay has passed since t.
func (p *Proxy) wait(t time.Time) {
	if d := time.Until(t.Add(p.delay)); d > 0 {
		time.Sleep(d)
	}
}

// end passes on the end of src: a half-close of dst at end of file, else closing both.
// It reports whether the pair failed.
func (p *Proxy) end(src, dst net.Conn, err error) bool {
	if errors.Is(err, io.EOF) {
		if hc, ok := dst.(interface{ CloseWrite() error }); ok && hc.CloseWrite() == nil {
			return false
		}
	}
	src.Close()
	dst.Close()
	return true
}
