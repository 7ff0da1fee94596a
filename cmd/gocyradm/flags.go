package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gocyradm/gocyradm/admin"
)

// options are gocyradm's command-line options.
type options struct {
	user, authz, mech        string
	password, passwordFile   string
	server                   string
	port                     int
	tls, starttls, notls     bool
	cafile, capath, tlskey   string
	insecure, allowPlaintext bool
	file, command, output    string
	json                     bool
	stopOnError, yes, dryRun bool
	trace, version           bool
	timeout                  time.Duration
	window                   int
	rc, norc                 bool
	systemrc, userrc         string
}

const usageText = `usage: gocyradm [options] [server]

server is host, host:port, [ipv6]:port, imap://host[:port] or imaps://host[:port].
Commands come from -c, -f FILE, standard input when it is not a terminal, or the prompt.

Connection:
  -u, --user NAME          authentication identity (default: $USER)
  -z, --authz NAME         act as NAME (proxy authorization)
  -a, --auth MECH          SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN, EXTERNAL, or login
                           for the IMAP LOGIN command (default: the strongest both sides offer)
  -w, --password PASS      the password (visible to other users: prefer the next two)
      --password-file FILE the first line of FILE is the password
                           (or set GOCYRADM_PASSWORD; otherwise gocyradm asks on the terminal)
  -s, --server HOST        the server, instead of the argument
  -p, --port N             the port (default 143, or 993 with --tls)
      --tls                implicit TLS (imaps)
      --starttls           require STARTTLS
      --notls              no TLS at all (default: STARTTLS when the server offers it)
      --cafile FILE        trust the CA certificates in FILE too
      --capath DIR         trust the CA certificates in DIR too (also --cadir)
  -t, --tlskey FILE        client certificate and its key, both PEM in FILE; logs in with EXTERNAL
                           when the server accepts it (no password needed)
      --insecure           do not verify the server's certificate (warns)
      --allow-plaintext    allow a password unencrypted to a host that is not loopback
      --timeout DURATION   connect timeout and longest wait for one command (default 2m)
      --norc               do not run the startup files (--rc runs them: the default)
  -S, --systemrc FILE      the system startup file (default /etc/gocyradmrc, if it exists)
      --userrc FILE        the user startup file (default ~/.gocyradmrc, else ~/.cyradmrc.pl)
Commands:
  -c 'CMD; CMD'            run these commands, then exit
  -f FILE                  run the commands in FILE (- for standard input), then exit
  -e, --stop-on-error      stop at the first failing command
  -y, --yes                do not ask before destructive wildcard operations
  -n, --dry-run            run read-only commands; show the IMAP of changing ones instead
  -o, --output FORMAT      table, plain or json (default: table at a terminal, else plain)
      --json               the same as -o json
      --window N           script lines in flight at once (default 128; 1 waits for each answer)
      --trace              show the IMAP conversation on standard error, secrets redacted
      --version            show gocyradm's version
  -h, --help               show this help

Exit status: 0 all succeeded, 1 a command failed, 2 bad usage, 3 cannot connect,
4 authentication failed, 5 connection lost.
`

// parseFlags parses the command line. Options may come before or after the server.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{timeout: 2 * time.Minute}
	fs := flag.NewFlagSet("gocyradm", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	str := func(p *string, value string, names ...string) {
		for _, n := range names {
			fs.StringVar(p, n, value, "")
		}
	}
	boolean := func(p *bool, names ...string) {
		for _, n := range names {
			fs.BoolVar(p, n, false, "")
		}
	}
	str(&o.user, os.Getenv("USER"), "u", "user")
	str(&o.authz, "", "z", "authz")
	str(&o.mech, "", "a", "auth")
	str(&o.password, "", "w", "password")
	str(&o.passwordFile, "", "password-file")
	str(&o.server, "", "s", "server")
	fs.IntVar(&o.port, "p", 0, "")
	fs.IntVar(&o.port, "port", 0, "")
	boolean(&o.tls, "tls")
	boolean(&o.starttls, "starttls")
	boolean(&o.notls, "notls")
	str(&o.cafile, "", "cafile")
	str(&o.capath, "", "capath", "cadir")
	str(&o.tlskey, "", "t", "tlskey")
	boolean(&o.insecure, "insecure")
	boolean(&o.allowPlaintext, "allow-plaintext")
	str(&o.file, "", "f")
	str(&o.command, "", "c")
	str(&o.output, "", "o", "output")
	boolean(&o.json, "json")
	boolean(&o.stopOnError, "e", "stop-on-error")
	boolean(&o.yes, "y", "yes")
	boolean(&o.dryRun, "n", "dry-run")
	boolean(&o.trace, "trace")
	boolean(&o.version, "version")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "")
	fs.IntVar(&o.window, "window", admin.DefaultWindow, "")
	boolean(&o.rc, "rc")
	boolean(&o.norc, "norc")
	str(&o.systemrc, "", "S", "systemrc")
	str(&o.userrc, "", "userrc")
	help := false
	boolean(&help, "h", "help")

	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if help {
		fmt.Fprint(stderr, usageText)
		return nil, flag.ErrHelp
	}
	return o, o.check(positional)
}

// check validates combinations and takes the server from the arguments.
func (o *options) check(positional []string) error {
	switch {
	case len(positional) > 1:
		return fmt.Errorf("one server only, got %s", strings.Join(positional, " "))
	case len(positional) == 1 && o.server != "":
		return fmt.Errorf("the server is given twice: --server %s and %s", o.server, positional[0])
	case len(positional) == 1:
		o.server = positional[0]
	}
	if n := count(o.tls, o.starttls, o.notls); n > 1 {
		return fmt.Errorf("--tls, --starttls and --notls exclude each other")
	}
	if o.command != "" && o.file != "" {
		return fmt.Errorf("-c and -f exclude each other")
	}
	if o.json {
		if o.output != "" && o.output != "json" {
			return fmt.Errorf("--json and -o %s exclude each other", o.output)
		}
		o.output = "json"
	}
	if o.rc && o.norc {
		return fmt.Errorf("--rc and --norc exclude each other")
	}
	if o.tlskey != "" && o.notls {
		return fmt.Errorf("--tlskey needs TLS: it cannot go with --notls")
	}
	if o.window < 1 {
		return fmt.Errorf("--window must be at least 1")
	}
	if o.timeout < 0 {
		return fmt.Errorf("--timeout must not be negative")
	}
	if o.server != "" && o.user == "" {
		return fmt.Errorf("no user name: give -u NAME ($USER is not set)")
	}
	return nil
}

func count(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

// config returns the connection settings the options describe.
func (o *options) config(stdio admin.IO) admin.Config {
	cfg := admin.Config{
		Server: o.server, Port: o.port, User: o.user, Authz: o.authz, Mechanism: o.mech,
		CAFile: o.cafile, CAPath: o.capath, TLSKey: o.tlskey, Insecure: o.insecure, AllowPlaintext: o.allowPlaintext,
		Timeout: o.timeout, Password: passwordSource(o, stdio),
	}
	switch {
	case o.tls:
		cfg.TLS = admin.TLSImplicit
	case o.starttls:
		cfg.TLS = admin.TLSRequired
	case o.notls:
		cfg.TLS = admin.TLSOff
	}
	if o.trace {
		cfg.Trace = stdio.Err
	}
	return cfg
}

// startupFiles returns the startup files to run, in order.
func (o *options) startupFiles() []string {
	var files []string
	if o.systemrc != "" {
		files = append(files, o.systemrc)
	} else if exists("/etc/gocyradmrc") {
		files = append(files, "/etc/gocyradmrc")
	}
	if o.userrc != "" {
		return append(files, o.userrc)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return files
	}
	for _, name := range []string{".gocyradmrc", ".cyradmrc.pl"} {
		if path := filepath.Join(home, name); exists(path) {
			return append(files, path)
		}
	}
	return files
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
