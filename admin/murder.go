package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/mailbox"
)

// Metadata entries of Cyrus that tell the shape of a Murder.
const (
	// locationEntry is where a Murder frontend tells which backend holds a mailbox; a
	// backend has no such entry (only the partition, in the same tree).
	locationEntry = "/shared/vendor/cmu/cyrus-imapd/server"
	// freespaceEntry is the server entry in which Cyrus reports the free space of its
	// partitions: a backend has partitions, a frontend none.
	freespaceEntry = "/shared/vendor/cmu/cyrus-imapd/freespace"
)

// Waits for a Murder to show a move: settleWait bounds how long a moved mailbox may take
// to show its new backend (the mupdate master passes changes on to the frontends every
// 5 s), and settlePoll is how often its location is asked for meanwhile. Variables, so
// that tests can shorten them.
var (
	settleWait = 6 * time.Second
	settlePoll = 250 * time.Millisecond
)

// inMurder reports whether the server is part of a Cyrus Murder: its frontends and
// backends announce MUPDATE=mupdate://master/.
func inMurder(c *imapconn.Client) bool {
	for _, capability := range c.Capabilities() {
		if strings.HasPrefix(strings.ToUpper(capability), "MUPDATE=") {
			return true
		}
	}
	return false
}

// murderRole remembers whether a connection is to a backend of a Murder, once asked.
type murderRole struct {
	mu             sync.Mutex
	asked, backend bool
}

// explainMissing adds to a Murder backend's "Mailbox does not exist" that the mailbox may
// live on another backend: unlike a frontend, a backend knows only its own mailboxes.
// Other refusals are returned as they are.
func (r *murderRole) explainMissing(ctx context.Context, c *imapconn.Client, no *imapconn.Error) error {
	missing := no.Code == "NONEXISTENT" || no.Text == "Mailbox does not exist"
	if !missing || !inMurder(c) || !r.isBackend(ctx, c) {
		return no
	}
	return fmt.Errorf("%w (%s is a backend of a Cyrus Murder, which knows only its own mailboxes: "+
		"the mailbox may live on another backend; connect to the frontend to reach every mailbox)", no, c.Host())
}

// isBackend reports whether c is a backend, asking the server the first time (until the
// answer comes, and if asking fails, it is not taken for one).
func (r *murderRole) isBackend(ctx context.Context, c *imapconn.Client) bool {
	r.mu.Lock()
	asked := r.asked
	r.asked = true
	r.mu.Unlock()
	if !asked {
		entries, err := c.GetMetadata(ctx, "", []string{freespaceEntry}, imapconn.MetadataOptions{}).Wait(ctx)
		r.mu.Lock()
		r.backend = err == nil && entryValue(entries, freespaceEntry) != ""
		r.mu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.backend
}

// entryValue returns the value of the named entry, or "" if it has none.
func entryValue(entries []imapconn.Entry, name string) string {
	for _, e := range entries {
		if e.Name == name && e.Value != nil {
			return *e.Value
		}
	}
	return ""
}

// location is where a mailbox lives, or why that could not be told.
type location struct {
	server string // the backend; "" when the server names none, as a backend does
	err    error
}

// locate asks for the backend of every mailbox, all pipelined: every GETMETADATA is sent
// before any answer is waited for.
func (s *Session) locate(ctx context.Context, names []string) []location {
	pending := make([]*imapconn.Pending[[]imapconn.Entry], len(names))
	for i, name := range names {
		pending[i] = s.Client.GetMetadata(ctx, name, []string{locationEntry}, imapconn.MetadataOptions{})
	}
	out := make([]location, len(names))
	for i, p := range pending {
		entries, err := p.Wait(ctx)
		out[i] = location{server: entryValue(entries, locationEntry), err: err}
	}
	return out
}

// addServers fills in the backend of each selectable mailbox of a listing.
func (s *Session) addServers(ctx context.Context, l mailboxList) (Result, error) {
	if !inMurder(s.Client) {
		return nil, errors.New("--server needs a Cyrus Murder, and the server announces no MUPDATE=: list without --server")
	}
	var names []string
	var at []int
	for i, m := range l.Mailboxes {
		if !hasAttr(m.Attributes, `\Noselect`) && !hasAttr(m.Attributes, `\NonExistent`) {
			names = append(names, m.Name)
			at = append(at, i)
		}
	}
	var errs []error
	for j, loc := range s.locate(ctx, names) {
		l.Mailboxes[at[j]].Server = loc.server
		if loc.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", names[j], loc.err))
		}
	}
	l.servers = true
	return l, errors.Join(errs...)
}

// move is one mailbox of an xfermailbox in a Murder. JSON fields: "mailbox"; "from", the
// backend it was on ("" if the server did not tell); "with", the user's INBOX whose move
// takes it along, if any; "moved", whether it is now on the target backend; "already",
// whether it was there before; "error", why it was not moved.
type move struct {
	Mailbox string `json:"mailbox"`
	From    string `json:"from,omitempty"`
	With    string `json:"with,omitempty"`
	Moved   bool   `json:"moved"`
	Already bool   `json:"already,omitempty"`
	Error   string `json:"error,omitempty"`

	err  error
	wait func(context.Context) error // waits for the mailbox's own move command, if it has one
}

// moves is the result of xfermailbox on a pattern in a Murder. JSON fields: "server", the
// target backend, and "mailboxes", one move per mailbox.
type moves struct {
	Server    string `json:"server"`
	Mailboxes []move `json:"mailboxes"`
}

// line describes one mailbox's move.
func (m move) line(server string) string {
	switch {
	case m.Already:
		return fmt.Sprintf("%s is already on %s.", m.Mailbox, server)
	case m.err != nil:
		return fmt.Sprintf("Moving %s to %s...failed: %v", m.Mailbox, server, strings.ReplaceAll(m.err.Error(), "\n", "; "))
	case m.With != "":
		return fmt.Sprintf("Moving %s to %s with %s...OK.", m.Mailbox, server, m.With)
	}
	return fmt.Sprintf("Moving %s to %s...OK.", m.Mailbox, server)
}

// summary counts the moves.
func (ms moves) summary() string {
	moved, already, failed := 0, 0, 0
	for _, m := range ms.Mailboxes {
		switch {
		case m.Already:
			already++
		case m.Moved:
			moved++
		default:
			failed++
		}
	}
	return fmt.Sprintf("%d of %d mailboxes moved to %s, %d already there, %d failed",
		moved, len(ms.Mailboxes), ms.Server, already, failed)
}

// Plain writes one line per mailbox, then the summary.
func (ms moves) Plain(w io.Writer) error {
	var b strings.Builder
	for _, m := range ms.Mailboxes {
		b.WriteString(m.line(ms.Server) + "\n")
	}
	b.WriteString(ms.summary() + ".\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Table writes one row per mailbox, then the summary.
func (ms moves) Table(w io.Writer, width int) error {
	rows := make([][]string, len(ms.Mailboxes))
	for i, m := range ms.Mailboxes {
		result := "moved"
		switch {
		case m.Already:
			result = "already there"
		case m.err != nil:
			result = "failed: " + m.Error
		case m.With != "":
			result = "moved with " + m.With
		}
		rows[i] = []string{m.Mailbox, m.From, result}
	}
	if err := writeTable(w, width, []string{"mailbox", "from", "to " + ms.Server}, rows); err != nil {
		return err
	}
	_, err := io.WriteString(w, ms.summary()+".\n")
	return err
}

// moveMailboxes moves a mailbox, or every mailbox a pattern matches, to another backend
// of the Murder the session is connected to. Through a frontend, which tells where each
// mailbox lives, each moves with RENAME name name server[!partition] (all pipelined), and
// a move counts only once the frontend shows the mailbox on the new backend. A backend
// tells no locations: it is sent XFER, which it alone can perform for its mailboxes.
func (s *Session) moveMailboxes(ctx context.Context, pattern, server, part string) (Result, error) {
	names, sep, several, err := s.moveTargets(ctx, pattern)
	if err != nil {
		return nil, err
	}
	ms := moves{Server: server, Mailboxes: make([]move, len(names))}
	for i, loc := range s.locate(ctx, names) {
		ms.Mailboxes[i] = move{Mailbox: names[i], From: loc.server, err: loc.err}
	}
	s.startMoves(ctx, ms.Mailboxes, server, part, sep)
	waitMoves(ctx, ms.Mailboxes)
	if !s.DryRun { // a dry run moves nothing: there is nothing to see
		s.settle(ctx, ms.Mailboxes, server)
	}
	var errs []error
	for i := range ms.Mailboxes {
		m := &ms.Mailboxes[i]
		m.Moved = m.err == nil && !m.Already
		if m.err != nil {
			m.Error = m.err.Error()
			errs = append(errs, nameFailure(m.Mailbox, several, m.err))
		}
	}
	if !several {
		return done{}, errors.Join(errs...)
	}
	return ms, countFailures(errs, len(errs), len(names), true)
}

// moveTargets returns the mailboxes a pattern matches (or the mailbox it names), their
// hierarchy separator, and whether it was a pattern.
func (s *Session) moveTargets(ctx context.Context, pattern string) ([]string, rune, bool, error) {
	if !mailbox.HasWildcard(pattern) {
		return []string{pattern}, '.', false, nil
	}
	items, err := s.expand(ctx, pattern)
	if err != nil {
		return nil, 0, true, err
	}
	return itemNames(items), separator(items), true, nil
}

// startMoves sends each mailbox's move command, unless it is already on the server, or
// is one of a user's mailboxes whose INBOX moves too (a user's mailboxes can only move
// together, with the INBOX).
func (s *Session) startMoves(ctx context.Context, ms []move, server, part string, sep rune) {
	moving := map[string]bool{}
	for i := range ms {
		m := &ms[i]
		switch {
		case m.err != nil:
		case strings.EqualFold(m.From, server):
			m.Already = true
		case moving[userInbox(m.Mailbox, sep)]:
			m.With = userInbox(m.Mailbox, sep)
		default:
			moving[m.Mailbox] = true
			m.wait = s.startMove(ctx, *m, server, part)
		}
	}
}

// startMove sends the command that moves one mailbox and returns what waits for it.
func (s *Session) startMove(ctx context.Context, m move, server, part string) func(context.Context) error {
	if m.From == "" {
		return func(ctx context.Context) error { return s.Client.Xfer(ctx, m.Mailbox, server, part) }
	}
	p := s.Client.Relocate(ctx, m.Mailbox, server, part)
	return func(ctx context.Context) error {
		_, err := p.Wait(ctx)
		return err
	}
}

// waitMoves waits for every move command, in order. A mailbox moving with its user's
// INBOX fails when the INBOX does.
func waitMoves(ctx context.Context, ms []move) {
	failed := map[string]error{}
	for i := range ms {
		m := &ms[i]
		switch {
		case m.wait != nil:
			m.err = m.wait(ctx)
			failed[m.Mailbox] = m.err
		case m.With != "" && failed[m.With] != nil:
			m.err = fmt.Errorf("moving %s failed", m.With)
		}
	}
}

// settle polls the frontend until every mailbox that was moved shows the new backend,
// for at most settleWait; a mailbox that still does not is a failure. Moves through a
// backend cannot be seen this way: its XFER's answer is final.
func (s *Session) settle(ctx context.Context, ms []move, server string) {
	var at []int // the mailboxes still to see on the server
	for i, m := range ms {
		if m.err == nil && !m.Already && m.From != "" {
			at = append(at, i)
		}
	}
	deadline := time.Now().Add(settleWait)
	var locs []location
	for len(at) > 0 {
		names := make([]string, len(at))
		for j, i := range at {
			names[j] = ms[i].Mailbox
		}
		at, locs = unsettled(at, s.locate(ctx, names), server)
		if len(at) == 0 || time.Now().After(deadline) || sleep(ctx, settlePoll) != nil {
			break
		}
	}
	for j, i := range at {
		ms[i].err = notSettled(locs[j], server)
	}
}

// unsettled keeps the mailboxes, and their locations, that are not on the server yet.
func unsettled(at []int, locs []location, server string) ([]int, []location) {
	var still []int
	var stillLocs []location
	for j, loc := range locs {
		if loc.err != nil || !strings.EqualFold(loc.server, server) {
			still, stillLocs = append(still, at[j]), append(stillLocs, loc)
		}
	}
	return still, stillLocs
}

// notSettled says why a moved mailbox does not show on the new backend.
func notSettled(loc location, server string) error {
	if loc.err != nil {
		return fmt.Errorf("the server accepted the move to %s, but asking where the mailbox is now fails: %w", server, loc.err)
	}
	return fmt.Errorf("the server accepted the move, but after %s it still shows the mailbox on %s, not %s: check the backends' and the mupdate master's logs", settleWait, loc.server, server)
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// userInbox returns the INBOX of the user whose mailbox name is (user.alice for
// user.alice.Sent, or for user.alice@example.com's mailboxes the same with the domain),
// or "" for a mailbox outside the users' hierarchy.
func userInbox(name string, sep rune) string {
	local, domain, hasDomain := strings.Cut(name, "@")
	parts := strings.SplitN(local, string(sep), 3)
	if len(parts) < 2 || parts[0] != "user" {
		return ""
	}
	inbox := parts[0] + string(sep) + parts[1]
	if hasDomain {
		inbox += "@" + domain
	}
	return inbox
}
