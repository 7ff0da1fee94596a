package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gocyradm/gocyradm/imapconn"
)

func init() {
	partition := Option{Name: "partition", Value: "PARTITION", Help: "the Cyrus partition to put it on"}
	register(
		&Verb{
			Name: "renamemailbox", Aliases: []string{"rename", "renm"},
			Usage:   "[--partition PARTITION] OLD NEW [PARTITION]",
			Help:    "rename a mailbox and its children, or move it to another Cyrus partition",
			Wire:    "RENAME old new [partition]",
			Options: []Option{partition},
			Args:    []ArgKind{ArgMailbox, ArgMailbox, ArgText}, MinArgs: 2, MaxArgs: 3,
			Changes: ChangesMailboxes, Start: renameMailbox,
		},
		&Verb{
			Name: "subscribe", Aliases: []string{"sub"},
			Usage: "MAILBOX",
			Help:  "add a mailbox to your subscriptions",
			Wire:  "SUBSCRIBE mailbox",
			Args:  []ArgKind{ArgMailbox}, MinArgs: 1, MaxArgs: 1,
			Start: subscribeMailbox,
		},
		&Verb{
			Name: "unsubscribe", Aliases: []string{"unsub"},
			Usage: "MAILBOX",
			Help:  "remove a mailbox from your subscriptions",
			Wire:  "UNSUBSCRIBE mailbox",
			Args:  []ArgKind{ArgMailbox}, MinArgs: 1, MaxArgs: 1,
			Start: unsubscribeMailbox,
		},
		&Verb{
			Name:    "reconstruct",
			Usage:   "[-r|--recursive] MAILBOX",
			Help:    "rebuild a mailbox's index on a Cyrus server, with -r its children's too",
			Wire:    "RECONSTRUCT mailbox [RECURSIVE]",
			Options: []Option{{Name: "recursive", Help: "reconstruct the mailboxes below it too"}},
			Args:    []ArgKind{ArgMailbox}, MinArgs: 1, MaxArgs: 1,
			Check: cyrusOnly("RECONSTRUCT"), Run: reconstructMailbox,
		},
		&Verb{
			Name: "xfermailbox", Aliases: []string{"xfer"},
			Usage: "[--partition PARTITION] MAILBOX|PATTERN SERVER [PARTITION]",
			Help:  "move a mailbox, or every mailbox a pattern matches, to another Cyrus Murder backend",
			Wire: "XFER mailbox server [partition]; through a Murder frontend, RENAME mailbox mailbox " +
				"server[!partition] per mailbox, pipelined, then GETMETADATA .../server until it shows the move",
			Options: []Option{partition},
			Args:    []ArgKind{ArgPattern, ArgServer, ArgText}, MinArgs: 2, MaxArgs: 3,
			Examples: []string{"xfer user.alice backend2.example.com", "xfer 'user.%' backend2.example.com"},
			Check:    cyrusOnly("XFER"), Changes: ChangesMailboxes, Run: xferMailbox,
		},
	)
}

// cyrusCapabilities are capabilities only Cyrus IMAP announces (its source marks them
// "Cyrus custom"); Cyrus announces them after login, a Murder frontend too.
var cyrusCapabilities = []string{"X-REPLICATION", "X-CREATEDMODSEQ", "X-SIEVE-MAILBOX", "NO_ATOMIC_RENAME"}

// isCyrus reports whether the server is Cyrus IMAP, from what it announced without being
// asked: one of Cyrus's own capabilities (MUPDATE=... included), or a greeting that names
// Cyrus IMAP (which it does unless serverinfo is off or min). No command is sent.
func isCyrus(c *imapconn.Client) bool {
	for _, capability := range c.Capabilities() {
		upper := strings.ToUpper(capability)
		if strings.HasPrefix(upper, "MUPDATE=") || slices.Contains(cyrusCapabilities, upper) {
			return true
		}
	}
	g := c.Greeting()
	return g != nil && strings.Contains(g.Text, "Cyrus IMAP")
}

// cyrusOnly returns a Check for a command only Cyrus IMAP knows.
func cyrusOnly(command string) func(*imapconn.Client) error {
	return func(c *imapconn.Client) error {
		if isCyrus(c) {
			return nil
		}
		return fmt.Errorf("not supported by this server (%s is a Cyrus IMAP command, and the server announces none of Cyrus's own capabilities)", command)
	}
}

// partitionArg returns the partition given by --partition or as the positional argument
// at index i; giving two different ones is an error.
func partitionArg(a *Args, i int) (string, error) {
	opt, hasOpt := a.Opts["partition"]
	if len(a.Pos) <= i {
		return opt, nil
	}
	if hasOpt && opt != a.Pos[i] {
		return "", fmt.Errorf("two partitions given: %s and %s", opt, a.Pos[i])
	}
	return a.Pos[i], nil
}

func renameMailbox(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	part, err := partitionArg(a, 2)
	if err != nil {
		return nil, err
	}
	return waitDone(s.Client.Rename(ctx, a.Pos[0], a.Pos[1], part)), nil
}

func subscribeMailbox(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	return waitDone(s.Client.Subscribe(ctx, a.Pos[0])), nil
}

func unsubscribeMailbox(ctx context.Context, s *Session, a *Args) (Waiter, error) {
	return waitDone(s.Client.Unsubscribe(ctx, a.Pos[0])), nil
}

// reconstructMailbox sends RECURSIVE with -r, which cyradm parses and then drops.
func reconstructMailbox(ctx context.Context, s *Session, a *Args) (Result, error) {
	_, err := s.Client.Reconstruct(ctx, a.Pos[0], a.Has("recursive")).Wait(ctx)
	return done{}, err
}

// xferMailbox moves mailboxes in a Murder as moveMailboxes says, and elsewhere sends
// XFER. A Murder frontend reports a failure to move a user's mailboxes as an untagged NO
// before a tagged OK: any untagged NO makes the transfer fail.
func xferMailbox(ctx context.Context, s *Session, a *Args) (Result, error) {
	part, err := partitionArg(a, 2)
	if err != nil {
		return nil, err
	}
	if a.Pos[1] == "" {
		return nil, errors.New("server name is empty: give the backend to move the mailbox to")
	}
	if inMurder(s.Client) {
		return s.moveMailboxes(ctx, a.Pos[0], a.Pos[1], part)
	}
	return done{}, s.Client.Xfer(ctx, a.Pos[0], a.Pos[1], part)
}
