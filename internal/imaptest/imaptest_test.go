package imaptest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// client sends lines on conn and reads what comes back.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func newClient(t *testing.T, conn net.Conn) *client {
	t.Helper()
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) expect(want string) {
	c.t.Helper()
	got, err := c.r.ReadString('\n')
	if got != want+"\r\n" {
		c.t.Fatalf("read %q (%v), want %q", got, err, want)
	}
}

func TestListen(t *testing.T) {
	srv := Listen(t, "* OK hello", func(cmd string) []string {
		switch cmd {
		case "NOOP":
			return []string{"* 1 EXISTS", "TAG OK NOOP, says TAG"}
		case "IDLE":
			return nil
		case "DROP":
			return []string{"* BYE going", HangUp, "TAG OK never sent"}
		}
		return OK(cmd)
	})
	for range 2 {
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, conn)
		c.expect("* OK hello")
		c.send("a1 NOOP")
		c.expect("* 1 EXISTS")
		c.expect("a1 OK NOOP, says a1")
		c.send("a2 IDLE")
		c.send("a3 LOGOUT")
		c.expect("* BYE bye")
		c.expect("a3 OK done")
		c.send("a4 DROP")
		c.expect("* BYE going")
		if line, err := c.r.ReadString('\n'); !errors.Is(err, io.EOF) {
			t.Errorf("after the hang-up: read %q, %v; want end of file", line, err)
		}
	}
	cmds := []string{"NOOP", "IDLE", "LOGOUT", "DROP"}
	if got, want := srv.Commands(), slices.Concat(cmds, cmds); !slices.Equal(got, want) {
		t.Errorf("Commands() = %q, want %q", got, want)
	}
	lines := []string{Connected, "a1 NOOP", "a2 IDLE", "a3 LOGOUT", "a4 DROP"}
	if got, want := srv.Transcript(), slices.Concat(lines, lines); !slices.Equal(got, want) {
		t.Errorf("Transcript() = %q, want %q", got, want)
	}
}

func TestPipe(t *testing.T) {
	conn, srv := Pipe(t, "* PREAUTH ready", OK)
	c := newClient(t, conn)
	c.expect("* PREAUTH ready")
	c.send("x CAPABILITY")
	c.expect("x OK done")
	if got := srv.Commands(); !slices.Equal(got, []string{"CAPABILITY"}) {
		t.Errorf("Commands() = %q", got)
	}
	if srv.Addr() != "pipe" {
		t.Errorf("Addr() = %q, want pipe", srv.Addr())
	}
}

// TestStop: the server hangs up on its clients when the test ends.
func TestStop(t *testing.T) {
	var c *client
	t.Run("server", func(t *testing.T) {
		srv := Listen(t, "* OK hello", OK)
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c = &client{t: t, conn: conn, r: bufio.NewReader(conn)}
		c.expect("* OK hello")
	})
	defer c.conn.Close()
	_ = c.conn.SetDeadline(time.Now().Add(5 * time.Second))
	if rest, err := io.ReadAll(c.r); len(rest) != 0 || err != nil {
		t.Errorf("read %q, %v; want end of file", rest, err)
	}
}

// TestIdleClient: a client that sends nothing is hung up on after the idle time.
func TestIdleClient(t *testing.T) {
	old := idle
	t.Cleanup(func() { idle = old }) // runs after the server has stopped
	idle = 100 * time.Millisecond
	conn, _ := Pipe(t, "* OK hello", OK)
	c := newClient(t, conn)
	c.expect("* OK hello")
	start := time.Now()
	if line, err := c.r.ReadString('\n'); !errors.Is(err, io.EOF) || time.Since(start) < idle/2 {
		t.Errorf("after %v: read %q, %v; want end of file after %v", time.Since(start), line, err, idle)
	}
}

// TestAnswersAreSerialized: answer is not called concurrently, whatever the connections.
func TestAnswersAreSerialized(t *testing.T) {
	inside := 0
	srv := Listen(t, "* OK hello", func(cmd string) []string {
		inside++
		defer func() { inside-- }()
		if inside != 1 {
			return []string{"TAG NO concurrent"}
		}
		time.Sleep(time.Millisecond)
		return OK(cmd)
	})
	done := make(chan string)
	for range 4 {
		go func() {
			conn, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				done <- err.Error()
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(conn)
			if _, err := r.ReadString('\n'); err != nil {
				done <- err.Error()
				return
			}
			var b strings.Builder
			for range 5 {
				_, _ = io.WriteString(conn, "t NOOP\r\n")
				if line, err := r.ReadString('\n'); line != "t OK done\r\n" {
					fmt.Fprintf(&b, "%q (%v) ", line, err)
				}
			}
			done <- b.String()
		}()
	}
	for range 4 {
		if got := <-done; got != "" {
			t.Errorf("a client got %q", got)
		}
	}
}
