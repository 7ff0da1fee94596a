package quota

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// Resource is one resource of a quota root as the server reported it, such as STORAGE (in KiB)
// or MESSAGE (a count).
type Resource struct {
	Name  string
	Usage int64
	Limit int64
}

// Percent returns how much of the limit is used, in whole percent rounded down (cyradm prints
// Perl's unrounded quotient, such as 33.3333333333333). It is 0 when the limit or the usage is 0
// or less, and exceeds 100 when a resource is over its limit.
func (r Resource) Percent() int {
	if r.Limit <= 0 || r.Usage <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(r.Usage), 100)
	if hi >= uint64(r.Limit) {
		return math.MaxInt // the quotient would not fit in 64 bits
	}
	q, _ := bits.Div64(hi, lo, uint64(r.Limit))
	return int(min(q, math.MaxInt))
}

// String returns r in cyradm's listquota format, "STORAGE 10/100 (10%)". When the limit is 0
// (or less) the percentage is left out, "STORAGE 10/0", as cyradm does.
func (r Resource) String() string {
	s := fmt.Sprintf("%s %d/%d", r.Name, r.Usage, r.Limit)
	if r.Limit <= 0 {
		return s
	}
	return fmt.Sprintf("%s (%d%%)", s, r.Percent())
}

// Root is a quota root and its resources, in the order the server sent them.
type Root struct {
	Name      string
	Resources []Resource
}

// Limit is one resource limit, as SETQUOTA sends it.
type Limit struct {
	Name  string
	Limit int64
}

// Change is one resource of a setquota command: a new limit, or, when Remove is set, no limit.
type Change struct {
	Name   string // upper case
	Limit  int64
	Remove bool
}

// Merge returns the full list of limits to send with SETQUOTA after applying changes to the
// limits current holds: current limits in their order, changed ones replaced where they stand,
// removed ones dropped, and new ones appended in the order of changes. Names are compared
// ignoring case; changes should name each resource once, as ParseChanges makes sure.
func Merge(current []Resource, changes []Change) []Limit {
	limits := make([]Limit, 0, len(current)+len(changes))
	for _, r := range current {
		i := indexChange(changes, r.Name)
		switch {
		case i < 0:
			limits = append(limits, Limit{r.Name, r.Limit})
		case !changes[i].Remove:
			limits = append(limits, Limit{r.Name, changes[i].Limit})
		}
	}
	for _, c := range changes {
		known := slices.ContainsFunc(current, func(r Resource) bool { return strings.EqualFold(r.Name, c.Name) })
		if !known && !c.Remove {
			limits = append(limits, Limit{c.Name, c.Limit})
		}
	}
	return limits
}

// indexChange returns the index of the change for resource name, or -1.
func indexChange(changes []Change, name string) int {
	return slices.IndexFunc(changes, func(c Change) bool { return strings.EqualFold(c.Name, name) })
}

// Known returns the resources gocyradm knows by name, the RFC 9208 ones first, then Cyrus's.
func Known() []string {
	return []string{"STORAGE", "MESSAGE", "MAILBOX", "ANNOTATION-STORAGE", "X-ANNOTATION-STORAGE", "X-NUM-FOLDERS"}
}

// Supported returns the resources a server advertises in its capabilities, upper case, in
// capability order and without repeats: RFC 9208's QUOTA=RES-NAME and Cyrus's X-QUOTA=NAME.
// It returns nil for a server that says only QUOTA (RFC 2087, as Dovecot 2.3 does); such a server
// knows at least STORAGE.
func Supported(caps []string) []string {
	var names []string
	for _, c := range caps {
		c = strings.ToUpper(c)
		name, ok := strings.CutPrefix(c, "QUOTA=RES-")
		if !ok {
			name, ok = strings.CutPrefix(c, "X-QUOTA=")
		}
		if ok && name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}
