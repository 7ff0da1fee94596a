package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/imaptest"
	"github.com/gocyradm/gocyradm/internal/testserver"
	"github.com/pkg/term/termios"
	"golang.org/x/sys/unix"
)

// TestInteractive drives the real binary in a pseudo-terminal, typing one key at a time
// and reading what it shows, and checks that the terminal is as it was afterwards.
func TestInteractive(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gocyradm")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("Offline", func(t *testing.T) { testOffline(t, bin) })
	t.Run("Cyrus", func(t *testing.T) { testCyrus(t, bin) })
	t.Run("PromptFollowsServer", func(t *testing.T) { testPromptFollowsServer(t, bin) })
	t.Run("CtrlC", func(t *testing.T) { testCtrlC(t, bin) })
	t.Run("SIGTERMAtPrompt", func(t *testing.T) { testSIGTERM(t, bin, false) })
	t.Run("SIGTERMDuringCommand", func(t *testing.T) { testSIGTERM(t, bin, true) })
	t.Run("NoControllingTerminal", func(t *testing.T) { testNoControllingTerminal(t, bin) })
	t.Run("PipedInput", func(t *testing.T) { testNoTerminal(t, bin, "", "help createmailbox\nwhoami\n") })
	t.Run("ScriptFile", func(t *testing.T) { testNoTerminal(t, bin, "help createmailbox\nwhoami\n", "") })
}

// session is the binary running in a pseudo-terminal.
type session struct {
	t      *testing.T
	ptmx   *os.File // the terminal's other end: what the test types and reads
	tty    *os.File // the terminal the binary runs on, kept open to read its settings
	before *unix.Termios
	cmd    *exec.Cmd
	exited chan struct{}

	mu   sync.Mutex
	out  bytes.Buffer // everything shown
	seen int          // how much of out expect has gone past
}

// screenNoise matches the terminal control sequences go-prompt writes.
var screenNoise = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[78]|\r`)

// startSession starts bin with args on a new 120x40 terminal, in home, which is HOME.
// With controlling false the terminal is not made the binary's controlling terminal.
func startSession(t *testing.T, bin, home string, controlling bool, args ...string) *session {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	before, err := termios.Tcgetattr(tty.Fd())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--norc"}, args...)...)
	cmd.Env, cmd.Dir = testEnv(home), home
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: controlling}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, ptmx: ptmx, tty: tty, before: before, cmd: cmd, exited: make(chan struct{})}
	go s.read()
	go func() { cmd.Wait(); close(s.exited) }() // the status is read from cmd.ProcessState
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
		ptmx.Close()
		tty.Close()
	})
	return s
}

// testEnv returns the binary's environment: a home of its own and an xterm.
func testEnv(home string) []string {
	return []string{"HOME=" + home, "TERM=xterm", "PATH=" + os.Getenv("PATH")}
}

// passwordFile writes password to a file in dir and returns its name.
func passwordFile(t *testing.T, dir, password string) string {
	t.Helper()
	name := filepath.Join(dir, "password")
	if err := os.WriteFile(name, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// read collects what the binary shows until the terminal is closed.
func (s *session) read() {
	buf := make([]byte, 4096)
	for {
		n, err := s.ptmx.Read(buf)
		s.mu.Lock()
		s.out.Write(buf[:n])
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// screen returns what was shown after the last match, control sequences removed.
func (s *session) screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return screenNoise.ReplaceAllString(s.out.String()[s.seen:], "")
}

// expect waits until want is shown, and goes past it.
func (s *session) expect(want string) {
	s.t.Helper()
	if !s.shows(want, 15*time.Second) {
		s.t.Fatalf("timed out waiting for %q; the screen shows:\n%s", want, s.screen())
	}
}

// expectOffer waits until want is offered for the word being typed, whose last key was
// last. Names come from a cache filled in the background, and go-prompt asks for
// suggestions only when a key is pressed: so last is typed again now and then.
func (s *session) expectOffer(want string, last byte) {
	s.t.Helper()
	for range 30 {
		if s.shows(want, 500*time.Millisecond) {
			return
		}
		s.pressKey("\x7f") // Backspace
		s.pressKey(string(last))
	}
	s.t.Fatalf("%q was never offered; the screen shows:\n%s", want, s.screen())
}

// shows waits at most d until want is shown, and goes past it.
func (s *session) shows(want string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		raw := s.out.String()[s.seen:]
		s.mu.Unlock()
		// Find want in the cleaned text, then past which raw byte it ends.
		for end := 1; end <= len(raw); end++ {
			if strings.Contains(screenNoise.ReplaceAllString(raw[:end], ""), want) {
				s.mu.Lock()
				s.seen += end
				s.mu.Unlock()
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// typeKeys types keys one byte at a time, as a person does.
func (s *session) typeKeys(keys string) {
	s.t.Helper()
	for i := 0; i < len(keys); i++ {
		s.pressKey(keys[i : i+1])
	}
}

// pressKey sends what a terminal sends for one key, such as "\x1b[A" for Up, at once.
func (s *session) pressKey(key string) {
	s.t.Helper()
	if _, err := s.ptmx.Write([]byte(key)); err != nil {
		s.t.Fatal(err)
	}
	time.Sleep(25 * time.Millisecond)
}

// wait waits for the binary to end and returns its exit status.
func (s *session) wait() int {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.t.Fatalf("the shell did not end; the screen shows:\n%s", s.screen())
	}
	return s.cmd.ProcessState.ExitCode()
}

// checkRestored checks that the terminal's settings are those it had before the binary
// ran: echo, canonical mode and signals on.
func (s *session) checkRestored() {
	s.t.Helper()
	after, err := termios.Tcgetattr(s.tty.Fd())
	if err != nil {
		s.t.Fatal(err)
	}
	if after.Lflag&unix.ECHO == 0 || after.Lflag&unix.ICANON == 0 || after.Lflag&unix.ISIG == 0 {
		s.t.Errorf("the terminal was left without echo, canonical mode or signals: lflag %#x", after.Lflag)
	}
	if after.Lflag != s.before.Lflag || after.Iflag != s.before.Iflag || after.Oflag != s.before.Oflag {
		s.t.Errorf("terminal settings changed: lflag %#x iflag %#x oflag %#x, before %#x %#x %#x",
			after.Lflag, after.Iflag, after.Oflag, s.before.Lflag, s.before.Iflag, s.before.Oflag)
	}
	flags, err := unix.FcntlInt(s.tty.Fd(), unix.F_GETFL, 0)
	if err == nil && flags&unix.O_NONBLOCK != 0 {
		s.t.Errorf("the terminal was left non-blocking")
	}
}

// testOffline runs the shell with no server: the prompt, completion of a verb and of a
// file name, Enter on an empty line, Ctrl-C at the prompt, Ctrl-D, and the history file.
func testOffline(t *testing.T, bin string) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "commands.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, bin, home, true)
	s.expect("cyradm> ")
	s.typeKeys("\r") // Enter on an empty line does not end the shell
	s.expect("cyradm> ")
	s.typeKeys("hel")
	s.expect("help") // the suggestion, with its help
	s.typeKeys("\t cre\t\r")
	s.expect("usage: createmailbox")
	s.expect("cyradm> ")
	s.typeKeys("help > comm\t\r") // a file name after >
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if data, _ := os.ReadFile(filepath.Join(home, "commands.txt")); strings.Contains(string(data), "createmailbox") {
			break
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("help > comm<Tab> did not write commands.txt; the screen shows:\n%s", s.screen())
		}
	}
	s.typeKeys("whoami --password x")
	s.typeKeys("\x03") // Ctrl-C at the prompt clears the line
	s.expect("cyradm> ")
	s.typeKeys("help setacl-typo \r") // a failing command, kept in the history
	s.expect("cyradm> ")
	s.typeKeys(" help\r") // begins with a blank: kept out of the history
	s.expect("cyradm> ")
	s.typeKeys("\x04")
	if status := s.wait(); status != 0 {
		t.Errorf("Ctrl-D: exit status %d, want 0", status)
	}
	s.checkRestored()
	checkHistory(t, filepath.Join(home, ".gocyradm_history"),
		"help create\nhelp > commands.txt\nhelp setacl-typo \n")

	// The history is offered again in the next session: Up recalls the last line.
	s = startSession(t, bin, home, true)
	s.expect("cyradm> ")
	s.pressKey("\x1b[A") // Up
	s.expect("help setacl-typo")
	s.typeKeys("\x15\x04") // Ctrl-U empties the line, Ctrl-D ends
	if status := s.wait(); status != 0 {
		t.Errorf("Ctrl-D: exit status %d, want 0", status)
	}
}

// checkHistory checks the history file's lines and that only its owner may read it.
func checkHistory(t *testing.T, path, want string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, want 0600", info.Mode().Perm())
	}
	if data, _ := os.ReadFile(path); string(data) != want {
		t.Errorf("history file holds %q, want %q", data, want)
	}
}

// cyrus returns the Cyrus test server and a client logged in to it as the admin.
func cyrus(t *testing.T) (testserver.Server, *imapconn.Client) {
	t.Helper()
	srv := testserver.Cyrus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := imapconn.Dial(ctx, srv.Addr, nil, imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout(context.Background()) }) // the server ends the session anyway
	if err := c.Login(ctx, srv.Admin, srv.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// testCyrus completes a verb, a mailbox name with a space in it, an identifier from the
// mailbox's ACL and a right, against the Cyrus test server, and runs the commands.
func testCyrus(t *testing.T, bin string) {
	srv, c := cyrus(t)
	ctx := context.Background()
	name := fmt.Sprintf("pty%d box", time.Now().UnixNano())
	if _, err := c.Create(ctx, name, imapconn.CreateOptions{}).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // best effort: a mailbox left behind only clutters the test server
		c.SetACL(ctx, name, srv.Admin, "lrswipkxtea").Wait(ctx)
		c.Delete(ctx, name).Wait(ctx)
	})
	if _, err := c.SetACL(ctx, name, "ptyuser", "lr").Wait(ctx); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(srv.Addr)
	home := t.TempDir()
	s := startSession(t, bin, home, true, "-u", srv.Admin, "--password-file", passwordFile(t, home, srv.AdminPassword),
		"--cafile", srv.CAFile, "localhost:"+port)
	s.expect("localhost> ")

	prefix := name[:len(name)-len(" box")]
	s.typeKeys("listac")
	s.expect("listaclmailbox") // the verbs offered, with their help
	s.typeKeys("\t " + prefix)
	s.expectOffer("'"+name+"'", prefix[len(prefix)-1])
	s.typeKeys("\t\r")
	s.expect("listacl '" + name + "'")
	s.expect("ptyuser")
	s.expect("localhost> ")

	s.typeKeys("setacl " + prefix)
	s.expectOffer("'"+name+"'", prefix[len(prefix)-1])
	s.typeKeys("\t pty")
	s.expectOffer("ptyuser", 'y') // from the mailbox's ACL, fetched in the background
	s.typeKeys("\t wri")
	s.expect("write")
	s.typeKeys("\t\r")
	s.expect("setacl '" + name + "' ptyuser write")
	s.expect("localhost> ")
	s.typeKeys("\x04")
	if status := s.wait(); status != 0 {
		t.Errorf("Ctrl-D: exit status %d, want 0; the screen shows:\n%s", status, s.screen())
	}
	s.checkRestored()

	list, err := c.GetACL(ctx, name).Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, e := range list {
		if e.ID == "ptyuser" {
			got = e.Rights
		}
	}
	if strings.Trim("lrswipkxte", got) != "" { // Cyrus adds the legacy c and d
		t.Errorf("ptyuser has %q, want lrswipkxte (write)", got)
	}
}

// stuckServer is an IMAP server that greets with PREAUTH, answers LOGOUT and hangs up,
// and never answers anything else.
type stuckServer struct{ *imaptest.Server }

// isLogout reports whether cmd is LOGOUT, in any case.
func isLogout(cmd string) bool {
	f := strings.Fields(cmd)
	return len(f) > 0 && strings.EqualFold(f[0], "LOGOUT")
}

func newStuckServer(t *testing.T) stuckServer {
	t.Helper()
	return stuckServer{imaptest.Listen(t, "* PREAUTH [CAPABILITY IMAP4rev1 ACL] stuck server ready", func(cmd string) []string {
		if isLogout(cmd) {
			return []string{"* BYE bye", "TAG OK done", imaptest.HangUp}
		}
		return nil
	})}
}

// checkLogout checks that the server received LOGOUT, on the one connection the shell
// made.
func (srv stuckServer) checkLogout(t *testing.T) {
	t.Helper()
	for start := time.Now(); !slices.ContainsFunc(srv.Commands(), isLogout); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Errorf("the server received no LOGOUT")
			return
		}
	}
	if got := srv.Transcript(); slices.Index(got[1:], imaptest.Connected) >= 0 {
		t.Errorf("the shell connected more than once: the server received %q", got)
	}
}

// testPromptFollowsServer checks that the prompt names the server the session is
// connected to, after server and after disconnect.
func testPromptFollowsServer(t *testing.T, bin string) {
	srv := newStuckServer(t)
	s := startSession(t, bin, t.TempDir(), true, "--notls", "-u", "admin")
	s.expect("cyradm> ")
	s.typeKeys("server " + srv.Addr() + "\r")
	s.expect("127.0.0.1> ")
	s.typeKeys("disconnect\r")
	srv.checkLogout(t)
	s.expect("cyradm> ")
	s.typeKeys("\x04")
	if status := s.wait(); status != 0 {
		t.Errorf("Ctrl-D: exit status %d, want 0; the screen shows:\n%s", status, s.screen())
	}
}

// testCtrlC interrupts a command that waits for a server that does not answer: the
// shell returns to the prompt and goes on.
func testCtrlC(t *testing.T, bin string) {
	srv := newStuckServer(t)
	s := startSession(t, bin, t.TempDir(), true, "--notls", "-u", "admin", srv.Addr())
	s.expect("127.0.0.1> ")
	s.typeKeys("listmailbox\r")
	s.expect("listmailbox\n")
	time.Sleep(300 * time.Millisecond)
	s.typeKeys("\x03")
	s.expect("canceled")
	s.expect("127.0.0.1> ")
	s.typeKeys("whoami\r")
	s.expect("admin")
	s.expect("127.0.0.1> ")
	s.typeKeys("\x04")
	if status := s.wait(); status != 0 {
		t.Errorf("Ctrl-D: exit status %d, want 0; the screen shows:\n%s", status, s.screen())
	}
	srv.checkLogout(t)
	s.checkRestored()
}

// testSIGTERM sends SIGTERM at the prompt, or while a command waits: the shell logs out,
// puts the terminal back and exits 143.
func testSIGTERM(t *testing.T, bin string, duringCommand bool) {
	srv := newStuckServer(t)
	s := startSession(t, bin, t.TempDir(), true, "--notls", "-u", "admin", srv.Addr())
	s.expect("127.0.0.1> ")
	if duringCommand {
		s.typeKeys("listmailbox\r")
		s.expect("listmailbox\n")
	} else {
		s.typeKeys("listm") // a line half typed
	}
	time.Sleep(300 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if status := s.wait(); status != 143 {
		t.Errorf("SIGTERM: exit status %d, want 143; the screen shows:\n%s", status, s.screen())
	}
	srv.checkLogout(t)
	s.checkRestored()
}

// testNoControllingTerminal runs the shell on a terminal that is not its controlling
// terminal, where go-prompt cannot open /dev/tty: it must say so, not panic.
func testNoControllingTerminal(t *testing.T, bin string) {
	s := startSession(t, bin, t.TempDir(), false)
	status := s.wait()
	s.expect("cannot start the line editor")
	if status != 1 || strings.Contains(s.screen(), "panic") {
		t.Errorf("exit status %d, want 1, and no panic; the screen shows:\n%s", status, s.screen())
	}
	s.checkRestored()
}

// testNoTerminal runs commands from a file (-f) or piped in, without any terminal (in
// a session of its own, so that /dev/tty cannot be opened): go-prompt is never started,
// so nothing panics and no control sequence is written.
func testNoTerminal(t *testing.T, bin, script, stdin string) {
	dir := t.TempDir()
	var args []string
	if script != "" {
		path := filepath.Join(dir, "cmds.txt")
		if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		args = []string{"-f", path}
	}
	cmd := exec.Command(bin, append([]string{"--norc"}, args...)...)
	cmd.Env = testEnv(dir)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "usage: createmailbox") {
		t.Errorf("the commands did not run: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "panic") || strings.ContainsRune(stdout.String()+stderr.String(), 0x1b) {
		t.Errorf("a panic or a control sequence: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, ".gocyradm_history")); err == nil {
		t.Errorf("a script wrote the history file")
	}
}
