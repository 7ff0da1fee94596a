package admin

import (
	"context"
	"crypto/tls"
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
	TLSKey         string // a PEM file with a client certificate and its key, for EXTERNAL
	Insecure       bool   // skip certificate verification
	AllowPlaintext bool   // allow a password in the clear to a host that is not loopback
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
	// The CA files are read before connecting, so that a bad one is reported first; with
	// --notls the system's CAs are not loaded at all, which a one-shot command notices.
	var tlsConfig *tls.Config
	if cfg.TLS != TLSOff {
		if tlsConfig, err = imapconn.TLSConfig(host, cfg.tlsOptions()); err != nil {
			return nil, err
		}
	}
	var implicitConfig *tls.Config
	if implicit {
		implicitConfig = tlsConfig
	}
	c, err := imapconn.Dial(ctx, addr, implicitConfig, imapconn.Options{Trace: cfg.Trace})
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
	if err := c.StartTLS(ctx, tlsConfig); err != nil {
		c.Close()
		return nil, describeDial(addr, err)
	}
	return c, nil
}

func (cfg Config) tlsOptions() imapconn.TLSOptions {
	return imapconn.TLSOptions{CAFile: cfg.CAFile, CADir: cfg.CAPath, ClientKey: cfg.TLSKey, Insecure: cfg.Insecure}
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
	mech, err := chooseMechanism(c, cfg)
	if err != nil {
		return &AuthError{Err: err}
	}
	if err := authenticateWith(ctx, c, cfg, mech); err != nil {
		return &AuthError{Err: err}
	}
	if c.Has("UTF8=ACCEPT") {
		if _, err := c.Enable(ctx, "UTF8=ACCEPT"); err != nil {
			return &ConnectError{Err: err}
		}
	}
	return nil
}

// authenticateWith logs in with mech: EXTERNAL with the client certificate, any other with
// the password, which is asked for only once the connection may carry it.
func authenticateWith(ctx context.Context, c *imapconn.Client, cfg Config, mech string) error {
	if mech == sasl.External {
		return c.Authenticate(ctx, sasl.NewExternalClient(cfg.Authz))
	}
	if err := plaintextAllowed(c, cfg); err != nil {
		return err
	}
	password, err := cfg.Password()
	if err != nil {
		return err
	}
	if mech == "login" {
		return c.Login(ctx, cfg.User, password)
	}
	sc, err := saslClient(mech, cfg, password)
	if err != nil {
		return err
	}
	return c.Authenticate(ctx, sc)
}

// plaintextAllowed refuses to log in with a password over a connection without TLS to a
// host that is not loopback: the password, or what proves it, would travel in the clear.
func plaintextAllowed(c *imapconn.Client, cfg Config) error {
	if c.TLS() || cfg.AllowPlaintext {
		return nil
	}
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to send a password unencrypted to %s: use TLS (the server offers no STARTTLS, or --notls was given) or pass --allow-plaintext", c.RemoteAddr())
}

// mechanisms lists the SASL mechanisms gocyradm can use with a password, strongest first.
var mechanisms = []string{imapconn.SCRAMSHA256, imapconn.SCRAMSHA1, imapconn.CRAMMD5, sasl.Plain, sasl.Login}

// proxyMechanisms are those that carry an authorization identity (-z).
var proxyMechanisms = []string{imapconn.SCRAMSHA256, imapconn.SCRAMSHA1, sasl.Plain, sasl.External}

// ValidateMechanism refuses a mechanism gocyradm cannot use: it takes the SASL names
// (in any case), EXTERNAL among them, and "login", lower case, for the IMAP LOGIN command.
func ValidateMechanism(m string) error {
	if m == "login" || strings.EqualFold(m, sasl.External) || slices.Contains(mechanisms, strings.ToUpper(m)) {
		return nil
	}
	names := strings.Join(mechanisms, ", ") + ", " + sasl.External
	if strings.ContainsAny(m, " ,") {
		return fmt.Errorf("give one mechanism, not a list (%s): one of %s, or login", m, names)
	}
	return fmt.Errorf("unsupported mechanism %s: use one of %s, or login for the IMAP LOGIN command", m, names)
}

// chooseMechanism returns the mechanism cfg names, checked against the server's offer,
// or else the strongest both sides support: EXTERNAL first when a client certificate
// is given, then the password mechanisms, then the LOGIN command. Acting as another
// user (-z) needs a mechanism that carries the authorization identity.
func chooseMechanism(c *imapconn.Client, cfg Config) (string, error) {
	if cfg.Mechanism != "" {
		return namedMechanism(c, cfg)
	}
	candidates := mechanisms
	if cfg.TLSKey != "" {
		candidates = append([]string{sasl.External}, mechanisms...)
	}
	for _, m := range candidates {
		if c.Has("AUTH="+m) && (cfg.Authz == "" || slices.Contains(proxyMechanisms, m)) {
			return m, nil
		}
	}
	if cfg.Authz != "" {
		return "", fmt.Errorf("acting as %s needs SCRAM-SHA-256, SCRAM-SHA-1 or PLAIN (or EXTERNAL with --tlskey), which the server does not offer (it offers %s)", cfg.Authz, offered(c))
	}
	if c.Has("LOGINDISABLED") {
		return "", fmt.Errorf("the server offers no mechanism gocyradm supports (it offers %s) and disables LOGIN", offered(c))
	}
	return "login", nil
}

// namedMechanism checks the mechanism cfg names: it must be known, offered, able to act
// as cfg.Authz if that is set, and EXTERNAL needs a client certificate.
func namedMechanism(c *imapconn.Client, cfg Config) (string, error) {
	m := cfg.Mechanism
	if err := ValidateMechanism(m); err != nil {
		return "", err
	}
	if m == "login" {
		if cfg.Authz != "" {
			return "", fmt.Errorf("the LOGIN command cannot act as %s: use -a PLAIN or a SCRAM mechanism", cfg.Authz)
		}
		return m, nil
	}
	m = strings.ToUpper(m)
	switch {
	case m == sasl.External && cfg.TLSKey == "":
		return "", errors.New("EXTERNAL needs a client certificate: give --tlskey FILE")
	case cfg.Authz != "" && !slices.Contains(proxyMechanisms, m):
		return "", fmt.Errorf("%s cannot act as %s: use SCRAM-SHA-256, SCRAM-SHA-1 or PLAIN", m, cfg.Authz)
	case m == sasl.External && !c.Has("AUTH="+m):
		return "", fmt.Errorf("the server does not offer EXTERNAL: it took no identity from the client certificate of --tlskey (it offers %s)", offered(c))
	case !c.Has("AUTH=" + m):
		return "", fmt.Errorf("the server does not offer %s (it offers %s)", m, offered(c))
	}
	return m, nil
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

// saslClient returns the SASL client of a password mechanism.
func saslClient(mech string, cfg Config, password string) (sasl.Client, error) {
	switch mech {
	case imapconn.SCRAMSHA256, imapconn.SCRAMSHA1:
		return imapconn.NewSCRAMClient(mech, cfg.User, password, cfg.Authz)
	case imapconn.CRAMMD5:
		return imapconn.NewCRAMMD5Client(cfg.User, password), nil
	case sasl.Login:
		return sasl.NewLoginClient(cfg.User, password), nil
	}
	return sasl.NewPlainClient(cfg.Authz, cfg.User, password), nil
}
