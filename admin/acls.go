package admin

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/imapconn"
)

func init() {
	register(
		&Verb{
			Name: "listacl", Aliases: []string{"listaclmailbox", "lam"},
			Usage: "MAILBOX|PATTERN",
			Help:  "show who has which rights on a mailbox",
			Wire:  "GETACL mailbox (per mailbox; a pattern is expanded with LIST first)",
			Args:  []ArgKind{ArgPattern}, MinArgs: 1, MaxArgs: 1,
			Examples: []string{"lam user.alice", "lam 'user.alice.*'"},
			Check:    requires("ACL"), Start: listACL,
		},
		&Verb{
			Name: "setaclmailbox", Aliases: []string{"setacl", "sam"},
			Usage: "MAILBOX|PATTERN ID RIGHTS [ID RIGHTS ...]",
			Help:  "grant rights: named (none read post append write delete all), letters, +letters or -letters",
			Wire:  "SETACL mailbox id rights (DELETEACL for none), per pair and mailbox",
			Args:  []ArgKind{ArgPattern, ArgIdentifier, ArgRights}, MinArgs: 3, MaxArgs: -1,
			Examples: []string{"sam user.alice bob read", "sam 'user.alice.*' group:staff +p -bob lr", "sam user.alice anyone none"},
			Check:    requires("ACL"), Changes: ChangesACLs, Start: setACL,
		},
		&Verb{
			Name: "deleteaclmailbox", Aliases: []string{"deleteacl", "dam"},
			Usage: "MAILBOX|PATTERN ID [ID ...]",
			Help:  "remove identifiers from a mailbox's access control list",
			Wire:  "DELETEACL mailbox id, per identifier and mailbox",
			Args:  []ArgKind{ArgPattern, ArgIdentifier}, MinArgs: 2, MaxArgs: -1,
			Examples: []string{"dam user.alice bob", "dam 'user.*' anonymous"},
			Check:    requires("ACL"), Changes: ChangesACLs, Start: deleteACL,
		},
	)
}

// aclEntry is one identifier and its rights.
type aclEntry struct {
	ID     string `json:"id"`
	Rights string `json:"rights"`
}

// mailboxACL is the result of listacl on one mailbox.
type mailboxACL struct {
	Mailbox string     `json:"mailbox"`
	ACL     []aclEntry `json:"acl"`
}

func (m mailboxACL) Plain(w io.Writer) error { return writeACL(w, m.ACL, "") }

func writeACL(w io.Writer, entries []aclEntry, indent string) error {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s%s %s\n", indent, e.ID, e.Rights)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (m mailboxACL) Table(w io.Writer, width int) error {
	return writeTable(w, width, []string{"identifier", "rights", "meaning"}, aclRows(m.ACL, nil))
}

// rightNames names each right of a rights string in a word or two.
func rightNames(rights string) string {
	names := acl.Explain(rights)
	for i, n := range names {
		names[i], _, _ = strings.Cut(n, ":")
	}
	return strings.Join(names, ", ")
}

// aclRows returns one row per entry, after the given leading cells, with the rights
// named in words.
func aclRows(entries []aclEntry, lead []string) [][]string {
	rows := make([][]string, len(entries))
	for i, e := range entries {
		rows[i] = append(append([]string(nil), lead...), e.ID, e.Rights, rightNames(e.Rights))
	}
	return rows
}

// patternACL is the result of listacl on a pattern.
type patternACL struct {
	Pattern   string       `json:"pattern"`
	Mailboxes []mailboxACL `json:"mailboxes"`
}

func (p patternACL) Plain(w io.Writer) error {
	for _, m := range p.Mailboxes {
		if _, err := fmt.Fprintf(w, "%s:\n", m.Mailbox); err != nil {
			return err
		}
		if err := writeACL(w, m.ACL, "  "); err != nil {
			return err
		}
	}
	return nil
}

func (p patternACL) Table(w io.Writer, width int) error {
	var rows [][]string
	for _, m := range p.Mailboxes {
		rows = append(rows, aclRows(m.ACL, []string{m.Mailbox})...)
	}
	return writeTable(w, width, []string{"mailbox", "identifier", "rights", "meaning"}, rows)
}

func listACL(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	pattern := a.Pos[0]
	names, several, err := s.targets(ctx, pattern)
	if err != nil {
		return nil, err
	}
	wait := startEach(s, names, several, func(name string) *imapconn.Pending[acl.List] {
		return s.Client.GetACL(ctx, name)
	})
	return func(ctx context.Context) (Result, error) {
		got, err := wait(ctx)
		if !several {
			if len(got) == 0 {
				return nil, err
			}
			return mailboxACL{Mailbox: pattern, ACL: entries(got[0].value)}, err
		}
		res := patternACL{Pattern: pattern, Mailboxes: make([]mailboxACL, len(got))}
		for i, g := range got {
			res.Mailboxes[i] = mailboxACL{Mailbox: g.mailbox, ACL: entries(g.value)}
		}
		return res, err
	}, nil
}

func entries(list acl.List) []aclEntry {
	out := make([]aclEntry, len(list))
	for i, e := range list {
		out[i] = aclEntry{ID: e.ID, Rights: e.Rights}
	}
	return out
}

// aclChange is one identifier and the change of its rights, checked before sending.
type aclChange struct {
	id     string
	change acl.Change
}

func parseACLPairs(words []string) ([]aclChange, error) {
	if len(words)%2 != 0 {
		return nil, fmt.Errorf("identifier %q has no rights: give ID RIGHTS pairs", words[len(words)-1])
	}
	changes := make([]aclChange, 0, len(words)/2)
	for i := 0; i < len(words); i += 2 {
		if err := acl.ValidateIdentifier(words[i]); err != nil {
			return nil, err
		}
		c, err := acl.ParseChange(words[i+1])
		if err != nil {
			return nil, err
		}
		changes = append(changes, aclChange{id: words[i], change: c})
	}
	return changes, nil
}

func setACL(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	changes, err := parseACLPairs(a.Pos[1:])
	if err != nil {
		return nil, err
	}
	return s.startEachMailbox(ctx, a.Pos[0], "Setting ACL on", func(name string) []*imapconn.Pending[struct{}] {
		var out []*imapconn.Pending[struct{}]
		for _, c := range changes {
			if c.change.IsNone() {
				out = append(out, s.Client.DeleteACL(ctx, name, c.id))
			} else {
				out = append(out, s.Client.SetACL(ctx, name, c.id, c.change.Wire()))
			}
		}
		return out
	})
}

func deleteACL(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	ids := a.Pos[1:]
	for _, id := range ids {
		if err := acl.ValidateIdentifier(id); err != nil {
			return nil, err
		}
	}
	return s.startEachMailbox(ctx, a.Pos[0], "Deleting ACL on", func(name string) []*imapconn.Pending[struct{}] {
		out := make([]*imapconn.Pending[struct{}], len(ids))
		for i, id := range ids {
			out[i] = s.Client.DeleteACL(ctx, name, id)
		}
		return out
	})
}
