package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
)

func init() {
	register(
		&Verb{
			Name: "server", Aliases: []string{"connect", "servername"},
			Usage: "[--noauthenticate] [HOST]",
			Help:  "show the server, or log out and connect to another one",
			Wire:  "nothing without HOST; else LOGOUT, then a new connection (STARTTLS, AUTHENTICATE or LOGIN)",
			Options: []Option{
				{Name: "noauthenticate", Help: "connect without logging in (log in later with authenticate)"},
			},
			Args: []ArgKind{ArgServer}, MaxArgs: 1, Offline: true,
			Barrier: true, Run: connectServer,
		},
		&Verb{
			Name: "disconnect", Aliases: []string{"disc"},
			Help: "log out and close the connection",
			Wire: "LOGOUT", Offline: true,
			Barrier: true, Run: disconnect,
		},
		&Verb{
			Name: "authenticate", Aliases: []string{"auth", "login"},
			Usage:   "[--mechanisms MECH] [USER]",
			Help:    "log in again to the same server, as USER or as before",
			Wire:    "LOGOUT, then a new connection and AUTHENTICATE or LOGIN (on a connection made with server --noauthenticate: AUTHENTICATE or LOGIN on it)",
			Options: authOptions(),
			Args:    []ArgKind{ArgText}, MaxArgs: 1, Offline: true,
			Barrier: true, Changes: ChangesMailboxes, Run: authenticate,
		},
		&Verb{
			Name: "chdir", Aliases: []string{"cd"},
			Usage: "[DIR]",
			Help:  "change the local working directory (default: your home directory)",
			Args:  []ArgKind{ArgFile}, MaxArgs: 1, Offline: true,
			Barrier: true, Run: changeDir,
		},
	)
}

// refusedAuthOption is one of cyradm's authenticate options that gocyradm does not take,
// and why.
type refusedAuthOption struct {
	Option
	why string
}

var refusedAuthOptions = []refusedAuthOption{
	{Option{Name: "minssf", Value: "N"}, noSecurityLayer},
	{Option{Name: "maxssf", Value: "N"}, noSecurityLayer},
	{Option{Name: "service", Value: "NAME"}, "the SASL service is always imap"},
	{Option{Name: "tlskey", Value: "FILE"}, keepsTLS("--tlskey")},
	{Option{Name: "notls"}, keepsTLS("--notls")},
	{Option{Name: "cafile", Value: "FILE"}, keepsTLS("--cafile")},
	{Option{Name: "capath", Value: "DIR"}, keepsTLS("--capath")},
	{Option{Name: "cadir", Value: "DIR"}, keepsTLS("--capath")},
}

const noSecurityLayer = "gocyradm negotiates no SASL security layer: TLS protects the connection"

// keepsTLS says why authenticate refuses a TLS option, and where to give it instead.
func keepsTLS(flag string) string {
	return "authenticate keeps the session's TLS settings: start gocyradm with " + flag
}

// authOptions returns authenticate's options: the mechanism, and cyradm's other options,
// which are recognized in order to be refused with a reason.
func authOptions() []Option {
	opts := []Option{{Name: "mechanisms", Value: "MECH", Help: "the mechanism, as gocyradm's --auth takes it: " + strings.Join(mechanisms, ", ") + ", or login for the IMAP LOGIN command"}}
	for _, r := range refusedAuthOptions {
		o := r.Option
		o.Help = "not supported: " + r.why
		opts = append(opts, o)
	}
	return opts
}

// serverName is the result of server without an argument. JSON field: "server", as given
// to gocyradm or to the server verb. Plain writes it on one line, as cyradm does.
type serverName struct {
	Server string `json:"server"`
}

func (n serverName) Plain(w io.Writer) error {
	_, err := fmt.Fprintln(w, n.Server)
	return err
}

// connected is the result of server HOST and authenticate: the new identity, with
// whoami's JSON fields. Plain and table write nothing, as cyradm does.
type connected struct {
	identity
}

func (connected) Plain(io.Writer) error      { return nil }
func (connected) Table(io.Writer, int) error { return nil }

func connectServer(ctx context.Context, s *Session, a *Args) (Result, error) {
	if len(a.Pos) == 0 {
		if s.Client == nil {
			return nil, errNoConnection
		}
		return serverName{Server: s.Config.Server}, nil
	}
	cfg := s.Config
	cfg.Server = a.Pos[0]
	if hasPort(cfg.Server) {
		cfg.Port = 0 // the port given with HOST wins over --port
	}
	return s.reconnect(ctx, cfg, !a.Has("noauthenticate"))
}

// hasPort reports whether a server address names its port.
func hasPort(server string) bool {
	if strings.Contains(server, "://") {
		u, err := url.Parse(server)
		return err == nil && u.Port() != ""
	}
	_, _, err := net.SplitHostPort(server)
	return err == nil
}

// reconnect logs out of the current connection, if any, then connects as cfg says,
// logging in unless login is false. The session takes cfg as its Config even when the
// connection fails, so that authenticate can retry the same server; after a failure the
// session goes on unconnected, and the error has Connect's words.
func (s *Session) reconnect(ctx context.Context, cfg Config, login bool) (Result, error) {
	if _, _, _, err := cfg.Address(); err != nil {
		return nil, err
	}
	s.Close(ctx)
	s.Config = cfg
	connect := Connect
	if !login {
		connect = Dial
	}
	c, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.Attach(c)
	if !login {
		g := c.Greeting()
		s.Authenticated = g != nil && g.Status == "PREAUTH"
	}
	return connected{s.identity()}, nil
}

func disconnect(ctx context.Context, s *Session, _ *Args) (Result, error) {
	s.Close(ctx)
	return done{}, nil
}

// authenticate logs in as another user, or again as the same one. IMAP allows one login
// per connection, so it logs out and logs in on a new connection to the same server,
// except on a connection that has not logged in yet (server --noauthenticate).
func authenticate(ctx context.Context, s *Session, a *Args) (Result, error) {
	cfg, err := authConfig(s.Config, a)
	if err != nil {
		return nil, err
	}
	if cfg.Server == "" {
		return nil, errNoConnection
	}
	c := s.Client
	if c == nil || s.Authenticated || c.Err() != nil {
		return s.reconnect(ctx, cfg, true)
	}
	if err := Login(ctx, c, cfg); err != nil {
		return nil, err
	}
	s.Authenticated = true
	s.Config = cfg
	return connected{s.identity()}, nil
}

// authConfig returns the session's Config with the user and mechanism authenticate was
// given, refusing the options gocyradm does not take.
func authConfig(cfg Config, a *Args) (Config, error) {
	for _, r := range refusedAuthOptions {
		if a.Has(r.Name) {
			return cfg, fmt.Errorf("--%s is not supported: %s", r.Name, r.why)
		}
	}
	if m, ok := a.Opts["mechanisms"]; ok {
		if err := ValidateMechanism(m); err != nil {
			return cfg, err
		}
		cfg.Mechanism = m
	}
	if len(a.Pos) == 1 {
		if a.Pos[0] == "" {
			return cfg, errors.New("user name is empty")
		}
		cfg.User = a.Pos[0]
	}
	return cfg, nil
}

// directory is the result of chdir. JSON field: "directory", the new working directory.
// Plain writes nothing, as cyradm does.
type directory struct {
	Directory string `json:"directory"`
}

func (directory) Plain(io.Writer) error { return nil }

// changeDir changes the local working directory, to the home directory without DIR.
func changeDir(_ context.Context, _ *Session, a *Args) (Result, error) {
	var dir string
	if len(a.Pos) == 1 {
		dir = a.Pos[0]
	} else {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		dir = home
	}
	if err := os.Chdir(dir); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %w", dir, pe.Err)
		}
		return nil, err
	}
	wd, err := os.Getwd()
	return directory{Directory: wd}, err
}
