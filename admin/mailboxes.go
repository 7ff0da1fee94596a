package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/mailbox"
)

func init() {
	register(
		&Verb{
			Name: "createmailbox", Aliases: []string{"create", "cm"},
			Usage: "[--partition PARTITION] [--specialuse USE] [--server SERVER] MAILBOX [PARTITION]",
			Help:  "create a mailbox",
			Wire:  "CREATE mailbox [partition] | CREATE mailbox ([SERVER s] [PARTITION p] [USE (\\Sent)])",
			Options: []Option{
				{Name: "partition", Value: "PARTITION", Help: "the Cyrus partition to create it on"},
				{Name: "specialuse", Value: "USE", Help: "a special use such as Sent or Trash (the backslash is optional)"},
				{Name: "server", Value: "SERVER", Help: "the Cyrus Murder backend to create it on (through a frontend)"},
			},
			Args: []ArgKind{ArgMailbox, ArgText}, MinArgs: 1, MaxArgs: 2,
			Examples: []string{"cm user.alice", "cm --partition p2 'user.alice.Shared Files'", "cm --specialuse Sent user.alice.Sent",
				"cm --server backend2.example.com user.bob"},
			Changes: ChangesMailboxes, Start: createMailbox,
		},
		&Verb{
			Name: "deletemailbox", Aliases: []string{"delete", "dm"},
			Usage: "MAILBOX|PATTERN",
			Help:  "delete a mailbox, or every mailbox a pattern matches (children first)",
			Wire:  "DELETE mailbox (per mailbox; a pattern is expanded with LIST first)",
			Args:  []ArgKind{ArgPattern}, MinArgs: 1, MaxArgs: 1,
			Examples: []string{"dm user.alice.Old", "dm -y 'user.alice.Archive.*'"},
			Changes:  ChangesMailboxes, Start: deleteMailbox,
		},
		&Verb{
			Name: "listmailbox", Aliases: []string{"list", "lm"},
			Usage: "[--subscribed] [--specialuse] [--server] [PATTERN [REFERENCE]]",
			Help:  "list mailboxes (all of them by default)",
			Wire: "LIST \"\" pattern | LIST (SUBSCRIBED) \"\" pattern | LSUB \"\" pattern; " +
				"with --server, GETMETADATA mailbox (/shared/vendor/cmu/cyrus-imapd/server) per mailbox, pipelined",
			Options: []Option{
				{Name: "subscribed", Help: "only subscribed mailboxes"},
				{Name: "specialuse", Help: "only mailboxes with a special use"},
				{Name: "server", Help: "show the Cyrus Murder backend of each mailbox (through a frontend)"},
			},
			Args: []ArgKind{ArgPattern, ArgText}, MaxArgs: 2,
			Examples: []string{"lm", "lm user.%", "lm --subscribed", "lm --server 'user.*'"},
			Start:    listMailbox,
		},
	)
}

func createMailbox(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	opts := imapconn.CreateOptions{Partition: a.Opts["partition"], Server: a.Opts["server"]}
	if len(a.Pos) == 2 {
		opts.Partition = a.Pos[1]
	}
	if use, ok := a.Opts["specialuse"]; ok {
		opts.SpecialUse = specialUses(use)
	}
	return waitDone(s.Client.Create(ctx, a.Pos[0], opts)), nil
}

// specialUses splits special-use attributes, adding the backslash the shell's quoting
// makes easy to lose: "Sent Trash" gives \Sent \Trash.
func specialUses(s string) []string {
	uses := strings.Fields(s)
	for i, u := range uses {
		if !strings.HasPrefix(u, `\`) {
			uses[i] = `\` + u
		}
	}
	return uses
}

func deleteMailbox(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	pattern := a.Pos[0]
	if !mailbox.HasWildcard(pattern) {
		return waitDone(s.Client.Delete(ctx, pattern)), nil
	}
	items, err := s.expand(ctx, pattern)
	if err != nil {
		return nil, err
	}
	names := mailbox.SortForDelete(itemNames(items), separator(items))
	if err := s.confirm(fmt.Sprintf("delete %d mailboxes matching %s", len(names), pattern)); err != nil {
		return nil, err
	}
	return s.startChanges("Deleting mailbox", names, true, func(name string) []*imapconn.Pending[struct{}] {
		return []*imapconn.Pending[struct{}]{s.Client.Delete(ctx, name)}
	}), nil
}

// mailboxList is the result of listmailbox.
type mailboxList struct {
	Mailboxes []listed `json:"mailboxes"`
	servers   bool     // --server: show each mailbox's backend
}

type listed struct {
	Name       string   `json:"name"`
	Delimiter  string   `json:"delimiter"`
	Attributes []string `json:"attributes"`
	Server     string   `json:"server,omitempty"` // with --server: the Murder backend holding it
}

func (l mailboxList) Plain(w io.Writer) error {
	var b strings.Builder
	for _, m := range l.Mailboxes {
		b.WriteString(m.Name)
		if m.Server != "" {
			b.WriteString(" " + m.Server)
		}
		if len(m.Attributes) > 0 {
			b.WriteString(" (" + strings.Join(m.Attributes, " ") + ")")
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (l mailboxList) Table(w io.Writer, width int) error {
	rows := make([][]string, len(l.Mailboxes))
	for i, m := range l.Mailboxes {
		rows[i] = []string{m.Name, strings.Join(m.Attributes, " ")}
		if l.servers {
			rows[i] = []string{m.Name, m.Server, rows[i][1]}
		}
	}
	if l.servers {
		return writeTable(w, width, []string{"mailbox", "server", "attributes"}, rows)
	}
	return writeTable(w, width, []string{"mailbox", "attributes"}, rows)
}

func listMailbox(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	pattern, reference := "*", ""
	if len(a.Pos) > 0 {
		pattern = a.Pos[0]
	}
	if len(a.Pos) > 1 {
		reference = a.Pos[1]
	}
	var opts imapconn.ListOptions
	if a.Has("specialuse") {
		opts.Selection = append(opts.Selection, "SPECIAL-USE")
	}
	stream := newMailboxStream()
	var p *imapconn.Pending[struct{}]
	switch {
	case a.Has("subscribed") && !s.Client.Has("LIST-EXTENDED"):
		p = s.Client.LsubEach(ctx, reference, pattern, stream.push)
	case a.Has("subscribed"):
		opts.Selection = append(opts.Selection, "SUBSCRIBED")
		fallthrough
	default:
		p = s.Client.ListEach(ctx, reference, pattern, opts, stream.push)
	}
	go func() {
		_, err := p.Wait(ctx)
		stream.finish(err)
	}()
	if a.Has("server") {
		return func(ctx context.Context) (Result, error) {
			l := stream.all()
			if err := stream.Err(); err != nil {
				return nil, err
			}
			return s.addServers(ctx, l)
		}, nil
	}
	return func(context.Context) (Result, error) { return stream, nil }, nil
}

// expand lists the selectable mailboxes a pattern matches, sorted by name so that the
// output does not depend on the server's order; none is an error.
func (s *Session) expand(ctx context.Context, pattern string) ([]imapconn.ListItem, error) {
	items, err := s.Client.List(ctx, "", pattern, imapconn.ListOptions{}).Wait(ctx)
	if err != nil {
		return nil, err
	}
	selectable := items[:0]
	for _, it := range items {
		if !hasAttr(it.Attrs, `\Noselect`) && !hasAttr(it.Attrs, `\NonExistent`) {
			selectable = append(selectable, it)
		}
	}
	if len(selectable) == 0 {
		return nil, fmt.Errorf("no mailbox matches %s", pattern)
	}
	slices.SortStableFunc(selectable, func(a, b imapconn.ListItem) int { return strings.Compare(a.Name, b.Name) })
	return selectable, nil
}

func hasAttr(attrs []string, want string) bool {
	for _, a := range attrs {
		if strings.EqualFold(a, want) {
			return true
		}
	}
	return false
}

func itemNames(items []imapconn.ListItem) []string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.Name
	}
	return names
}

// separator returns the hierarchy separator of listed mailboxes ('.' if none is known).
func separator(items []imapconn.ListItem) rune {
	for _, it := range items {
		if it.Delimiter != "" {
			return rune(it.Delimiter[0])
		}
	}
	return '.'
}

// confirm asks before a destructive operation at a terminal, unless --yes was given.
// Scripts are not asked: their author chose the pattern.
func (s *Session) confirm(what string) error {
	if s.Yes || !s.IO.InTerminal || s.IO.In == nil {
		return nil
	}
	fmt.Fprintf(s.IO.Err, "%s? [y/N] ", what)
	var answer string
	fmt.Fscanln(s.IO.In, &answer)
	if a := strings.ToLower(strings.TrimSpace(answer)); a == "y" || a == "yes" {
		return nil
	}
	return errors.New("not confirmed: nothing was changed")
}
