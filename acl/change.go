package acl

import (
	"errors"
	"fmt"
	"strings"
)

// Op says how a Change applies its rights to an ACL entry.
type Op int

// The ways a Change applies its rights.
const (
	Replace Op = iota // the entry becomes exactly the rights
	Add               // the rights are added to the entry ("+")
	Remove            // the rights are taken from the entry ("-")
)

// prefix returns what SETACL puts before the rights for op.
func (op Op) prefix() string {
	switch op {
	case Add:
		return "+"
	case Remove:
		return "-"
	}
	return ""
}

// Change is a change to one ACL entry, as a person asked for it.
type Change struct {
	Op     Op
	Rights string // letters, without "+" or "-"
}

// Wire returns the rights argument of SETACL for c: "lrs", "+lrs" or "-lrs". For a change for
// which IsNone reports true it returns "", and callers send DELETEACL instead.
func (c Change) Wire() string {
	return c.Op.prefix() + c.Rights
}

// IsNone reports whether c removes the entry altogether (the named set "none").
func (c Change) IsNone() bool {
	return c.Op == Replace && c.Rights == ""
}

// errEmpty is ParseChange's answer to an empty string.
var errEmpty = errors.New(`empty rights: to remove the entry, give "none" or use deleteacl`)

// ParseChange parses the rights a person typed for setacl: a named set ("read", any case), or
// letters from Letters, either optionally after "+" (add) or "-" (remove). A named set after
// "+" or "-" stands for its letters: "+read" adds lrs (cyradm would have sent r, e, a and d).
// Unknown letters are refused, and the error names the letter and lists what is valid;
// repeated letters are kept once, in the order first typed.
func ParseChange(s string) (Change, error) {
	if s == "" {
		return Change{}, errEmpty
	}
	c := Change{Op: Replace}
	rest := s
	switch s[0] {
	case '+':
		c.Op, rest = Add, s[1:]
	case '-':
		c.Op, rest = Remove, s[1:]
	}
	rights, err := parseRights(s, rest)
	if err != nil {
		return Change{}, err
	}
	if rights == "" && c.Op != Replace {
		return Change{}, fmt.Errorf(`%q changes no rights: give letters or a named set after %q, such as "%slrs"`, s, s[:1], s[:1])
	}
	c.Rights = rights
	return c, nil
}

// parseRights returns the rights that rest, a part of the typed string s, stands for: a named set's
// letters, or rest's own letters with repeats dropped.
func parseRights(s, rest string) (string, error) {
	if rights, ok := Named(rest); ok {
		return rights, nil
	}
	var b strings.Builder
	for _, r := range rest {
		if !strings.ContainsRune(Letters, r) {
			return "", fmt.Errorf("unknown right %q in %q: rights are letters from lrswipkxtean, c, d and 0-9, or one of %s",
				string(r), s, strings.Join(Names(), ", "))
		}
		if !strings.ContainsRune(b.String(), r) {
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
