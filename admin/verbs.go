package admin

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gocyradm/gocyradm/imapconn"
)

// ArgKind says what a positional argument is, for help and completion.
type ArgKind int

// The kinds of arguments.
const (
	ArgText       ArgKind = iota
	ArgMailbox            // a mailbox name
	ArgPattern            // a mailbox name or a pattern with * and %
	ArgIdentifier         // an ACL identifier
	ArgRights             // ACL rights
	ArgResource           // a quota resource
	ArgMetadata           // a metadata entry name
	ArgFile               // a local file
	ArgVerb               // a verb name
	ArgServer             // a server address
)

// Verb is one command of the shell. The same table drives dispatch, help and completion.
type Verb struct {
	Name     string
	Aliases  []string
	Usage    string   // the arguments after the name, as shown by help
	Help     string   // one line
	Wire     string   // the IMAP it sends, as shown by help
	Examples []string // command lines shown by help
	Options  []Option
	Args     []ArgKind // kinds of the positional arguments; the last one repeats
	MinArgs  int
	MaxArgs  int  // -1 for no limit
	Offline  bool // runs without a connection
	// Check, if set, says why the connected server cannot run the verb, from its
	// capabilities (never by trial), such as "not supported by this server: no QUOTA".
	Check func(c *imapconn.Client) error
	// Run runs the verb and returns its result once the server has answered. A verb has
	// Run or Start.
	Run func(ctx context.Context, s *Session, a *Args) (Result, error)
	// Start sends the verb's commands and returns what waits for their answers, so that
	// the runner can start the next lines before this one is answered. Start may wait
	// for answers it needs before sending more (a LIST before a wildcard's commands).
	Start func(ctx context.Context, s *Session, a *Args) (Waiter, error)
	// Barrier makes the runner wait for every earlier command before the verb runs, and
	// start nothing else until it is done: for verbs that change the connection or
	// act outside the server.
	Barrier bool
	// Changes says what the verb may change that a client caches: the list of
	// mailboxes, or their access control lists.
	Changes Changes
}

// Changes says what a verb may change on the server, for caches of its names.
type Changes int

// What a verb may change.
const (
	ChangesNothing   Changes = iota
	ChangesMailboxes         // the mailboxes there are (or, after a new login, those visible)
	ChangesACLs              // access control lists
)

// Waiter waits for the answers to a started verb's commands and returns its result.
type Waiter func(ctx context.Context) (Result, error)

// start starts the verb; a verb with Run runs to the end here.
func (v *Verb) start(ctx context.Context, s *Session, a *Args) Waiter {
	if v.Start == nil {
		res, err := v.Run(ctx, s, a)
		return func(context.Context) (Result, error) { return res, err }
	}
	w, err := v.Start(ctx, s, a)
	if err != nil {
		return func(context.Context) (Result, error) { return nil, err }
	}
	return w
}

// Verbs returns the verb table, sorted by name.
func Verbs() []*Verb { return verbTable }

// Lookup finds a verb by name or alias, case-insensitively.
func Lookup(name string) *Verb {
	return verbIndex[strings.ToLower(name)]
}

var verbTable []*Verb
var verbIndex = map[string]*Verb{}

// register adds verbs to the table; each file of verbs registers its own in init.
func register(verbs ...*Verb) {
	for _, v := range verbs {
		for _, name := range append([]string{v.Name}, v.Aliases...) {
			if verbIndex[name] != nil {
				panic("duplicate verb name " + name) // a programming error in the table
			}
			verbIndex[name] = v
		}
	}
	verbTable = append(verbTable, verbs...)
	sort.Slice(verbTable, func(i, j int) bool { return verbTable[i].Name < verbTable[j].Name })
}

// usage returns the verb's usage line.
func (v *Verb) usage() string {
	return strings.TrimSpace("usage: " + v.Name + " " + v.Usage)
}

// requires returns a Check that the server announces a capability.
func requires(capability string) func(*imapconn.Client) error {
	return func(c *imapconn.Client) error {
		if c.Has(capability) {
			return nil
		}
		return fmt.Errorf("not supported by this server (it does not announce %s)", capability)
	}
}
