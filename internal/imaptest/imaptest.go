// Package imaptest is a scripted IMAP server for tests.
//
// A Server greets each connection, then reads command lines and answers each with the
// lines an answer function gives for it (OK is the usual one). The function sees the
// command without its tag; in the lines it returns, "TAG" stands for the tag. It may keep
// state, so that answers depend on earlier commands, and it may leave a command
// unanswered (nil) or hang up (a line HangUp). Calls to it are never concurrent, even
// across connections, and when it runs the server has already recorded its command: it
// may read Transcript for the tags of commands it left unanswered.
//
// The server records what it receives: Commands for the commands alone, Transcript for
// the lines as they came and where each connection began. It stops when the test ends,
// and hangs up on a client that neither sends nor reads for ten seconds, so that a stuck
// client fails its test instead of hanging it.
package imaptest

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// HangUp, as a line of an answer, closes the connection: the lines before it are sent,
// the lines after it are not.
const HangUp = "(hang up)"

// Connected stands in a Transcript where a connection began.
const Connected = "(connected)"

// idle is how long the server waits for a client to send or read before hanging up.
var idle = 10 * time.Second

// OK answers every command with OK, and LOGOUT with BYE first.
func OK(cmd string) []string {
	if cmd == "LOGOUT" {
		return []string{"* BYE bye", "TAG OK done"}
	}
	return []string{"TAG OK done"}
}

// Server is a scripted IMAP server. Its methods are safe for concurrent use.
type Server struct {
	greeting string
	answer   func(cmd string) []string
	addr     string

	answering sync.Mutex // held while answer runs: calls to it are serialized
	wg        sync.WaitGroup

	mu         sync.Mutex
	commands   []string
	transcript []string
	conns      map[net.Conn]bool
	stopped    bool
}

func newServer(t testing.TB, addr, greeting string, answer func(cmd string) []string) *Server {
	s := &Server{greeting: greeting, answer: answer, addr: addr, conns: map[net.Conn]bool{}}
	t.Cleanup(s.stop)
	return s
}

// Listen starts a server on a free loopback port. It serves every connection it
// accepts, until the test ends.
func Listen(t testing.TB, greeting string, answer func(cmd string) []string) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, l, greeting, answer)
}

// Serve serves every connection l accepts, until the test ends, when it closes l. A
// listener of package crypto/tls makes a server that greets over TLS.
func Serve(t testing.TB, l net.Listener, greeting string, answer func(cmd string) []string) *Server {
	s := newServer(t, l.Addr().String(), greeting, answer)
	t.Cleanup(func() { l.Close() }) // runs before stop, which waits for the accepting goroutine
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			s.start(conn)
		}
	}()
	return s
}

// Pipe returns the client end of a net.Pipe whose other end the server serves, and the
// server.
func Pipe(t testing.TB, greeting string, answer func(cmd string) []string) (net.Conn, *Server) {
	clientEnd, serverEnd := net.Pipe()
	s := newServer(t, serverEnd.LocalAddr().String(), greeting, answer)
	s.start(serverEnd)
	return clientEnd, s
}

// Addr returns the address the server listens on ("pipe" for Pipe's).
func (s *Server) Addr() string { return s.addr }

// Commands returns the commands received so far, on every connection, in order, each
// without its tag.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Transcript returns what the server received so far, in order: Connected where each
// connection began, and each command line as it came, tag included.
func (s *Server) Transcript() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.transcript...)
}

// start records and serves a new connection, unless the server has stopped.
func (s *Server) start(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		conn.Close()
		return
	}
	s.conns[conn] = true
	s.transcript = append(s.transcript, Connected)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.serve(conn)
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
	}()
}

// stop hangs up on every client and waits until the server's goroutines have ended.
func (s *Server) stop() {
	s.mu.Lock()
	s.stopped = true
	for conn := range s.conns {
		conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serve plays the server on one connection until the client hangs up, or the answer
// does.
func (s *Server) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(idle))
	if _, err := conn.Write([]byte(s.greeting + "\r\n")); err != nil {
		return
	}
	r := bufio.NewReader(conn)
	for {
		_ = conn.SetDeadline(time.Now().Add(idle))
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		tag, cmd, _ := strings.Cut(line, " ")
		s.mu.Lock()
		s.commands = append(s.commands, cmd)
		s.transcript = append(s.transcript, line)
		s.mu.Unlock()
		s.answering.Lock()
		answer := s.answer(cmd)
		s.answering.Unlock()
		var out strings.Builder
		hangUp := false
		for _, l := range answer {
			if l == HangUp {
				hangUp = true
				break
			}
			out.WriteString(strings.ReplaceAll(l, "TAG", tag) + "\r\n")
		}
		if out.Len() > 0 {
			if _, err := conn.Write([]byte(out.String())); err != nil {
				return
			}
		}
		if hangUp {
			return
		}
	}
}
