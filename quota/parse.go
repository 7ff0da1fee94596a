package quota

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// errNoArgs is ParseChanges's answer to no arguments at all.
var errNoArgs = errors.New("no limits given: give RESOURCE LIMIT pairs such as STORAGE 1000000 MESSAGE 5000, a bare LIMIT for STORAGE, or none")

// ParseChanges parses what a person typed after the root in "setquota ROOT ...":
//
//   - "none" alone: remove every limit (removeAll is true, changes is nil);
//   - a bare limit N alone: STORAGE N, as cyradm has it;
//   - pairs RESOURCE LIMIT, where LIMIT is a number or "none" (remove that limit).
//
// Resource names and "none" are case-insensitive; names come back upper case, in the order
// typed. A limit is a non-negative decimal integer with no unit: STORAGE counts KiB, MESSAGE
// messages, MAILBOX mailboxes. It is an error to give a resource twice or without a limit, or a
// limit that is not such a number.
func ParseChanges(args []string) (changes []Change, removeAll bool, err error) {
	switch {
	case len(args) == 0:
		return nil, false, errNoArgs
	case len(args) == 1 && isNone(args[0]):
		return nil, true, nil
	case len(args) == 1 && (args[0] == "" || !isLetter(args[0][0])):
		args = []string{"STORAGE", args[0]} // cyradm's "setquota ROOT N"
	}
	for i := 0; i < len(args); i += 2 {
		c, err := parsePair(args[i:min(i+2, len(args))])
		if err != nil {
			return nil, false, err
		}
		if indexChange(changes, c.Name) >= 0 {
			return nil, false, fmt.Errorf("resource %s given twice: give each resource once", c.Name)
		}
		changes = append(changes, c)
	}
	return changes, false, nil
}

// parsePair parses RESOURCE LIMIT, or a RESOURCE left without its LIMIT.
func parsePair(pair []string) (Change, error) {
	name, err := parseName(pair[0])
	if err != nil {
		return Change{}, err
	}
	if len(pair) == 1 {
		return Change{}, fmt.Errorf("no limit after %s: give a number or none after each resource", name)
	}
	if isNone(pair[1]) {
		return Change{Name: name, Remove: true}, nil
	}
	n, err := parseLimit(name, pair[1])
	return Change{Name: name, Limit: n}, err
}

// parseName checks a resource name and returns it upper case. A name is an atom of letters,
// digits, "-", "_" and "." that starts with a letter.
func parseName(s string) (string, error) {
	if isNone(s) {
		return "", errors.New(`"none" removes every limit and stands alone: to remove one limit, give RESOURCE none`)
	}
	valid := s != "" && isLetter(s[0])
	for i := 0; valid && i < len(s); i++ {
		valid = isLetter(s[i]) || isDigit(s[i]) || strings.IndexByte("-_.", s[i]) >= 0
	}
	if !valid {
		return "", fmt.Errorf("bad resource name %q: give a name such as %s, then its limit", s, strings.Join(Known()[:3], ", "))
	}
	return strings.ToUpper(s), nil
}

// parseLimit parses the limit typed for resource name.
func parseLimit(name, s string) (int64, error) {
	if !isDigits(s) {
		return 0, fmt.Errorf("bad limit %q for %s: give a whole number of %s (no sign or unit) or none", s, name, unit(name))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("limit %s for %s is too large: the largest is %d", s, name, int64(math.MaxInt64))
	}
	return n, nil
}

// unit names what a resource's limit counts.
func unit(name string) string {
	switch name {
	case "STORAGE", "ANNOTATION-STORAGE", "X-ANNOTATION-STORAGE":
		return "KiB"
	case "MESSAGE":
		return "messages"
	case "MAILBOX", "X-NUM-FOLDERS":
		return "mailboxes"
	}
	return "units"
}

func isNone(s string) bool { return strings.EqualFold(s, "none") }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// isDigits reports whether s is a non-empty run of decimal digits.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
