package admin

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
)

// A Cyrus Murder frontend proxies an admin's commands to the backend that holds the
// mailbox, unless the client has announced that it understands referrals (by sending RLIST
// or RLSUB, which gocyradm never does): then it answers some commands on remote mailboxes
// with NO [REFERRAL imap://;AUTH=*@backend/mailbox]. The session follows such referrals
// for every verb: it logs in to the backend with its own credentials and TLS policy, runs
// the command again there and reports that answer as the command's. The connection is
// kept for later referrals to the same backend and logged out of when the session closes.

// logoutWait bounds the LOGOUT of each backend connection when the session closes.
const logoutWait = 5 * time.Second

// backends are the connections a session opened to follow referrals.
type backends struct {
	mu       sync.Mutex
	conns    map[string]*imapconn.Client // by host:port as the referral names it
	password func() (string, error)      // the session's, asked for at most once
}

// handleRefusals makes c follow referrals, and explain a missing mailbox when it is a
// backend of a Murder.
func (s *Session) handleRefusals(c *imapconn.Client) {
	role := &murderRole{}
	c.HandleRefusals(func(ctx context.Context, no *imapconn.Error) (*imapconn.Client, error) {
		if no.Referral() != "" {
			return s.follow(ctx, no)
		}
		return nil, role.explainMissing(ctx, c, no)
	})
}

// follow returns the connection to the backend a referral names, opened if need be, or
// why the command cannot be sent there.
func (s *Session) follow(ctx context.Context, no *imapconn.Error) (*imapconn.Client, error) {
	r, err := parseReferral(no.Referral())
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", no, err)
	}
	c, err := s.backend(ctx, r)
	if err != nil {
		// Not wrapped: the loss of a backend connection is not the session's.
		return nil, fmt.Errorf("mailbox %s lives on %s: %v", r.mailbox, r.host, err)
	}
	return c, nil
}

// referral is where a REFERRAL response code sends a command.
type referral struct {
	user    string // the user to log in as; "" when the session's own will do
	addr    string // host or host:port
	host    string
	mailbox string
}

// parseReferral reads an IMAP URL (RFC 5092), imap://[user][;AUTH=mech]@host[:port]/mailbox,
// as Cyrus sends it: imap://;AUTH=*@backend2.lab/user.bob.
func parseReferral(raw string) (referral, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "imap" || u.Host == "" {
		return referral{}, fmt.Errorf("the referral %q is not an IMAP URL that gocyradm can follow", raw)
	}
	r := referral{addr: strings.ToLower(u.Host), host: u.Hostname()}
	if u.User != nil {
		r.user, _, _ = strings.Cut(u.User.Username(), ";")
	}
	r.mailbox, _, _ = strings.Cut(strings.TrimPrefix(u.Path, "/"), ";")
	return r, nil
}

// backend returns the session's connection to the referred backend, logging in there as
// the session did if there is none yet (or it was lost).
func (s *Session) backend(ctx context.Context, r referral) (*imapconn.Client, error) {
	if me := s.identityName(); r.user != "" && r.user != me {
		return nil, fmt.Errorf("the referral asks to log in as %s, and this session is %s: connect to %s as %s", r.user, me, r.host, r.user)
	}
	if s.Config.Password == nil && s.Config.TLSKey == "" {
		return nil, fmt.Errorf("this session has no credentials to log in there with: connect to %s directly", r.host)
	}
	b := &s.backends
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.conns[r.addr]; c != nil && c.Err() == nil {
		return c, nil
	}
	c, err := Connect(ctx, b.config(s.Config, r.addr))
	if err != nil {
		return nil, err
	}
	if b.conns == nil {
		b.conns = map[string]*imapconn.Client{}
	}
	b.conns[r.addr] = c
	return c, nil
}

// identityName is who the session acts as: the authorization identity, else the user.
func (s *Session) identityName() string {
	if s.Config.Authz != "" {
		return s.Config.Authz
	}
	return s.Config.User
}

// config returns how to reach a backend at addr: as the session's connection, but with
// the backend's address. A referral names plain IMAP, so implicit TLS becomes STARTTLS,
// required. The password is asked for at most once; the caller holds b.mu.
func (b *backends) config(cfg Config, addr string) Config {
	cfg.Server, cfg.Port = addr, 0
	if cfg.TLS == TLSImplicit {
		cfg.TLS = TLSRequired
	}
	if b.password == nil && cfg.Password != nil {
		b.password = sync.OnceValues(cfg.Password)
	}
	cfg.Password = b.password
	return cfg
}

// closeBackends logs out of every backend the session followed a referral to.
func (s *Session) closeBackends(ctx context.Context) {
	b := &s.backends
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		lctx, cancel := context.WithTimeout(ctx, logoutWait)
		_ = c.Logout(lctx) // the connection is being dropped: a failed LOGOUT changes nothing
		cancel()
	}
	b.conns, b.password = nil, nil
}
