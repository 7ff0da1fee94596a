package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/quota"
)

func init() {
	register(
		&Verb{
			Name: "listquota", Aliases: []string{"lq"},
			Usage: "ROOT",
			Help:  "show every resource of a quota root: usage, limit and percentage used",
			Wire:  "GETQUOTA root",
			Args:  []ArgKind{ArgMailbox}, MinArgs: 1, MaxArgs: 1,
			Check: requires("QUOTA"), Start: listQuota,
		},
		&Verb{
			Name: "listquotaroot", Aliases: []string{"lqr", "lqm"},
			Usage: "MAILBOX|PATTERN",
			Help:  "show the quota roots of a mailbox and every resource of each",
			Wire:  "GETQUOTAROOT mailbox (per mailbox, all pipelined; a pattern is expanded with LIST first)",
			Args:  []ArgKind{ArgPattern}, MinArgs: 1, MaxArgs: 1,
			Check: requires("QUOTA"), Start: listQuotaRoot,
		},
		&Verb{
			Name: "setquota", Aliases: []string{"sq"},
			Usage: "ROOT [RESOURCE] LIMIT [RESOURCE LIMIT ...] | ROOT RESOURCE none | ROOT none",
			Help:  "set limits of a quota root, keeping the others already set (none removes)",
			Wire: "GETQUOTA root, then SETQUOTA root (resource limit ...) with the limits already set " +
				"merged in; SETQUOTA root () for none",
			Args: []ArgKind{ArgMailbox, ArgResource, ArgText}, MinArgs: 2, MaxArgs: -1,
			Check: requires("QUOTA"), Run: setQuota,
		},
	)
}

// quotaUsage is one resource of a quota root. JSON: {"name":"STORAGE","usage":10,
// "limit":100,"percent":10}; STORAGE counts KiB, percent is rounded down and 0 when
// there is no positive limit.
type quotaUsage struct {
	Name    string `json:"name"`
	Usage   int64  `json:"usage"`
	Limit   int64  `json:"limit"`
	Percent int    `json:"percent"`
}

// String returns the resource in cyradm's format, "STORAGE 10/100 (10%)".
func (u quotaUsage) String() string {
	return quota.Resource{Name: u.Name, Usage: u.Usage, Limit: u.Limit}.String()
}

// quotaRoot is the result of listquota, and one root of listquotaroot. JSON fields:
// "root", the quota root's name, and "resources", every resource in the server's order
// ([] when the root has no limits).
type quotaRoot struct {
	Root      string       `json:"root"`
	Resources []quotaUsage `json:"resources"`
}

func newQuotaRoot(r quota.Root) quotaRoot {
	out := quotaRoot{Root: r.Name, Resources: make([]quotaUsage, len(r.Resources))}
	for i, res := range r.Resources {
		out.Resources[i] = quotaUsage{Name: res.Name, Usage: res.Usage, Limit: res.Limit, Percent: res.Percent()}
	}
	return out
}

// Plain writes one line per resource, "STORAGE 10/100 (10%)".
func (q quotaRoot) Plain(w io.Writer) error {
	var b strings.Builder
	q.writeLines(&b, "", "")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLines writes one line per resource after indent and lead.
func (q quotaRoot) writeLines(b *strings.Builder, indent, lead string) {
	for _, u := range q.Resources {
		fmt.Fprintf(b, "%s%s%s\n", indent, lead, u)
	}
}

// Table writes one row per resource.
func (q quotaRoot) Table(w io.Writer, width int) error {
	return writeTable(w, width, []string{"resource", "usage", "limit", "percent"}, usageRows(nil, q.Resources))
}

// usageRows returns one row per resource after the leading cells, or a single row that
// says there are no limits.
func usageRows(lead []string, res []quotaUsage) [][]string {
	row := func(cells ...string) []string { return append(slices.Clone(lead), cells...) }
	if len(res) == 0 {
		return [][]string{row("(no limits)", "", "", "")}
	}
	rows := make([][]string, len(res))
	for i, u := range res {
		percent := ""
		if u.Limit > 0 {
			percent = strconv.Itoa(u.Percent) + "%"
		}
		rows[i] = row(u.Name, strconv.FormatInt(u.Usage, 10), strconv.FormatInt(u.Limit, 10), percent)
	}
	return rows
}

// mailboxQuota is the result of listquotaroot on one mailbox. JSON fields: "mailbox",
// and "roots", its quota roots in the server's order, each with "root" and "resources"
// as listquota shows them ([] when the mailbox has no quota root).
type mailboxQuota struct {
	Mailbox string      `json:"mailbox"`
	Roots   []quotaRoot `json:"roots"`
}

func newMailboxQuota(name string, qr imapconn.QuotaRoots) mailboxQuota {
	out := mailboxQuota{Mailbox: name, Roots: make([]quotaRoot, 0, len(qr.Roots))}
	for _, root := range qr.Roots {
		r := quota.Root{Name: root}
		if i := slices.IndexFunc(qr.Quotas, func(q quota.Root) bool { return q.Name == root }); i >= 0 {
			r = qr.Quotas[i]
		}
		out.Roots = append(out.Roots, newQuotaRoot(r))
	}
	return out
}

// Plain writes "ROOT STORAGE 10/100 (10%)" per resource of each root.
func (m mailboxQuota) Plain(w io.Writer) error {
	var b strings.Builder
	m.writeLines(&b, "")
	_, err := io.WriteString(w, b.String())
	return err
}

func (m mailboxQuota) writeLines(b *strings.Builder, indent string) {
	for _, r := range m.Roots {
		r.writeLines(b, indent, r.Root+" ")
	}
}

// Table writes one row per resource of each root.
func (m mailboxQuota) Table(w io.Writer, width int) error {
	return writeTable(w, width, quotaRootHeader(nil), m.rows(nil))
}

func quotaRootHeader(lead []string) []string {
	return append(lead, "root", "resource", "usage", "limit", "percent")
}

// rows returns one row per resource of each root after the leading cells, or a single
// row that says the mailbox has no quota root.
func (m mailboxQuota) rows(lead []string) [][]string {
	if len(m.Roots) == 0 {
		return [][]string{append(slices.Clone(lead), "(no quota root)", "", "", "", "")}
	}
	var rows [][]string
	for _, r := range m.Roots {
		rows = append(rows, usageRows(append(slices.Clone(lead), r.Root), r.Resources)...)
	}
	return rows
}

// patternQuota is the result of listquotaroot on a pattern. JSON fields: "pattern", and
// "mailboxes", one object per matching mailbox that answered, as listquotaroot shows
// one mailbox ("mailbox" and "roots").
type patternQuota struct {
	Pattern   string         `json:"pattern"`
	Mailboxes []mailboxQuota `json:"mailboxes"`
}

// Plain writes "MAILBOX:" and then the mailbox's lines indented, for each mailbox that
// has a quota root with limits; the others print nothing.
func (p patternQuota) Plain(w io.Writer) error {
	var b strings.Builder
	for _, m := range p.Mailboxes {
		var lines strings.Builder
		m.writeLines(&lines, "  ")
		if lines.Len() > 0 {
			fmt.Fprintf(&b, "%s:\n%s", m.Mailbox, lines.String())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Table writes one row per resource of each root of each mailbox.
func (p patternQuota) Table(w io.Writer, width int) error {
	var rows [][]string
	for _, m := range p.Mailboxes {
		rows = append(rows, m.rows([]string{m.Mailbox})...)
	}
	return writeTable(w, width, quotaRootHeader([]string{"mailbox"}), rows)
}

// quotaSet is the result of setquota. It prints nothing, as cyradm does; JSON fields:
// "root", and "limits", the whole list sent with SETQUOTA ([] when none are left),
// each {"name":"STORAGE","limit":100}.
type quotaSet struct {
	Root   string       `json:"root"`
	Limits []quotaLimit `json:"limits"`
}

// quotaLimit is one resource limit that setquota sent.
type quotaLimit struct {
	Name  string `json:"name"`
	Limit int64  `json:"limit"`
}

func (quotaSet) Plain(io.Writer) error { return nil }

func listQuota(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	p := s.Client.GetQuota(ctx, a.Pos[0])
	return func(ctx context.Context) (Result, error) {
		root, err := p.Wait(ctx)
		if err != nil {
			return nil, err
		}
		return newQuotaRoot(root), nil
	}, nil
}

func listQuotaRoot(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	pattern := a.Pos[0]
	names, several, err := s.targets(ctx, pattern)
	if err != nil {
		return nil, err
	}
	wait := startEach(s, names, several, func(name string) *imapconn.Pending[imapconn.QuotaRoots] {
		return s.Client.GetQuotaRoot(ctx, name)
	})
	return func(ctx context.Context) (Result, error) {
		got, err := wait(ctx)
		boxes := make([]mailboxQuota, len(got))
		for i, g := range got {
			boxes[i] = newMailboxQuota(g.mailbox, g.value)
		}
		switch {
		case several:
			return patternQuota{Pattern: pattern, Mailboxes: boxes}, err
		case len(boxes) == 0:
			return nil, err
		}
		return boxes[0], err
	}, nil
}

func setQuota(ctx context.Context, s *Session, a *Args) (Result, error) {
	root := a.Pos[0]
	changes, removeAll, err := quota.ParseChanges(a.Pos[1:])
	if err != nil {
		return nil, err
	}
	if err := checkResources(changes, quota.Supported(s.Client.Capabilities())); err != nil {
		return nil, err
	}
	var limits []quota.Limit
	if !removeAll {
		current, err := currentLimits(ctx, s.Client, root)
		if err != nil {
			return nil, err
		}
		limits = quota.Merge(current, changes)
	}
	if _, err := s.Client.SetQuota(ctx, root, limits).Wait(ctx); err != nil {
		return nil, err
	}
	res := quotaSet{Root: root, Limits: make([]quotaLimit, len(limits))}
	for i, l := range limits {
		res.Limits[i] = quotaLimit{Name: l.Name, Limit: l.Limit}
	}
	return res, nil
}

// checkResources refuses, before anything is sent, a resource the server does not
// advertise. A server that advertises none (plain QUOTA, as Dovecot 2.3 says) judges
// for itself.
func checkResources(changes []quota.Change, supported []string) error {
	if len(supported) == 0 {
		return nil
	}
	for _, c := range changes {
		if !slices.Contains(supported, c.Name) {
			return fmt.Errorf("unsupported quota resource %s: this server supports %s", c.Name, strings.Join(supported, ", "))
		}
	}
	return nil
}

// currentLimits returns the limits a quota root has now; a root that does not exist
// yet has none.
func currentLimits(ctx context.Context, c *imapconn.Client, root string) ([]quota.Resource, error) {
	r, err := c.GetQuota(ctx, root).Wait(ctx)
	if noSuchRoot(err) {
		return nil, nil
	}
	return r.Resources, err
}

// noSuchRoot reports whether err is the server saying that a quota root does not
// exist: the NONEXISTENT response code (RFC 5530), or the words of Cyrus ("Quota root
// does not exist") and Dovecot ("Quota root doesn't exist"), which send no code.
func noSuchRoot(err error) bool {
	var e *imapconn.Error
	if !errors.As(err, &e) || e.Status != "NO" {
		return false
	}
	text := strings.ToLower(e.Text)
	return strings.EqualFold(e.Code, "NONEXISTENT") ||
		strings.HasPrefix(text, "quota root does not exist") ||
		strings.HasPrefix(text, "quota root doesn't exist")
}
