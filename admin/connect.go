package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/gocyradm/gocyradm/imapconn"
)

// TLSMode says whether and how a connection uses TLS.
type TLSMode int

// The TLS modes.
const (
	TLSAuto     TLSMode = iota // STARTTLS whenever the server offers it
	TLSImplicit                // TLS from the first byte (imaps)
	TLSRequired                // STARTTLS, failing if the server does not offer it
	TLSOff                     // no TLS at all
)

// Config says how to reach a server and log in.
type Config struct {
	Server         string // host, host:port, [v6]:port, imap://host[:port] or imaps://host[:port]
	Port           int    // overrides the port in Server when not 0
	User           string // authentication identity
	Authz          string // authorization identity; "" to act as User
	Mechanism      string // a SASL mechanism, "login" for the LOGIN command, "" for the best offered
	TLS            TLSMode
	CAFile, CAPath string
	Insecure       bool // skip certificate verification
	AllowPlaintext bool // allow a password in the clear to a host that is not loopback
	Timeout        time.Duration
	Trace          io.Writer
	// Password returns the password; it is called only when one is needed.
	Password func() (string, error)
}

// ConnectError reports a failure to reach the server: name lookup, refusal, timeout,
// TLS handshake or certificate failure.
type ConnectError struct{ Err error }

func (e *ConnectError) Error() string { return "cannot connect: " + e.Err.Error() }
func (e *ConnectError) Unwrap() error { return e.Err }

// AuthError reports a failed login, or a password that could not be obtained or sent.
type AuthError struct{ Err error }

func (e *AuthError) Error() string { return "authentication failed: " + e.Err.Error() }
func (e *AuthError) Unwrap() error { return e.Err }

// Address returns the host to verify and the host:port to dial for cfg, and whether
// the server speaks implicit TLS.
func (cfg Config) Address() (host, addr string, implicit bool, err error) {
	s, implicit := cfg.Server, cfg.TLS == TLSImplicit
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Host == "" {
			return "", "", false, fmt.Errorf("invalid server %q: use host, host:port, imap://host or imaps://host", s)
		}
		s, implicit = u.Host, implicit || u.Scheme == "imaps"
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	switch {
	case cfg.Port != 0:
		port = strconv.Itoa(cfg.Port)
	case port == "" && implicit:
		port = "993"
	case port == "":
		port = "143"
	}
	if host == "" {
		return "", "", false, fmt.Errorf("invalid server %q: no host name", cfg.Server)
	}
	return host, net.JoinHostPort(host, port), implicit, nil
}

// Connect dials the server, secures the connection as cfg.TLS says, and logs in.
func Connect(ctx context.Context, cfg Config) (*imapconn.Client, error) {
	ctx, cancel := withTimeout(ctx, cfg.Timeout)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if g := c.Greeting(); g != nil && g.Status == "PREAUTH" {
		return c, nil
	}
	if err := Login(ctx, c, cfg); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Dial connects to the server and secures the connection as cfg.TLS says, without
// logging in. Its errors are *ConnectError.
func Dial(ctx context.Context, cfg Config) (*imapconn.Client, error) {
	ctx, cancel := withTimeout(ctx, cfg.Timeout)
	defer cancel()
	c, err := dial(ctx, cfg)
	if err != nil {
		return nil, &ConnectError{Err: err}
	}
	return c, nil
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

func dial(ctx context.Context, cfg Config) (*imapconn.Client, error) {
	host, addr, implicit, err := cfg.Address()
	if err != nil {
		return nil, err
	}
	tlsConfig, err := imapconn.TLSConfig(host, cfg.CAFile, cfg.CAPath, cfg.Insecure)
	if err != nil {
		return nil, err
	}
	opts := imapconn.Options{Trace: cfg.Trace}
	if !implicit {
		tlsConfig = nil
	}
	c, err := imapconn.Dial(ctx, addr, tlsConfig, opts)
	if err != nil {
		return nil, describeDial(addr, err)
	}
	if implicit || cfg.TLS == TLSOff || (cfg.TLS == TLSAuto && !c.Has("STARTTLS")) {
		return c, nil
	}
	if !c.Has("STARTTLS") {
		c.Close()
		return nil, fmt.Errorf("%s does not offer STARTTLS, which --starttls requires", addr)
	}
	if tlsConfig == nil {
		tlsConfig, _ = imapconn.TLSConfig(host, cfg.CAFile, cfg.CAPath, cfg.Insecure) // read successfully above
	}
	if err := c.StartTLS(ctx, tlsConfig); err != nil {
		c.Close()
		return nil, describeDial(addr, err)
	}
	return c, nil
}

// describeDial adds to a dial or TLS error what the user can do about it.
func describeDial(addr string, err error) error {
	var terr *imapconn.TLSError
	switch {
	case errors.As(err, &terr):
		return fmt.Errorf("%s: %w: %s", addr, err, tlsHint(terr))
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: no answer in time (raise --timeout if the server is slow)", addr)
	}
	return err
}

func tlsHint(err *imapconn.TLSError) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unknown authority"):
		return "pass the CA that signed it with --cafile FILE or --capath DIR (or --insecure to skip verification)"
	case strings.Contains(msg, "not valid for"):
		return "connect with the name the certificate was issued for"
	case strings.Contains(msg, "expired"):
		return "the server needs a valid certificate (check its clock and this machine's)"
	}
	return "check the server's TLS setup, or connect with --notls"
}

// Login authenticates with the mechanism cfg names or the best one offered, then enables
// UTF8=ACCEPT where the server offers it, so that names travel as UTF-8. Its errors are
// *AuthError, or *ConnectError when the connection fails after the login.
func Login(ctx context.Context, c *imapconn.Client, cfg Config) error {
	if err := plaintextAllowed(c, cfg); err != nil {
		return &AuthError{Err: err}
	}
	mech, err := chooseMechanism(c, cfg)
	if err != nil {
		return &AuthError{Err: err}
	}
	password, err := cfg.Password()
	if err != nil {
		return &AuthError{Err: err}
	}
	if mech == "login" {
		err = c.Login(ctx, cfg.User, password)
	} else {
		err = c.Authenticate(ctx, saslClient(mech, cfg, password))
	}
	if err != nil {
		return &AuthError{Err: err}
	}
	if c.Has("UTF8=ACCEPT") {
		if _, err := c.Enable(ctx, "UTF8=ACCEPT"); err != nil {
			return &ConnectError{Err: err}
		}
	}
	return nil
}

// plaintextAllowed refuses to send a password unencrypted to a host that is not loopback.
func plaintextAllowed(c *imapconn.Client, cfg Config) error {
	if c.TLS() || cfg.AllowPlaintext {
		return nil
	}
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to send a password unencrypted to %s: use TLS (the server offers no STARTTLS, or --notls was given) or pass --allow-plaintext", c.RemoteAddr())
}

// mechanisms lists the SASL mechanisms gocyradm can use, strongest first.
var mechanisms = []string{"PLAIN", "LOGIN"}

// ValidateMechanism refuses a mechanism gocyradm cannot use: it takes the SASL names
// (in any case) and "login", lower case, for the IMAP LOGIN command.
func ValidateMechanism(m string) error {
	if m == "login" || slices.Contains(mechanisms, strings.ToUpper(m)) {
		return nil
	}
	if strings.ContainsAny(m, " ,") {
		return fmt.Errorf("give one mechanism, not a list (%s): one of %s, or login", m, strings.Join(mechanisms, ", "))
	}
	return fmt.Errorf("unsupported mechanism %s: use one of %s, or login for the IMAP LOGIN command", m, strings.Join(mechanisms, ", "))
}

func chooseMechanism(c *imapconn.Client, cfg Config) (string, error) {
	if m := cfg.Mechanism; m != "" {
		if err := ValidateMechanism(m); err != nil || m == "login" {
			return m, err
		}
		m = strings.ToUpper(m)
		if !c.Has("AUTH=" + m) {
			return "", fmt.Errorf("the server does not offer %s (it offers %s)", m, offered(c))
		}
		return m, nil
	}
	for _, m := range mechanisms {
		if c.Has("AUTH="+m) && (cfg.Authz == "" || m == "PLAIN") {
			return m, nil
		}
	}
	if cfg.Authz != "" {
		return "", fmt.Errorf("acting as %s needs PLAIN, which the server does not offer (it offers %s)", cfg.Authz, offered(c))
	}
	if c.Has("LOGINDISABLED") {
		return "", fmt.Errorf("the server offers no mechanism gocyradm supports (it offers %s) and disables LOGIN", offered(c))
	}
	return "login", nil
}

func offered(c *imapconn.Client) string {
	var ms []string
	for _, capability := range c.Capabilities() {
		if m, ok := strings.CutPrefix(strings.ToUpper(capability), "AUTH="); ok {
			ms = append(ms, m)
		}
	}
	if ms == nil {
		return "no SASL mechanism"
	}
	return strings.Join(ms, ", ")
}

func saslClient(mech string, cfg Config, password string) sasl.Client {
	if mech == "LOGIN" {
		return sasl.NewLoginClient(cfg.User, password)
	}
	return sasl.NewPlainClient(cfg.Authz, cfg.User, password)
}
