package completion

import (
	"strings"
	"sync"

	"github.com/c-bata/go-prompt"
	"github.com/gocyradm/gocyradm/admin"
	"github.com/gocyradm/gocyradm/mailbox"
)

// Completer turns the text before the cursor into suggestions, for go-prompt. It reads
// the statement under the cursor as the shell does and dispatches on where the cursor
// is: the verb, an option, an option's value, a redirection's file, or a positional
// argument of the kind admin's verb table gives. Server names come from its Cache only.
type Completer struct {
	cache *Cache

	mu   sync.Mutex
	last string           // the text of the last call
	out  []prompt.Suggest // its suggestions
}

// New returns a completer that takes server names from cache.
func New(cache *Cache) *Completer {
	return &Completer{cache: cache}
}

// Complete returns the suggestions for the text before the cursor in d. While that
// text stays the same, the list may grow as the cache fills but never shrinks, so that
// the suggestion go-prompt has selected is always still there.
func (c *Completer) Complete(d prompt.Document) []prompt.Suggest {
	text := d.TextBeforeCursor()
	out := c.suggest(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if text == c.last && len(out) < len(c.out) {
		return c.out
	}
	c.last, c.out = text, out
	return out
}

// suggest returns the suggestions for the text before the cursor.
func (c *Completer) suggest(text string) []prompt.Suggest {
	st := readStatement(text)
	if st.done || st.escape {
		return nil
	}
	if n := len(st.words); n > 0 && st.words[n-1].op {
		return st.files()
	}
	words := withoutRedirections(st.words)
	if len(words) == 0 {
		if st.cur.value == "" {
			return nil // an empty line offers nothing, so no list pops up at every prompt
		}
		return st.verbs()
	}
	v := admin.Lookup(words[0].value)
	if v == nil {
		return nil
	}
	return c.arguments(&st, v, words[1:])
}

// withoutRedirections returns words without the redirection operators and their files.
func withoutRedirections(words []word) []word {
	var out []word
	for i := 0; i < len(words); i++ {
		if words[i].op {
			i++
			continue
		}
		out = append(out, words[i])
	}
	return out
}

// arguments returns the suggestions for the word under the cursor after the verb v,
// which words follow.
func (c *Completer) arguments(st *statement, v *admin.Verb, words []word) []prompt.Suggest {
	pos, optionsOpen, valueOf := scanArguments(v, words)
	switch {
	case valueOf != nil:
		return st.optionValue(valueOf)
	case optionsOpen && strings.HasPrefix(st.cur.value, "-"):
		return st.options(v)
	}
	kind, ok := kindAt(v, len(pos))
	if !ok {
		return nil
	}
	switch kind {
	case admin.ArgMailbox, admin.ArgPattern:
		return st.mailboxes(c.cache.Names())
	case admin.ArgIdentifier:
		return st.identifiers(c.aclOn(v, pos))
	case admin.ArgRights:
		return st.rights()
	case admin.ArgResource:
		return st.resources(c.cache.Resources())
	case admin.ArgMetadata:
		return st.metadata()
	case admin.ArgFile:
		return st.files()
	case admin.ArgVerb:
		return st.verbs()
	}
	return nil
}

// scanArguments reads a verb's words before the cursor as admin's option parser does:
// options come first, "--" ends them, and the first word that is not an option begins
// the positional arguments, which it returns. It also reports whether an option may
// still come, and the option whose value the word under the cursor is, if any.
func scanArguments(v *admin.Verb, words []word) (pos []string, optionsOpen bool, valueOf *admin.Option) {
	optionsOpen = len(v.Options) > 0
	for _, w := range words {
		switch {
		case valueOf != nil:
			valueOf = nil
		case optionsOpen && w.value == "--":
			optionsOpen = false
		case optionsOpen && len(w.value) >= 2 && w.value[0] == '-':
			if o := option(v, strings.TrimLeft(w.value, "-")); o != nil && o.Value != "" {
				valueOf = o
			}
		default:
			optionsOpen = false
			pos = append(pos, w.value)
		}
	}
	return pos, optionsOpen, valueOf
}

// option returns v's option that name is or abbreviates unambiguously, or nil.
func option(v *admin.Verb, name string) *admin.Option {
	var found *admin.Option
	for i := range v.Options {
		o := &v.Options[i]
		switch {
		case o.Name == name:
			return o
		case !strings.HasPrefix(o.Name, name):
		case found != nil:
			return nil
		default:
			found = o
		}
	}
	return found
}

// kindAt returns the kind of v's positional argument i, and false when v takes no
// argument there. Past the kinds listed, the last kind repeats; for a verb that takes
// any number of arguments and lists three kinds or more, the last two repeat as a pair
// (setacl's ID RIGHTS [ID RIGHTS ...]).
func kindAt(v *admin.Verb, i int) (admin.ArgKind, bool) {
	n := len(v.Args)
	switch {
	case n == 0 || v.MaxArgs >= 0 && i >= v.MaxArgs:
		return admin.ArgText, false
	case i < n:
		return v.Args[i], true
	case v.MaxArgs < 0 && n >= 3:
		return v.Args[n-2+(i-n)%2], true
	}
	return v.Args[n-1], true
}

// aclOn returns the ACL of the mailbox v's first argument names, if the cache knows it
// (and asks for it if not). A pattern names no one mailbox.
func (c *Completer) aclOn(v *admin.Verb, pos []string) *mailboxACL {
	if len(pos) == 0 || len(v.Args) == 0 || (v.Args[0] != admin.ArgMailbox && v.Args[0] != admin.ArgPattern) {
		return nil
	}
	if mailbox.HasWildcard(pos[0]) {
		return nil
	}
	list, ok := c.cache.ACL(pos[0])
	if !ok {
		return nil
	}
	return &mailboxACL{mailbox: pos[0], list: list}
}
