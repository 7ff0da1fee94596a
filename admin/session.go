package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
)

// Session is one run of the shell: its streams, its connection (if any) and the
// settings of the command line.
type Session struct {
	IO     IO
	Config Config // how to connect, also for the connect verb
	Format Format
	Client *imapconn.Client // nil when not connected
	// Authenticated says whether Client has logged in: server --noauthenticate leaves a
	// connection that has not, until authenticate.
	Authenticated bool
	Version       string // gocyradm's own version
	StopOnError   bool
	Yes           bool          // do not ask before destructive wildcard operations
	DryRun        bool          // show the commands that would change the server instead of sending them
	Timeout       time.Duration // the longest one command may wait for the server; 0 for no limit
	Window        int           // how many script lines may wait for answers at once; 0 for DefaultWindow
	Getenv        func(string) (string, bool)
	// Progress, if set, is told how far an operation over the mailboxes of a pattern
	// has come: done of total mailboxes answered. The interactive shell shows it.
	Progress func(done, total int)

	exit     *int     // set by the exit verb
	backends backends // connections opened to follow referrals
}

// Attach makes c the session's connection, logged in, following referrals, in dry-run
// mode if the session is. The commands a dry run holds back go to standard output, or
// standard error under JSON.
func (s *Session) Attach(c *imapconn.Client) {
	s.Client, s.Authenticated = c, true
	s.handleRefusals(c)
	if s.DryRun {
		w := s.IO.Out
		if s.Format == FormatJSON {
			w = s.IO.Err
		}
		c.SetDryRun(w)
	}
}

// Close logs out of the server and drops the connection, if there is one.
func (s *Session) Close(ctx context.Context) {
	if s.Client == nil {
		return
	}
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	s.closeBackends(ctx)
	_ = s.Client.Logout(ctx) // the connection is being dropped: a failed LOGOUT changes nothing
	s.Client, s.Authenticated = nil, false
}

// errNoConnection is the error of a verb that needs a server when there is none.
var errNoConnection = errors.New("no connection to server (connect with: server HOST)")

// conn returns the connection for a verb that needs one.
func (s *Session) conn() (*imapconn.Client, error) {
	if s.Client == nil {
		return nil, errNoConnection
	}
	if err := s.Client.Err(); err != nil && !errors.Is(err, imapconn.ErrClosed) {
		return nil, err
	}
	return s.Client, nil
}

// commandContext bounds one command's wait by the session's timeout.
func (s *Session) commandContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, s.Timeout, fmt.Errorf("no answer from the server within %s", s.Timeout))
}
