package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/c-bata/go-prompt"
	"github.com/gocyradm/gocyradm/admin"
	"github.com/gocyradm/gocyradm/completion"
	"github.com/pkg/term/termios"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Settings of the interactive shell, and keys it reads.
const (
	historyName  = ".gocyradm_history" // in the home directory
	historyLimit = 1000                // the most lines of history loaded at start
	logoutWait   = 5 * time.Second     // the longest the shell waits for LOGOUT's answer
	ctrlD        = 0x04
	esc          = 0x1b
)

// interact runs the interactive shell on the terminal on standard input, and returns the
// exit status: 0 after Ctrl-D, exit's status after exit, 128+N after signal N (143 after
// SIGTERM, 129 after SIGHUP). On every way out, a panic included, the terminal is put
// back as it was and the session logs out.
//
// go-prompt v0.2.6 is not used as it comes: its Run calls os.Exit on SIGINT and SIGTERM,
// so lines are read with Input; its input opens /dev/tty and, after its first raw mode,
// "restores" raw mode, so the shell gives it its own input (terminalInput); and it
// panics without a terminal, so it is only started when standard input is one.
func interact(ctx context.Context, s *admin.Session, stdio admin.IO) (status int) {
	fd := int(os.Stdin.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		fmt.Fprintf(stdio.Err, "gocyradm: %v\n", err)
		return admin.StatusFailed
	}
	defer func() {
		restoreTerminal(fd, saved)
		if r := recover(); r != nil {
			fmt.Fprintf(stdio.Err, "gocyradm: internal error: %v\n%s", r, debug.Stack())
			status = admin.StatusFailed
		}
	}()
	sh, err := newShell(ctx, s, fd)
	if err != nil {
		fmt.Fprintf(stdio.Err, "gocyradm: %v\n", err)
		return admin.StatusFailed
	}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		s.Progress = progressLine(stdio.Err)
	}
	defer sh.close()
	p, err := sh.newPrompt(stdio)
	if err != nil {
		fmt.Fprintf(stdio.Err, "gocyradm: %v; to read commands without line editing, give -f -\n", err)
		return admin.StatusFailed
	}
	return sh.loop(p)
}

// progressMin is the number of mailboxes from which an operation shows its progress.
const progressMin = 20

// progressLine returns a Progress that keeps one line on w up to date, "  n/N mailboxes",
// and clears it when the operation is done.
func progressLine(w io.Writer) func(done, total int) {
	return func(done, total int) {
		switch {
		case total < progressMin:
		case done < total:
			fmt.Fprintf(w, "\r  %d/%d mailboxes", done, total)
		default:
			fmt.Fprint(w, "\r\033[K")
		}
	}
}

// restoreTerminal puts the terminal back in the state saved, blocking reads included.
func restoreTerminal(fd int, saved *term.State) {
	// Both are attempted whatever happens: there is nothing better to do on failure.
	_ = syscall.SetNonblock(fd, false)
	_ = term.Restore(fd, saved)
}

// shell is the interactive shell: the session, the names completion offers, the
// history, and the signals that stop a command or the shell.
type shell struct {
	s         *admin.Session
	base      context.Context // what commands' contexts derive from: no signal ends it
	cache     *completion.Cache
	completer *completion.Completer
	history   history
	input     *terminalInput
	signals   chan os.Signal
	done      chan struct{} // closed when the shell ends
	entered   bool          // Enter, rather than Ctrl-D, ended the last line read

	mu      sync.Mutex
	cancel  context.CancelFunc // the running command's, or nil at the prompt
	stopped syscall.Signal     // the signal that ends the shell, or 0
}

// newShell prepares the shell for the session s on the terminal fd, and starts watching
// for signals and refreshing the names for completion.
func newShell(ctx context.Context, s *admin.Session, fd int) (*shell, error) {
	cooked, err := termios.Tcgetattr(uintptr(fd))
	if err != nil {
		return nil, fmt.Errorf("reading the terminal's settings: %w", err)
	}
	sh := &shell{
		s:       s,
		base:    context.WithoutCancel(ctx),
		cache:   completion.NewCache(s.Client, completion.DefaultEvery),
		history: newHistory(),
		signals: make(chan os.Signal, 4),
		done:    make(chan struct{}),
	}
	sh.completer = completion.New(sh.cache)
	sh.input = &terminalInput{fd: fd, cooked: cooked, sh: sh}
	signal.Notify(sh.signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go sh.watchSignals()
	return sh, nil
}

// close stops the shell's goroutines and logs out, waiting at most logoutWait for the
// server (which may be the one a command was interrupted on).
func (sh *shell) close() {
	signal.Stop(sh.signals)
	close(sh.done)
	sh.cache.Close()
	ctx, cancel := context.WithTimeout(context.Background(), logoutWait)
	defer cancel()
	sh.s.Close(ctx)
}

// watchSignals cancels the running command on SIGINT (Ctrl-C while a command runs: the
// terminal is not raw then), and on SIGTERM or SIGHUP also ends the shell.
func (sh *shell) watchSignals() {
	for {
		select {
		case <-sh.done:
			return
		case sig := <-sh.signals:
			if sig != os.Interrupt {
				sh.stop(sig.(syscall.Signal))
			}
			sh.mu.Lock()
			if sh.cancel != nil {
				sh.cancel()
			}
			sh.mu.Unlock()
		}
	}
}

// stop makes the shell end, with the status of signal sig, at the next chance.
func (sh *shell) stop(sig syscall.Signal) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.stopped == 0 {
		sh.stopped = sig
	}
}

// stopping returns the signal that ends the shell, or 0.
func (sh *shell) stopping() syscall.Signal {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.stopped
}

// newPrompt makes the line editor. go-prompt opens /dev/tty whatever its options say,
// and panics when it cannot (standard input is a terminal, but not the controlling one).
func (sh *shell) newPrompt(stdio admin.IO) (p *prompt.Prompt, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot start the line editor: %v", r)
		}
	}()
	out := prompt.NewStderrWriter()
	if stdio.OutTerminal {
		out = prompt.NewStdoutWriter()
	}
	entered := func(*prompt.Buffer) { sh.entered = true }
	return prompt.New(
		func(string) {}, // lines are read with Input, which calls no executor
		sh.completer.Complete,
		prompt.OptionParser(sh.input),
		prompt.OptionWriter(titleKeeper{out}),
		prompt.OptionLivePrefix(sh.prefix),
		prompt.OptionPrefixTextColor(prompt.DefaultColor),
		prompt.OptionHistory(sh.history.load()),
		prompt.OptionAddKeyBind(
			prompt.KeyBind{Key: prompt.Enter, Fn: entered},
			prompt.KeyBind{Key: prompt.ControlM, Fn: entered},
			prompt.KeyBind{Key: prompt.ControlJ, Fn: entered},
		),
		prompt.OptionSetExitCheckerOnInput(func(string, bool) bool { return sh.stopping() != 0 }),
	), nil
}

// prefix is the prompt: the server's host name, or cyradm's when there is no server.
func (sh *shell) prefix() (string, bool) {
	c := sh.s.Client
	switch {
	case c == nil:
		return "cyradm> ", true
	case c.Err() != nil:
		return c.Host() + " (disconnected)> ", true
	}
	return c.Host() + "> ", true
}

// loop reads and runs lines until Ctrl-D, exit or a signal that ends the shell.
func (sh *shell) loop(p *prompt.Prompt) int {
	for {
		line, ok := sh.read(p)
		if !ok {
			if sig := sh.stopping(); sig != 0 {
				return 128 + int(sig)
			}
			return admin.StatusOK
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		sh.history.add(line)
		status := sh.run(line)
		if sh.s.Exited() {
			return status
		}
	}
}

// read reads one line, and reports false at Ctrl-D on an empty line or when the shell
// is stopping. go-prompt's Input returns "" for both Ctrl-D and Enter on an empty line:
// only Enter runs the key bindings that set entered.
func (sh *shell) read(p *prompt.Prompt) (string, bool) {
	if sh.stopping() != 0 {
		return "", false
	}
	sh.entered = false
	line := p.Input()
	return line, sh.entered && sh.stopping() == 0
}

// run runs one line, which Ctrl-C (SIGINT) interrupts, then updates the cache.
func (sh *shell) run(line string) int {
	ctx, cancel := context.WithCancel(sh.base)
	defer cancel()
	sh.mu.Lock()
	sh.cancel = cancel
	if sh.stopped != 0 {
		cancel()
	}
	sh.mu.Unlock()
	defer func() {
		sh.mu.Lock()
		sh.cancel = nil
		sh.mu.Unlock()
	}()
	status := sh.s.RunLine(ctx, line)
	sh.cache.SetClient(sh.s.Client)
	sh.cache.Ran(line)
	return status
}

// terminalInput is go-prompt's input: the terminal on standard input, raw while a line
// is edited and as it was at start while a command runs, so that Ctrl-C is SIGINT then.
// Reads do not block, as go-prompt requires. When the shell is stopping, or the terminal
// hangs up, it reads Ctrl-D, which ends the line being edited.
type terminalInput struct {
	fd      int
	cooked  *unix.Termios // the settings at start
	sh      *shell
	pending []byte // read from the terminal, not yet handed to go-prompt
	held    bool   // a line end was handed over: the rest waits for the next line
}

// Setup makes the terminal raw, as go-prompt's own input does (output processing stays
// on), and reads non-blocking.
func (in *terminalInput) Setup() error {
	in.held = false
	raw := *in.cooked
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := termios.Tcsetattr(uintptr(in.fd), termios.TCSANOW, &raw); err != nil {
		return err
	}
	return syscall.SetNonblock(in.fd, true)
}

// TearDown puts back the settings of the start, which also undoes whatever a command
// (a pager, say) left behind, and blocking reads.
func (in *terminalInput) TearDown() error {
	return errors.Join(
		syscall.SetNonblock(in.fd, false),
		termios.Tcsetattr(uintptr(in.fd), termios.TCSANOW, in.cooked),
	)
}

// Read returns the next key, or run of text, typed. go-prompt takes what one Read returns
// for one key: a Tab and a space typed fast, or pasted lines, must not come as one. After
// Enter the rest is held back until the next line is edited, as go-prompt drops what it
// has read but not handled when Input returns.
func (in *terminalInput) Read() ([]byte, error) {
	switch {
	case in.sh.stopping() != 0:
		return []byte{ctrlD}, nil
	case in.held:
		return nil, syscall.EAGAIN
	case len(in.pending) == 0:
		if err := in.fill(); err != nil {
			return nil, err
		}
	}
	n := keyLength(in.pending)
	key := in.pending[:n]
	in.pending = in.pending[n:]
	in.held = key[0] == '\r' || key[0] == '\n'
	return key, nil
}

// keyLength returns the length of the key that b begins with: an escape sequence (CSI or
// SS3), one control character, or a run of text up to the next control character.
func keyLength(b []byte) int {
	switch {
	case b[0] == esc && len(b) > 2 && b[1] == 'O':
		return 3
	case b[0] == esc && len(b) > 1 && b[1] == '[':
		i := 2
		for i < len(b) && b[i] >= 0x20 && b[i] <= 0x3f { // parameter and intermediate bytes
			i++
		}
		return min(i+1, len(b)) // and the final byte
	case isControl(b[0]):
		return 1
	}
	i := 1
	for i < len(b) && !isControl(b[i]) {
		i++
	}
	return i
}

// isControl reports whether c is a control character (escape and delete included).
func isControl(c byte) bool { return c < 0x20 || c == 0x7f }

// fill reads what the terminal has. When the terminal is gone, it stops the shell.
func (in *terminalInput) fill() error {
	buf := make([]byte, 1024)
	n, err := syscall.Read(in.fd, buf)
	switch {
	case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
		return err
	case err != nil || n == 0:
		in.sh.stop(syscall.SIGHUP)
		buf, n = []byte{ctrlD}, 1
	}
	in.pending = buf[:n]
	return nil
}

// GetWinSize returns the terminal's size, or 80x24 when it cannot be read.
func (in *terminalInput) GetWinSize() *prompt.WinSize {
	cols, rows, err := term.GetSize(in.fd)
	if err != nil || cols <= 0 || rows <= 0 {
		return &prompt.WinSize{Row: 24, Col: 80}
	}
	return &prompt.WinSize{Row: uint16(rows), Col: uint16(cols)}
}

// titleKeeper is go-prompt's output, except that it leaves the terminal's title alone:
// go-prompt clears it whenever it has read a line.
type titleKeeper struct{ prompt.ConsoleWriter }

// ClearTitle does nothing.
func (titleKeeper) ClearTitle() {}

// history is the file of the lines typed at the prompt, in the home directory.
type history struct {
	path string // "" when there is no home directory
}

// newHistory returns the history of the user's home directory.
func newHistory() history {
	home, err := os.UserHomeDir()
	if err != nil {
		return history{}
	}
	return history{path: filepath.Join(home, historyName)}
}

// load returns the last historyLimit lines of the file, oldest first.
func (h history) load() []string {
	data, err := os.ReadFile(h.path)
	if err != nil {
		return nil
	}
	lines := strings.FieldsFunc(string(data), func(r rune) bool { return r == '\n' })
	return lines[max(0, len(lines)-historyLimit):]
}

// add appends line to the file, unless it could hold a password. Only its owner may read
// the file. Failures are ignored: the history is a convenience, the command still runs.
func (h history) add(line string) {
	if h.path == "" || mayHoldSecret(line) {
		return
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	if f.Chmod(0o600) == nil {
		fmt.Fprintln(f, line)
	}
}

// mayHoldSecret reports whether a line could hold a password, and so stays out of the
// history file: a line that begins with a blank (as bash's ignorespace), that mentions a
// password or a secret, that runs authenticate (or auth, login), that has a -w word, or
// that holds a URL with a user name (user:password@host).
func mayHoldSecret(line string) bool {
	lower := strings.ToLower(line)
	switch {
	case strings.HasPrefix(line, " "), strings.HasPrefix(line, "\t"),
		strings.Contains(lower, "pass"), strings.Contains(lower, "secret"),
		strings.Contains(line, "://") && strings.Contains(line, "@"):
		return true
	}
	for _, w := range strings.FieldsFunc(lower, func(r rune) bool { return r == ' ' || r == '\t' || r == ';' }) {
		if w == "-w" || w == "authenticate" || w == "auth" || w == "login" {
			return true
		}
	}
	return false
}
