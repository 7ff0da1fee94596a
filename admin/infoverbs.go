package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/imapconn"
)

func init() {
	register(
		&Verb{
			Name:  "myrights",
			Usage: "MAILBOX",
			Help:  "show the rights you have on a mailbox",
			Wire:  "MYRIGHTS mailbox",
			Args:  []ArgKind{ArgMailbox}, MinArgs: 1, MaxArgs: 1,
			Check: requires("ACL"), Run: myRights,
		},
		&Verb{
			Name:  "listrights",
			Usage: "MAILBOX ID",
			Help:  "show the rights an identifier always has and those it may be granted on a mailbox",
			Wire:  "LISTRIGHTS mailbox id",
			Args:  []ArgKind{ArgMailbox, ArgIdentifier}, MinArgs: 2, MaxArgs: 2,
			Check: requires("ACL"), Run: listRights,
		},
		&Verb{
			Name:  "namespace",
			Help:  "show the server's personal, other users' and shared namespaces",
			Wire:  "NAMESPACE",
			Check: requires("NAMESPACE"), Run: showNamespaces,
		},
		&Verb{
			Name: "capability",
			Help: "show the server's capabilities, in its order",
			Wire: "CAPABILITY",
			Run:  showCapabilities,
		},
		&Verb{
			Name:  "status",
			Usage: "MAILBOX [MAILBOX ...]",
			Help:  "show how many messages and unseen messages mailboxes hold, and their size",
			Wire:  "STATUS mailbox (MESSAGES UNSEEN [SIZE]) per mailbox, all pipelined; SIZE when the server announces STATUS=SIZE",
			Args:  []ArgKind{ArgMailbox}, MinArgs: 1, MaxArgs: -1,
			Run: showStatus,
		},
		&Verb{
			Name: "whoami",
			Help: "show the identity you are logged in as, and the server (nothing is sent)",
			Run:  whoami,
		},
	)
}

// mailboxRights is the result of myrights. JSON fields: "mailbox", and "rights", the
// letters as the server sent them.
type mailboxRights struct {
	Mailbox string `json:"mailbox"`
	Rights  string `json:"rights"`
}

// Plain writes the rights letters on one line, such as "lrswipkxtea".
func (m mailboxRights) Plain(w io.Writer) error {
	_, err := fmt.Fprintln(w, m.Rights)
	return err
}

// Table writes one row per right: its letter, its name and what it allows.
func (m mailboxRights) Table(w io.Writer, width int) error {
	letters := []rune(m.Rights)
	rows := make([][]string, len(letters))
	for i, phrase := range acl.Explain(m.Rights) {
		name, meaning, _ := strings.Cut(phrase, ": ")
		rows[i] = []string{string(letters[i]), name, meaning}
	}
	return writeTable(w, width, []string{"right", "name", "meaning"}, rows)
}

func myRights(ctx context.Context, s *Session, a *Args) (Result, error) {
	rights, err := s.Client.MyRights(ctx, a.Pos[0]).Wait(ctx)
	if err != nil {
		return nil, err
	}
	return mailboxRights{Mailbox: a.Pos[0], Rights: rights}, nil
}

// grantable is the result of listrights. JSON fields: "mailbox", "id", "required" (the
// rights the identifier always has, "" for none) and "optional" (the groups of rights
// that may be granted, each all or nothing, in the server's order).
//
// Plain writes two lines: "required: LETTERS" and "optional: GROUP GROUP ...", the
// groups separated by spaces as on the wire ("required: " is followed by nothing when
// no right is required).
type grantable struct {
	Mailbox  string   `json:"mailbox"`
	ID       string   `json:"id"`
	Required string   `json:"required"`
	Optional []string `json:"optional"`
}

func (g grantable) Plain(w io.Writer) error {
	_, err := fmt.Fprintf(w, "required: %s\noptional: %s\n", g.Required, strings.Join(g.Optional, " "))
	return err
}

// Table writes a row for the required rights and one per optional group, with the
// rights named in words.
func (g grantable) Table(w io.Writer, width int) error {
	required := rightNames(g.Required)
	if required == "" {
		required = "none"
	}
	rows := [][]string{{"required", g.Required, required}}
	for _, group := range g.Optional {
		rows = append(rows, []string{"optional", group, rightNames(group)})
	}
	return writeTable(w, width, []string{"kind", "rights", "meaning"}, rows)
}

func listRights(ctx context.Context, s *Session, a *Args) (Result, error) {
	r, err := s.Client.ListRights(ctx, a.Pos[0], a.Pos[1]).Wait(ctx)
	if err != nil {
		return nil, err
	}
	optional := r.Optional
	if optional == nil {
		optional = []string{}
	}
	return grantable{Mailbox: a.Pos[0], ID: a.Pos[1], Required: r.Required, Optional: optional}, nil
}

// namespaces is the result of namespace. JSON fields: "personal", "other" and "shared",
// each a list of {"prefix", "delimiter"} in the server's order ("delimiter" is "" for a
// namespace without hierarchy).
//
// Plain writes one line per namespace: its kind, then its prefix and delimiter as quoted
// strings, such as `other "user." "."`.
type namespaces struct {
	Personal []namespaceEntry `json:"personal"`
	Other    []namespaceEntry `json:"other"`
	Shared   []namespaceEntry `json:"shared"`
}

type namespaceEntry struct {
	Prefix    string `json:"prefix"`
	Delimiter string `json:"delimiter"`
}

// rows returns one row per namespace: kind, prefix and delimiter, quoted.
func (n namespaces) rows() [][]string {
	rows := [][]string{}
	for _, kind := range []struct {
		name string
		list []namespaceEntry
	}{{"personal", n.Personal}, {"other", n.Other}, {"shared", n.Shared}} {
		for _, e := range kind.list {
			rows = append(rows, []string{kind.name, strconv.Quote(e.Prefix), strconv.Quote(e.Delimiter)})
		}
	}
	return rows
}

func (n namespaces) Plain(w io.Writer) error {
	var b strings.Builder
	for _, row := range n.rows() {
		b.WriteString(strings.Join(row, " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (n namespaces) Table(w io.Writer, width int) error {
	return writeTable(w, width, []string{"namespace", "prefix", "delimiter"}, n.rows())
}

func showNamespaces(ctx context.Context, s *Session, _ *Args) (Result, error) {
	ns, err := s.Client.Namespace(ctx).Wait(ctx)
	if err != nil {
		return nil, err
	}
	return namespaces{Personal: entriesOf(ns.Personal), Other: entriesOf(ns.Other), Shared: entriesOf(ns.Shared)}, nil
}

func entriesOf(list []imapconn.Namespace) []namespaceEntry {
	out := make([]namespaceEntry, len(list))
	for i, ns := range list {
		out[i] = namespaceEntry{Prefix: ns.Prefix, Delimiter: ns.Delimiter}
	}
	return out
}

// capabilities is the result of capability. JSON field: "capabilities", in the server's
// order. Plain writes one capability per line.
type capabilities struct {
	Capabilities []string `json:"capabilities"`
}

func (c capabilities) Plain(w io.Writer) error {
	var b strings.Builder
	for _, name := range c.Capabilities {
		b.WriteString(name + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (c capabilities) Table(w io.Writer, width int) error {
	rows := make([][]string, len(c.Capabilities))
	for i, name := range c.Capabilities {
		rows[i] = []string{name}
	}
	return writeTable(w, width, []string{"capability"}, rows)
}

func showCapabilities(ctx context.Context, s *Session, _ *Args) (Result, error) {
	caps, err := s.Client.Capability(ctx)
	if caps == nil {
		caps = []string{}
	}
	return capabilities{Capabilities: caps}, err
}

// statusItems are the STATUS items status asks for, in the order it shows them.
var statusItems = []string{"MESSAGES", "UNSEEN", "SIZE"}

// mailboxStatuses is the result of status. JSON field: "mailboxes", one object per
// mailbox that answered, in the order given: "mailbox", "messages", "unseen", and
// "size" (in bytes, only when the server announces STATUS=SIZE).
//
// Plain writes one line per mailbox: its name, then each item's name and value, such as
// "user.a MESSAGES 3 UNSEEN 1 SIZE 4096".
type mailboxStatuses struct {
	Mailboxes []mailboxStatus `json:"mailboxes"`
}

type mailboxStatus struct {
	Mailbox  string `json:"mailbox"`
	Messages int64  `json:"messages"`
	Unseen   int64  `json:"unseen"`
	Size     *int64 `json:"size,omitempty"`
}

// fields returns the mailbox's items as name and value, in statusItems' order.
func (m mailboxStatus) fields() [][2]string {
	out := [][2]string{{"MESSAGES", strconv.FormatInt(m.Messages, 10)}, {"UNSEEN", strconv.FormatInt(m.Unseen, 10)}}
	if m.Size != nil {
		out = append(out, [2]string{"SIZE", strconv.FormatInt(*m.Size, 10)})
	}
	return out
}

func (l mailboxStatuses) Plain(w io.Writer) error {
	var b strings.Builder
	for _, m := range l.Mailboxes {
		b.WriteString(m.Mailbox)
		for _, f := range m.fields() {
			b.WriteString(" " + f[0] + " " + f[1])
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (l mailboxStatuses) Table(w io.Writer, width int) error {
	header := []string{"mailbox", "messages", "unseen"}
	if len(l.Mailboxes) > 0 && l.Mailboxes[0].Size != nil {
		header = append(header, "size")
	}
	rows := make([][]string, len(l.Mailboxes))
	for i, m := range l.Mailboxes {
		rows[i] = []string{m.Mailbox}
		for _, f := range m.fields() {
			rows[i] = append(rows[i], f[1])
		}
	}
	return writeTable(w, width, header, rows)
}

// showStatus asks for every mailbox's status at once (pipelined), then reports each in the
// order given; a failure names its mailbox when several were asked for.
func showStatus(ctx context.Context, s *Session, a *Args) (Result, error) {
	items := statusItems[:2]
	if s.Client.Has("STATUS=SIZE") {
		items = statusItems
	}
	pending := make([]*imapconn.Pending[[]imapconn.StatusItem], len(a.Pos))
	for i, name := range a.Pos {
		pending[i] = s.Client.Status(ctx, name, items)
	}
	res := mailboxStatuses{Mailboxes: []mailboxStatus{}}
	var errs []error
	for i, p := range pending {
		got, err := p.Wait(ctx)
		if err != nil {
			if len(a.Pos) > 1 {
				err = fmt.Errorf("%s: %w", a.Pos[i], err)
			}
			errs = append(errs, err)
			continue
		}
		res.Mailboxes = append(res.Mailboxes, statusOf(a.Pos[i], got, len(items) == len(statusItems)))
	}
	return res, errors.Join(errs...)
}

// statusOf picks the items status shows from a STATUS answer.
func statusOf(name string, got []imapconn.StatusItem, withSize bool) mailboxStatus {
	m := mailboxStatus{Mailbox: name}
	if withSize {
		m.Size = new(int64)
	}
	for _, it := range got {
		switch it.Name {
		case "MESSAGES":
			m.Messages = it.Value
		case "UNSEEN":
			m.Unseen = it.Value
		case "SIZE":
			if withSize {
				*m.Size = it.Value
			}
		}
	}
	return m
}

// identity is the result of whoami, from what the session knows: nothing is sent. JSON
// fields: "server" (as given to gocyradm or to the server verb), "user" (the
// authentication identity logged in with; "" when the connection has not logged in,
// after server --noauthenticate), "authz" (the authorization identity acted as; "" when
// acting as user) and "authenticated" (whether the connection has logged in).
//
// Plain writes "server: HOST", "user: NAME" (or "user: (not logged in)") and, when
// acting as someone else, "authz: NAME", one per line.
type identity struct {
	Server        string `json:"server"`
	User          string `json:"user"`
	Authz         string `json:"authz"`
	Authenticated bool   `json:"authenticated"`
}

// fields returns the identity as names and values, in the order whoami shows them.
func (id identity) fields() [][]string {
	user := id.User
	if !id.Authenticated {
		user = "(not logged in)"
	}
	out := [][]string{{"server", id.Server}, {"user", user}}
	if id.Authz != "" {
		out = append(out, []string{"authz", id.Authz})
	}
	return out
}

func (id identity) Plain(w io.Writer) error {
	var b strings.Builder
	for _, f := range id.fields() {
		fmt.Fprintf(&b, "%s: %s\n", f[0], f[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (id identity) Table(w io.Writer, width int) error {
	return writeTable(w, width, []string{"field", "value"}, id.fields())
}

// identity returns who the session's connection is logged in as.
func (s *Session) identity() identity {
	id := identity{Server: s.Config.Server, Authenticated: s.Client != nil && s.Authenticated}
	if id.Authenticated {
		id.User, id.Authz = s.Config.User, s.Config.Authz
	}
	return id
}

func whoami(_ context.Context, s *Session, _ *Args) (Result, error) {
	return s.identity(), nil
}
