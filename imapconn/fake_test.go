package imapconn

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"
)

// fake plays a transcript against a client: "S: " lines are sent (CRLF added; consecutive
// ones in a single write), "C: " lines must be what the client sends next, byte for byte;
// "close" hangs up.
type fake struct {
	t    *testing.T
	conn net.Conn
	done chan struct{}
}

// startFake returns a client talking to a fake server that plays script, which starts
// with the greeting.
func startFake(t *testing.T, script string, opts Options) (*Client, *fake) {
	t.Helper()
	clientEnd, serverEnd := net.Pipe()
	f := &fake{t: t, conn: serverEnd, done: make(chan struct{})}
	go f.play(script)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := NewClient(ctx, clientEnd, "fake", opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close(); f.wait() })
	return c, f
}

func (f *fake) play(script string) {
	defer close(f.done)
	r := bufio.NewReader(f.conn)
	var out []byte
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimLeft(line, "\t")
		if rest, ok := strings.CutPrefix(line, "S: "); ok {
			out = append(out, rest+"\r\n"...)
			continue
		}
		if len(out) > 0 {
			if _, err := f.conn.Write(out); err != nil {
				f.t.Errorf("fake server: writing %q: %v", out, err)
				return
			}
			out = nil
		}
		switch {
		case strings.HasPrefix(line, "C: "):
			got, err := r.ReadString('\n')
			if want := line[3:] + "\r\n"; got != want {
				f.t.Errorf("fake server: client sent %q (%v), want %q", got, err, want)
				f.conn.Close()
				return
			}
		case line == "close":
			f.conn.Close()
			return
		default:
			f.t.Errorf("fake server: bad script line %q", line)
		}
	}
	if len(out) > 0 {
		_, _ = f.conn.Write(out) // the client may have hung up; its test checks what it got
	}
}

// wait waits until the script has been played.
func (f *fake) wait() {
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
		f.t.Error("fake server: script not finished after 5s")
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// pipeWith returns a client end whose server end sends data and then stays open.
func pipeWith(t *testing.T, data string) net.Conn {
	clientEnd, serverEnd := net.Pipe()
	go func() { _, _ = serverEnd.Write([]byte(data)) }() // a failed write shows in the client's error
	t.Cleanup(func() { serverEnd.Close() })
	return clientEnd
}
