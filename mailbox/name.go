package mailbox

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// controlNames names the control characters people are most likely to meet in a name.
var controlNames = map[rune]string{0: "NUL", '\t': "tab", '\n': "line feed", '\r': "carriage return", 0x7f: "DEL"}

// Validate reports whether name is acceptable as a mailbox name typed by a person: not empty,
// valid UTF-8, and free of control characters (C0 such as NUL, CR and LF, DEL, and C1). The
// error says which character is wrong and at which byte. The server may still refuse the name
// for its own reasons.
func Validate(name string) error {
	if name == "" {
		return errors.New("mailbox name is empty: give a name such as user.alice")
	}
	if i := invalidUTF8At(name); i >= 0 {
		return fmt.Errorf("mailbox name %q is not valid UTF-8 at byte %d: type names in UTF-8", name, i)
	}
	for i, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("mailbox name %q has a control character (%s) at byte %d: remove it", name, describeControl(r), i)
		}
	}
	return nil
}

// describeControl names a control character, or gives its code point.
func describeControl(r rune) string {
	if s, ok := controlNames[r]; ok {
		return s
	}
	return fmt.Sprintf("U+%04X", r)
}

// invalidUTF8At returns the offset of the first byte of s that is not valid UTF-8, or -1.
func invalidUTF8At(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

// HasWildcard reports whether pattern holds a LIST wildcard, "*" or "%".
func HasWildcard(pattern string) bool {
	return strings.ContainsAny(pattern, "*%")
}

// Parent returns the name of the mailbox that holds name in a hierarchy whose separator is sep:
// everything before the last sep. It reports false for a top-level name, for a name whose only
// separator comes first, and when sep is 0 (a flat namespace, a NIL delimiter).
func Parent(name string, sep rune) (string, bool) {
	if sep == 0 {
		return "", false
	}
	i := strings.LastIndex(name, string(sep))
	if i <= 0 {
		return "", false
	}
	return name[:i], true
}

// SortForDelete returns a new slice holding names in an order safe for deleting them one by one:
// deepest first (most separators), and names of equal depth in reverse byte order, so every child
// comes before its parent and the order never depends on the input's. names is not changed.
func SortForDelete(names []string, sep rune) []string {
	out := slices.Clone(names)
	s := string(sep)
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(
			cmp.Compare(strings.Count(b, s), strings.Count(a, s)),
			strings.Compare(b, a),
		)
	})
	return out
}
