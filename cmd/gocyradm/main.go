// Command gocyradm is an administrative shell for IMAP servers: a safer, faster and
// scriptable replacement for Cyrus IMAP's cyradm.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gocyradm/gocyradm/admin"
	"golang.org/x/term"
)

// version is gocyradm's version, set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], stdIO()))
}

func stdIO() admin.IO {
	io := admin.IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTerminal: term.IsTerminal(int(os.Stdout.Fd())),
	}
	if io.OutTerminal {
		io.Width, _, _ = term.GetSize(int(os.Stdout.Fd())) // 0 when unknown: tables then do not wrap
	}
	return io
}

// run is gocyradm with its arguments and streams; it returns the exit status.
func run(args []string, stdio admin.IO) int {
	opts, err := parseFlags(args, stdio.Err)
	if errors.Is(err, flag.ErrHelp) {
		return admin.StatusOK
	}
	if err != nil {
		fmt.Fprintf(stdio.Err, "gocyradm: %v\nTry 'gocyradm --help'.\n", err)
		return admin.StatusUsage
	}
	if opts.version {
		fmt.Fprintf(stdio.Out, "gocyradm %s\n", version)
		return admin.StatusOK
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := newSession(opts, stdio)
	if err != nil {
		fmt.Fprintf(stdio.Err, "gocyradm: %v\n", err)
		return admin.StatusUsage
	}
	if opts.password != "" {
		fmt.Fprintln(stdio.Err, "gocyradm: warning: a password given with -w can be seen by other users in the process list; prefer --password-file or GOCYRADM_PASSWORD")
	}
	if s.Config.Insecure {
		fmt.Fprintln(stdio.Err, "gocyradm: warning: --insecure: the server's certificate is not verified, so the connection can be intercepted")
	}
	if s.Config.Server != "" {
		if status := connect(ctx, s, stdio.Err); status != admin.StatusOK {
			return status
		}
	}
	defer s.Close(context.Background())
	status := runStartupFiles(ctx, s, opts)
	if s.Exited() {
		return status
	}
	return max(status, runCommands(ctx, s, opts, stdio))
}

// runStartupFiles runs the system and user startup files, unless --norc: by default
// /etc/gocyradmrc if it exists, and ~/.gocyradmrc, else ~/.cyradmrc.pl if it exists.
// Files named with --systemrc and --userrc must exist.
func runStartupFiles(ctx context.Context, s *admin.Session, opts *options) int {
	if opts.norc {
		return admin.StatusOK
	}
	status := admin.StatusOK
	for _, path := range opts.startupFiles() {
		status = max(status, s.RunFile(ctx, path))
		if s.Exited() {
			break
		}
	}
	return status
}

// connect logs in and maps a failure to its exit status.
func connect(ctx context.Context, s *admin.Session, stderr io.Writer) int {
	c, err := admin.Connect(ctx, s.Config)
	if err == nil {
		s.Attach(c)
		return admin.StatusOK
	}
	fmt.Fprintf(stderr, "gocyradm: %v\n", err)
	var auth *admin.AuthError
	if errors.As(err, &auth) {
		return admin.StatusAuth
	}
	return admin.StatusConn
}

// runCommands runs -c, -f or standard input as a script, or the interactive shell.
func runCommands(ctx context.Context, s *admin.Session, opts *options, stdio admin.IO) int {
	switch {
	case opts.command != "":
		return s.RunScript(ctx, strings.NewReader(opts.command), "-c")
	case opts.file == "-" || (opts.file == "" && !stdio.InTerminal):
		return s.RunScript(ctx, stdio.In, "stdin")
	case opts.file != "":
		return s.RunFile(ctx, opts.file)
	}
	return interact(ctx, s, stdio)
}

func newSession(opts *options, stdio admin.IO) (*admin.Session, error) {
	format := admin.FormatPlain
	if stdio.OutTerminal {
		format = admin.FormatTable
	}
	if opts.output != "" {
		f, err := admin.ParseFormat(opts.output)
		if err != nil {
			return nil, err
		}
		format = f
	}
	s := &admin.Session{
		IO:          stdio,
		Config:      opts.config(stdio),
		Format:      format,
		Version:     version,
		StopOnError: opts.stopOnError,
		Yes:         opts.yes,
		DryRun:      opts.dryRun,
		Timeout:     opts.timeout,
		Window:      opts.window,
	}
	return s, nil
}

// passwordSource returns the function that obtains the password when a login needs it:
// -w, --password-file, GOCYRADM_PASSWORD, else a prompt on the terminal without echo.
func passwordSource(opts *options, stdio admin.IO) func() (string, error) {
	return func() (string, error) {
		switch {
		case opts.password != "":
			return opts.password, nil
		case opts.passwordFile != "":
			return readPasswordFile(opts.passwordFile)
		}
		if p, ok := os.LookupEnv("GOCYRADM_PASSWORD"); ok {
			return p, nil
		}
		return promptPassword(stdio.Err)
	}
}

func readPasswordFile(name string) (string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("reading the password file: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

// promptPassword asks on the controlling terminal, without echo.
func promptPassword(stderr io.Writer) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", errors.New("no password: there is no terminal to ask on; give --password-file FILE or set GOCYRADM_PASSWORD")
	}
	defer tty.Close()
	fmt.Fprint(tty, "Password: ")
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(p), nil
}
