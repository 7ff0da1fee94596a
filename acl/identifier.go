package acl

import (
	"fmt"
	"slices"
	"strings"
)

// IsNegative reports whether id names a negative ACL entry: one that starts with "-".
func IsNegative(id string) bool {
	return strings.HasPrefix(id, "-")
}

// Positive returns id without the "-" of a negative entry; other identifiers come back as they are.
func Positive(id string) string {
	return strings.TrimPrefix(id, "-")
}

// ValidateIdentifier reports whether id can be sent as an ACL identifier: it must name someone
// (it is not empty, nor only "-") and hold no CR, LF or NUL. Spaces are fine.
func ValidateIdentifier(id string) error {
	if Positive(id) == "" {
		return fmt.Errorf("identifier %q names no one: give a user, group:NAME, anyone or anonymous", id)
	}
	if i := strings.IndexAny(id, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("identifier %q holds %q at byte %d: identifiers cannot hold CR, LF or NUL", id, id[i], i)
	}
	return nil
}

// Entry is one entry of an ACL: an identifier and its rights, as the server sent them.
type Entry struct {
	ID     string
	Rights string
}

// List is an ACL: its entries in the server's order.
type List []Entry

// Sorted returns a copy of l sorted by ID in byte order; entries with the same ID keep their order.
func (l List) Sorted() List {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	return out
}
