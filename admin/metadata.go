package admin

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gocyradm/gocyradm/imapconn"
)

func init() {
	register(
		&Verb{
			Name: "getmetadata", Aliases: []string{"getmd"},
			Usage: "[MAILBOX|PATTERN [ENTRY ...]]",
			Help:  "show the metadata of a mailbox, or of the server without one (all of it, or the entries given)",
			Wire: "GETMETADATA (DEPTH infinity) mailbox (/shared /private), or GETMETADATA mailbox (entry ...); " +
				`per mailbox, all pipelined; "" (the server) without a mailbox`,
			Args: []ArgKind{ArgPattern, ArgMetadata}, MaxArgs: -1,
			Check: requires("METADATA"), Run: getMetadata,
		},
		&Verb{
			Name:  "info",
			Usage: "[MAILBOX|PATTERN]",
			Help:  "show all the metadata of a mailbox, or of the server without one",
			Wire: "GETMETADATA (DEPTH infinity) mailbox (/shared /private), per mailbox, all pipelined; " +
				`"" (the server) without a mailbox`,
			Args: []ArgKind{ArgPattern}, MaxArgs: 1,
			Check: requires("METADATA"), Run: showInfo,
		},
		setMetadataVerb("setmetadata", "setmd"),
		setMetadataVerb("mboxcfg", "mboxconfig"),
		&Verb{
			Name:  "setinfo",
			Usage: "ATTRIBUTE VALUE   (quote a VALUE that has spaces)",
			Help:  "set a server metadata entry (motd, comment, admin, shutdown, expire, squat or a full name); none removes it",
			Wire:  `SETMETADATA "" (entry "value"), NIL for none`,
			Args:  []ArgKind{ArgMetadata, ArgText}, MinArgs: 2, MaxArgs: 2,
			Check: requires("METADATA"), Start: setInfo,
		},
	)
}

// setMetadataVerb returns setmetadata or mboxcfg, which are the same command under two
// of cyradm's names. Exactly three arguments: a value of several words must be quoted.
func setMetadataVerb(name, alias string) *Verb {
	return &Verb{
		Name: name, Aliases: []string{alias},
		Usage: "[--private] MAILBOX ATTRIBUTE VALUE   (quote a VALUE that has spaces)",
		Help:  "set a mailbox metadata entry (comment, expire, sieve, squat... or a full name); none removes it",
		Wire:  `SETMETADATA mailbox (entry "value"), NIL for none`,
		Options: []Option{
			{Name: "private", Help: "set the private entry (/private/...) instead of the shared one"},
		},
		Args: []ArgKind{ArgMailbox, ArgMetadata, ArgText}, MinArgs: 3, MaxArgs: 3,
		Check: requires("METADATA"), Start: setMetadata,
	}
}

// cyrusVendor is where Cyrus keeps its own metadata entries, below /shared or /private.
const cyrusVendor = "/vendor/cmu/cyrus-imapd/"

// mailboxAttributes maps cyradm's short names of mailbox attributes (mboxcfg) to their
// entries below /shared or /private.
var mailboxAttributes = map[string]string{
	"comment":       "/comment",
	"expire":        cyrusVendor + "expire",
	"news2mail":     cyrusVendor + "news2mail",
	"sharedseen":    cyrusVendor + "sharedseen",
	"sieve":         cyrusVendor + "sieve",
	"squat":         cyrusVendor + "squat",
	"pop3showafter": cyrusVendor + "pop3showafter",
}

// serverAttributes maps cyradm's short names of server attributes (setinfo) to their
// entries below /shared.
var serverAttributes = map[string]string{
	"motd":     "/motd",
	"comment":  "/comment",
	"admin":    "/admin",
	"shutdown": cyrusVendor + "shutdown",
	"expire":   cyrusVendor + "expire",
	"squat":    cyrusVendor + "squat",
}

// attributesOf returns the short attribute names for a mailbox, or for the server when
// the mailbox is "".
func attributesOf(mailbox string) map[string]string {
	if mailbox == "" {
		return serverAttributes
	}
	return mailboxAttributes
}

// entryName returns the metadata entry that attr names: a full /shared/... or
// /private/... name as it is, or a short name of attrs (any case) below /shared, or
// below /private when private is set.
func entryName(attr string, private bool, attrs map[string]string) (string, error) {
	switch section := entrySection(attr); {
	case section == "shared" && private:
		return "", fmt.Errorf("--private does not go with the shared entry %s: give /private/... or leave out --private", attr)
	case section != "":
		return attr, nil
	}
	suffix, ok := attrs[strings.ToLower(attr)]
	if !ok {
		return "", fmt.Errorf("unknown attribute %q: give one of %s, or a full entry name such as /shared%s",
			attr, strings.Join(slices.Sorted(maps.Keys(attrs)), ", "), attrs["comment"])
	}
	if private {
		return "/private" + suffix, nil
	}
	return "/shared" + suffix, nil
}

// entrySection returns "shared" or "private" for an entry name below /shared or
// /private (in any case), and "" for anything else.
func entrySection(name string) string {
	for _, section := range []string{"private", "shared"} {
		prefix := "/" + section
		if len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) &&
			(len(name) == len(prefix) || name[len(prefix)] == '/') {
			return section
		}
	}
	return ""
}

// metadataValue returns the value that setmetadata sends for what was typed: none means
// NIL, which removes the entry.
func metadataValue(typed string) *string {
	if typed == "none" {
		return nil
	}
	return &typed
}

// metadataEntry is one entry and its value. JSON: {"name":"/shared/comment",
// "value":"hello"}.
type metadataEntry struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// mailboxMetadata is the result of getmetadata and info on one mailbox, or on the server
// when Mailbox is "". JSON fields: "mailbox" ("" for the server), and "entries", every
// entry that has a value (NIL ones are left out), private ones first, each part sorted
// by name.
type mailboxMetadata struct {
	Mailbox string          `json:"mailbox"`
	Entries []metadataEntry `json:"entries"`
}

func newMailboxMetadata(name string, entries []imapconn.Entry) mailboxMetadata {
	m := mailboxMetadata{Mailbox: name, Entries: []metadataEntry{}}
	for _, e := range entries {
		if e.Value != nil {
			m.Entries = append(m.Entries, metadataEntry{Name: e.Name, Value: *e.Value})
		}
	}
	slices.SortFunc(m.Entries, func(a, b metadataEntry) int {
		if ra, rb := sectionRank(a.Name), sectionRank(b.Name); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
	return m
}

// sectionRank orders private entries before shared ones, as cyradm does.
func sectionRank(name string) int {
	switch entrySection(name) {
	case "private":
		return 0
	case "shared":
		return 1
	}
	return 2
}

// Plain writes cyradm's info format: "{MAILBOX}:" (or "{Server Wide}"), then "  private:"
// and "  shared:" sections of "    ENTRY: VALUE" lines. Entries are shown by their full
// names, which say more than cyradm's last path component (several entries share one).
func (m mailboxMetadata) Plain(w io.Writer) error {
	var b strings.Builder
	m.writePlain(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

func (m mailboxMetadata) writePlain(b *strings.Builder) {
	if m.Mailbox == "" {
		b.WriteString("{Server Wide}\n")
	} else {
		fmt.Fprintf(b, "{%s}:\n", m.Mailbox)
	}
	section := ""
	for _, e := range m.Entries {
		if s := entrySection(e.Name); s != section {
			section = s
			fmt.Fprintf(b, "  %s:\n", s)
		}
		fmt.Fprintf(b, "    %s: %s\n", e.Name, oneLine(e.Value))
	}
}

// oneLine returns a value as it is, or in Go's quoted form when it holds control
// characters (a line break would split one record into two lines).
func oneLine(v string) string {
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return strconv.Quote(v)
	}
	return v
}

// Table writes one row per entry.
func (m mailboxMetadata) Table(w io.Writer, width int) error {
	return writeTable(w, width, []string{"entry", "value"}, m.rows(nil))
}

func (m mailboxMetadata) rows(lead []string) [][]string {
	rows := make([][]string, len(m.Entries))
	for i, e := range m.Entries {
		rows[i] = append(slices.Clone(lead), e.Name, oneLine(e.Value))
	}
	return rows
}

// patternMetadata is the result of getmetadata and info on a pattern. JSON fields:
// "pattern", and "mailboxes", one object per matching mailbox that answered, as for
// one mailbox ("mailbox" and "entries").
type patternMetadata struct {
	Pattern   string            `json:"pattern"`
	Mailboxes []mailboxMetadata `json:"mailboxes"`
}

// Plain writes each mailbox as info does.
func (p patternMetadata) Plain(w io.Writer) error {
	var b strings.Builder
	for _, m := range p.Mailboxes {
		m.writePlain(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Table writes one row per entry of each mailbox.
func (p patternMetadata) Table(w io.Writer, width int) error {
	var rows [][]string
	for _, m := range p.Mailboxes {
		rows = append(rows, m.rows([]string{m.Mailbox})...)
	}
	return writeTable(w, width, []string{"mailbox", "entry", "value"}, rows)
}

// metadataSet is the result of setmetadata, mboxcfg and setinfo. It prints nothing, as
// cyradm does; JSON fields: "mailbox" ("" for the server), "entry", the full entry name
// sent, and "value", null when the entry was removed.
type metadataSet struct {
	Mailbox string  `json:"mailbox"`
	Entry   string  `json:"entry"`
	Value   *string `json:"value"`
}

func (metadataSet) Plain(io.Writer) error { return nil }

func getMetadata(ctx context.Context, s *Session, a *Args) (Result, error) {
	if len(a.Pos) == 0 {
		return s.showMetadata(ctx, "", nil)
	}
	entries := make([]string, 0, len(a.Pos)-1)
	for _, attr := range a.Pos[1:] {
		e, err := entryName(attr, false, attributesOf(a.Pos[0]))
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return s.showMetadata(ctx, a.Pos[0], entries)
}

func showInfo(ctx context.Context, s *Session, a *Args) (Result, error) {
	name := ""
	if len(a.Pos) > 0 {
		name = a.Pos[0]
	}
	return s.showMetadata(ctx, name, nil)
}

// showMetadata reads the entries of a mailbox, of the mailboxes of a pattern, or of the
// server (""). Without entries it reads everything: RFC 5464 has no wildcards (Dovecot
// refuses cyradm's "/shared/*"), so it asks for /shared and /private with DEPTH infinity,
// which Cyrus and Dovecot both answer.
func (s *Session) showMetadata(ctx context.Context, name string, entries []string) (Result, error) {
	names, several, err := s.targets(ctx, name)
	if err != nil {
		return nil, err
	}
	var opts imapconn.MetadataOptions
	if len(entries) == 0 {
		entries, opts.Depth = []string{"/shared", "/private"}, "infinity"
	}
	got, err := readEach(ctx, s, names, several, func(mbox string) *imapconn.Pending[[]imapconn.Entry] {
		return s.Client.GetMetadata(ctx, mbox, entries, opts)
	})
	boxes := make([]mailboxMetadata, len(got))
	for i, g := range got {
		boxes[i] = newMailboxMetadata(g.mailbox, g.value)
	}
	switch {
	case several:
		return patternMetadata{Pattern: name, Mailboxes: boxes}, err
	case len(boxes) == 0:
		return nil, err
	}
	return boxes[0], err
}

func setMetadata(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	entry, err := entryName(a.Pos[1], a.Has("private"), mailboxAttributes)
	if err != nil {
		return nil, err
	}
	return s.writeMetadata(ctx, a.Pos[0], entry, a.Pos[2])
}

func setInfo(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	entry, err := entryName(a.Pos[0], false, serverAttributes)
	if err != nil {
		return nil, err
	}
	return s.writeMetadata(ctx, "", entry, a.Pos[1])
}

// writeMetadata sets one entry of a mailbox, or of the server (""), to the typed value.
func (s *Session) writeMetadata(ctx context.Context, mbox, entry, typed string) (Waiter, error) {
	e := imapconn.Entry{Name: entry, Value: metadataValue(typed)}
	p := s.Client.SetMetadata(ctx, mbox, []imapconn.Entry{e})
	return func(ctx context.Context) (Result, error) {
		if _, err := p.Wait(ctx); err != nil {
			return nil, err
		}
		return metadataSet{Mailbox: mbox, Entry: entry, Value: e.Value}, nil
	}, nil
}
