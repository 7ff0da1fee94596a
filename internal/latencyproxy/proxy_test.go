package latencyproxy

import (
	"bytes"
	"io"
	"math/rand"
	"net"
	"testing"
	"time"
)

// echoServer listens on loopback and echoes every connection until its end of file, then
// closes it. It is stopped when the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func startProxy(t *testing.T, target string, oneWay time.Duration) *Proxy {
	t.Helper()
	p, err := Start(target, oneWay)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c.(*net.TCPConn)
}

// roundTrip writes a byte and returns how long its echo took.
func roundTrip(t *testing.T, c net.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := c.Write([]byte{'x'}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

func TestRoundTripIsTwiceTheDelay(t *testing.T) {
	const oneWay = 10 * time.Millisecond
	c := dial(t, startProxy(t, echoServer(t), oneWay).Addr())
	for range 5 {
		rtt := roundTrip(t, c)
		if rtt < 2*oneWay || rtt > 2*oneWay+15*time.Millisecond {
			t.Errorf("round trip %v, want about %v", rtt, 2*oneWay)
		}
	}
}

func TestZeroDelay(t *testing.T) {
	c := dial(t, startProxy(t, echoServer(t), 0).Addr())
	if rtt := roundTrip(t, c); rtt > 10*time.Millisecond {
		t.Errorf("round trip %v without delay", rtt)
	}
}

func TestNegativeDelay(t *testing.T) {
	if _, err := Start(echoServer(t), -time.Millisecond); err == nil {
		t.Error("Start accepted a negative delay")
	}
}

// TestOrderPreserved sends many writes of random sizes and checks that the echo is the same
// bytes in the same order.
func TestOrderPreserved(t *testing.T) {
	c := dial(t, startProxy(t, echoServer(t), time.Millisecond).Addr())
	rng := rand.New(rand.NewSource(1))
	var sent bytes.Buffer
	for range 200 {
		b := make([]byte, 1+rng.Intn(3000))
		rng.Read(b)
		sent.Write(b)
	}
	go func() {
		data := sent.Bytes()
		for len(data) > 0 {
			n := min(len(data), 1+rng.Intn(5000))
			c.Write(data[:n])
			data = data[n:]
		}
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sent.Bytes()) {
		t.Fatalf("echo differs: got %d bytes, sent %d", len(got), sent.Len())
	}
}

// TestChunksAreNotDelayedByOneAnother writes ten chunks a few milliseconds apart: each must
// arrive the delay after it was sent, so the last arrives about delay + 9 gaps after the
// first was sent, not ten delays later.
func TestChunksAreNotDelayedByOneAnother(t *testing.T) {
	const oneWay, gap = 20 * time.Millisecond, 3 * time.Millisecond
	c := dial(t, startProxy(t, echoServer(t), oneWay).Addr())
	start := time.Now()
	go func() {
		for range 10 {
			c.Write([]byte{'x'})
			time.Sleep(gap)
		}
	}()
	if _, err := io.ReadFull(c, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	want := 2*oneWay + 9*gap
	if got := time.Since(start); got < want || got > want+30*time.Millisecond {
		t.Errorf("ten chunks took %v, want about %v", got, want)
	}
}

// TestHalfClose checks that a client's end of file reaches the server, which can still
// answer, and that the server's close then reaches the client.
func TestHalfClose(t *testing.T) {
	c := dial(t, startProxy(t, echoServer(t), 2*time.Millisecond).Addr())
	if _, err := c.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "bye" {
		t.Errorf("after half-close read %q, %v; want \"bye\"", got, err)
	}
}

func TestCloseEndsConnections(t *testing.T) {
	p, err := Start(echoServer(t), time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p.Addr())
	roundTrip(t, c)
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the connection is still open after Close")
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("the proxy still accepts after Close")
	}
}

func TestUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := ln.Addr().String()
	ln.Close()
	c := dial(t, startProxy(t, target, 0).Addr())
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("read succeeded through a proxy whose target refuses connections")
	}
}
