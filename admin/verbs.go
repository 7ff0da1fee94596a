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
	Run   func(ctx context.Context, s *Session, a *Args) (Result, error)
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
