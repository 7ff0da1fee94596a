package admin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/gocyradm/gocyradm/imapconn"
)

// Exit statuses of a run.
const (
	StatusOK     = 0 // every command succeeded
	StatusFailed = 1 // at least one command failed
	StatusUsage  = 2 // bad command-line usage
	StatusConn   = 3 // could not connect
	StatusAuth   = 4 // authentication failed
	StatusLost   = 5 // the connection was lost during the session
)

// maxScriptLine is the longest script line accepted.
const maxScriptLine = 1 << 20

// step is one statement of a script, checked and ready to run.
type step struct {
	where string // "file:line: " in a script, "" at the prompt
	st    Statement
	verb  *Verb
	args  *Args
}

// RunScript runs the commands read from r, named name in messages. Every line is checked
// first (syntax, verb names, options and argument counts): if any is wrong, the errors
// are reported and nothing runs. It returns the exit status.
func (s *Session) RunScript(ctx context.Context, r io.Reader, name string) int {
	steps, ok := s.compileScript(r, name)
	if !ok {
		return StatusFailed
	}
	return s.runSteps(ctx, steps)
}

// RunFile runs the script in the file at path, as RunScript does.
func (s *Session) RunFile(ctx context.Context, path string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(s.IO.Err, "%v\n", err)
		return StatusFailed
	}
	defer f.Close()
	return s.RunScript(ctx, f, path)
}

// RunLine runs one line typed at the prompt and returns its status.
func (s *Session) RunLine(ctx context.Context, line string) int {
	steps, err := s.compileLine(line, "")
	if err != nil {
		fmt.Fprintln(s.IO.Err, err)
		return StatusFailed
	}
	return s.runSteps(ctx, steps)
}

// Exited reports whether the exit verb ran.
func (s *Session) Exited() bool { return s.exit != nil }

func (s *Session) compileScript(r io.Reader, name string) ([]step, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxScriptLine)
	var steps []step
	ok := true
	n := 1
	for ; sc.Scan(); n++ {
		more, err := s.compileLine(sc.Text(), fmt.Sprintf("%s:%d: ", name, n))
		if err != nil {
			fmt.Fprintln(s.IO.Err, err)
			ok = false
		}
		steps = append(steps, more...)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		fmt.Fprintf(s.IO.Err, "%s:%d: the line is longer than %d bytes: nothing was run\n", name, n, maxScriptLine)
		return nil, false
	} else if err != nil {
		fmt.Fprintf(s.IO.Err, "%s: reading the script: %v\n", name, err)
		return nil, false
	}
	if !ok {
		fmt.Fprintf(s.IO.Err, "%s: nothing was run: correct the lines above first\n", name)
	}
	return steps, ok
}

// compileLine parses and checks one line.
func (s *Session) compileLine(line, where string) ([]step, error) {
	stmts, err := ParseLine(line, s.lookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%s%w", where, err)
	}
	steps := make([]step, 0, len(stmts))
	for _, st := range stmts {
		if st.Shell != "" {
			steps = append(steps, step{where: where, st: st})
			continue
		}
		v := Lookup(st.Words[0])
		if v == nil {
			return nil, fmt.Errorf("%sunknown command: %s (type help for the list of commands)", where, st.Words[0])
		}
		args, err := parseArgs(v, st.Words[1:])
		if err == nil {
			err = checkCount(v, args)
		}
		if err != nil {
			return nil, fmt.Errorf("%s%s: %w", where, v.Name, err)
		}
		steps = append(steps, step{where: where, st: st, verb: v, args: args})
	}
	return steps, nil
}

func checkCount(v *Verb, a *Args) error {
	n := len(a.Pos)
	if n < v.MinArgs || (v.MaxArgs >= 0 && n > v.MaxArgs) {
		return errors.New(v.usage())
	}
	return nil
}

func (s *Session) lookupEnv(name string) (string, bool) {
	if s.Getenv != nil {
		return s.Getenv(name)
	}
	return os.LookupEnv(name)
}

// report writes a step's error, one "where: verb: message" line per line of it.
func (s *Session) report(st step, err error) {
	var b strings.Builder
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(&b, "%s%s: %s\n", st.where, st.verb.Name, line)
	}
	io.WriteString(s.IO.Err, b.String())
}

// lost reports whether err means the connection is gone.
func (s *Session) lost(err error) bool {
	return errors.Is(err, imapconn.ErrConnectionLost)
}

// output returns where a statement's output goes, and a function to call when it is
// written: the terminal, a file (> or >>), or a system command (|).
func (s *Session) output(ctx context.Context, st Statement) (io.Writer, func() error, error) {
	switch {
	case st.Redirect != nil:
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if st.Redirect.Append {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := os.OpenFile(st.Redirect.File, flags, 0o644)
		if err != nil {
			return nil, nil, err
		}
		return f, f.Close, nil
	case st.Pipe != "":
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", st.Pipe)
		cmd.Stdout, cmd.Stderr = s.IO.Out, s.IO.Err
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		return in, func() error {
			in.Close()
			return commandStatus(cmd.Wait())
		}, nil
	}
	return s.IO.Out, func() error { return nil }, nil
}

// runShell runs "!CMD" with the system shell.
func (s *Session) runShell(ctx context.Context, st step) int {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", st.st.Shell)
	cmd.Stdout, cmd.Stderr = s.IO.Out, s.IO.Err
	if err := commandStatus(cmd.Run()); err != nil {
		fmt.Fprintf(s.IO.Err, "%s!%s: %v\n", st.where, strings.Fields(st.st.Shell + " sh")[0], err)
		return StatusFailed
	}
	return StatusOK
}

func commandStatus(err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return errors.New("exited with status " + strconv.Itoa(exit.ExitCode()))
	}
	return err
}
