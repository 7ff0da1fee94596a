package mailbox

import "slices"

// Match reports whether name matches the LIST pattern (RFC 3501 §6.3.8): "*" matches any
// characters, the separator sep included, and "%" any characters except sep; every other
// character matches itself, case-sensitively. With sep 0 (a flat namespace) "%" acts like "*".
//
// Match runs the pattern as a set of states over the name, so its time is at most
// len(pattern) × len(name) steps, with no backtracking blow-up on patterns like "*a*a*a*b".
func Match(pattern, name string, sep rune) bool {
	p := []rune(pattern)
	cur := make([]bool, len(p)+1)
	next := make([]bool, len(p)+1)
	cur[0] = true
	skipWildcards(p, cur)
	for _, r := range name {
		clear(next)
		for j, on := range cur[:len(p)] {
			if !on {
				continue
			}
			switch c := p[j]; {
			case c == '*', c == '%' && r != sep:
				next[j] = true
			case c == r && c != '%':
				next[j+1] = true
			}
		}
		if !slices.Contains(next, true) {
			return false
		}
		skipWildcards(p, next)
		cur, next = next, cur
	}
	return cur[len(p)]
}

// skipWildcards adds to states the positions reached by letting wildcards match nothing.
func skipWildcards(p []rune, states []bool) {
	for j, c := range p {
		if states[j] && (c == '*' || c == '%') {
			states[j+1] = true
		}
	}
}
