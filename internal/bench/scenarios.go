package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/quota"
)

// scenario is one task done by each tool: a script file for gocyradm (-f, or -c for a
// one-shot) and for cyradm (on its standard input), and the same IMAP for the raw client.
type scenario struct {
	key     string // a short name, used in tables
	title   string
	text    string // the script
	script  string // the file holding text
	oneShot string // if set, gocyradm runs this with -c instead of the script
	// raw sends the scenario's IMAP on a logged-in connection and returns its data as
	// text, so that check can count in it as in the tools' output.
	raw   func(ctx context.Context, c *imapconn.Client) (string, error)
	check func(out string) error
}

// writeScenarios writes the scripts into dir and returns the scenarios in the order they
// are run and reported.
func writeScenarios(cfg *config, dir string) ([]*scenario, error) {
	scs := []*scenario{mixedScript(cfg), wildcardListACL(cfg), listMailboxes(cfg), oneShot()}
	for _, sc := range scs {
		sc.script = filepath.Join(dir, sc.key+".txt")
		if err := os.WriteFile(sc.script, []byte(sc.text), 0o644); err != nil {
			return nil, err
		}
	}
	return scs, nil
}

// mixedKind is the kind of command i of the mixed script: listacl, listquota or setacl in turn.
func mixedKind(i int) int { return i % 3 }

// mixedScript is the mixed script: one command per mailbox, listacl, listquota and setacl
// in turn, on existing mailboxes with quotas.
func mixedScript(cfg *config) *scenario {
	var b strings.Builder
	nACL, nQuota := 0, 0
	for i := range cfg.commands {
		name := aclMailbox(i + 1)
		switch mixedKind(i) {
		case 0:
			fmt.Fprintf(&b, "listaclmailbox %s\n", name)
			nACL++
		case 1:
			fmt.Fprintf(&b, "listquota %s\n", name)
			nQuota++
		default:
			fmt.Fprintf(&b, "setaclmailbox %s %s %s\n", name, benchID, benchRights)
		}
	}
	return &scenario{
		key:   "script",
		text:  b.String(),
		title: fmt.Sprintf("%d-command script (listacl, listquota, setacl)", cfg.commands),
		raw:   func(ctx context.Context, c *imapconn.Client) (string, error) { return rawMixed(ctx, c, cfg.commands) },
		check: func(out string) error {
			return errorsOf(countIs(out, benchID, nACL), countIs(out, "STORAGE", nQuota))
		},
	}
}

// rawMixed sends the mixed script's commands pipelined, then waits for each.
func rawMixed(ctx context.Context, c *imapconn.Client, n int) (string, error) {
	acls := map[int]*imapconn.Pending[acl.List]{}
	quotas := map[int]*imapconn.Pending[quota.Root]{}
	sets := map[int]*imapconn.Pending[struct{}]{}
	for i := range n {
		name := aclMailbox(i + 1)
		switch mixedKind(i) {
		case 0:
			acls[i] = c.GetACL(ctx, name)
		case 1:
			quotas[i] = c.GetQuota(ctx, name)
		default:
			sets[i] = c.SetACL(ctx, name, benchID, benchRights)
		}
	}
	var b strings.Builder
	for i := range n {
		var err error
		switch mixedKind(i) {
		case 0:
			err = writeACL(ctx, &b, acls[i])
		case 1:
			err = writeQuota(ctx, &b, quotas[i])
		default:
			_, err = sets[i].Wait(ctx)
		}
		if err != nil {
			return "", fmt.Errorf("command %d: %w", i+1, err)
		}
	}
	return b.String(), nil
}

// writeACL waits for an ACL and writes its entries, one per line.
func writeACL(ctx context.Context, b *strings.Builder, p *imapconn.Pending[acl.List]) error {
	list, err := p.Wait(ctx)
	for _, e := range list {
		fmt.Fprintf(b, "%s %s\n", e.ID, e.Rights)
	}
	return err
}

// writeQuota waits for a quota root and writes its resources, one per line.
func writeQuota(ctx context.Context, b *strings.Builder, p *imapconn.Pending[quota.Root]) error {
	r, err := p.Wait(ctx)
	for _, res := range r.Resources {
		fmt.Fprintf(b, "%s\n", res)
	}
	return err
}

// wildcardListACL lists the ACLs of every mailbox with ACLs through one wildcard.
func wildcardListACL(cfg *config) *scenario {
	return &scenario{
		key:   "listacl",
		text:  "listaclmailbox " + aclParent + ".*\n",
		title: "wildcard listacl over " + thousands(cfg.aclMailboxes) + " mailboxes",
		raw:   rawListACL,
		check: func(out string) error { return countIs(out, benchID, cfg.aclMailboxes) },
	}
}

// rawListACL lists the mailboxes, then asks for every ACL pipelined.
func rawListACL(ctx context.Context, c *imapconn.Client) (string, error) {
	items, err := c.List(ctx, "", aclParent+".*", imapconn.ListOptions{}).Wait(ctx)
	if err != nil {
		return "", err
	}
	pending := make([]*imapconn.Pending[acl.List], len(items))
	for i, it := range items {
		pending[i] = c.GetACL(ctx, it.Name)
	}
	var b strings.Builder
	for i, p := range pending {
		fmt.Fprintf(&b, "%s:\n", items[i].Name)
		if err := writeACL(ctx, &b, p); err != nil {
			return "", fmt.Errorf("%s: %w", items[i].Name, err)
		}
	}
	return b.String(), nil
}

// listMailboxes lists the many mailboxes of the lm set.
func listMailboxes(cfg *config) *scenario {
	return &scenario{
		key:   "lm",
		text:  "listmailbox " + lmParent + ".*\n",
		title: "lm over " + thousands(cfg.lmMailboxes) + " mailboxes",
		raw: func(ctx context.Context, c *imapconn.Client) (string, error) {
			items, err := c.List(ctx, "", lmParent+".*", imapconn.ListOptions{}).Wait(ctx)
			var b strings.Builder
			for _, it := range items {
				fmt.Fprintf(&b, "%s\n", it.Name)
			}
			return b.String(), err
		},
		check: func(out string) error { return countIs(out, lmParent+".m", cfg.lmMailboxes) },
	}
}

// oneShot is a single command given on the command line: start, log in, run, exit.
func oneShot() *scenario {
	return &scenario{
		key:     "oneshot",
		text:    "lam " + oneShotTarget + "\n",
		title:   "one-shot -c 'lam " + oneShotTarget + "'",
		oneShot: "lam " + oneShotTarget,
		raw: func(ctx context.Context, c *imapconn.Client) (string, error) {
			var b strings.Builder
			err := writeACL(ctx, &b, c.GetACL(ctx, oneShotTarget))
			return b.String(), err
		},
		check: func(out string) error { return countIs(out, benchID, 1) },
	}
}

// thousands formats n with a comma between groups of three digits: 20,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// countIs checks that out holds want occurrences of s.
func countIs(out, s string, want int) error {
	if n := strings.Count(out, s); n != want {
		return fmt.Errorf("the output has %d times %q, want %d", n, s, want)
	}
	return nil
}

// errorsOf returns the first non-nil error.
func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
