package mailbox

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		sep           rune
		want          bool
	}{
		{"*", "", '.', true},
		{"*", "user.alice.Sent", '.', true},
		{"%", "user", '.', true},
		{"%", "user.alice", '.', false},
		{"%", "", '.', true},
		{"", "", '.', true},
		{"", "a", '.', false},
		{"user.%", "user.alice", '.', true},
		{"user.%", "user.alice.Sent", '.', false},
		{"user.*", "user.alice.Sent", '.', true},
		{"user.*", "user", '.', false},
		{"user*", "user", '.', true},
		{"user.%.Sent", "user.alice.Sent", '.', true},
		{"user.%.Sent", "user.alice.x.Sent", '.', false},
		{"user.*.Sent", "user.alice.x.Sent", '.', true},
		{"user.corpus*", "user.corpus.My Folder", '.', true}, // Cyrus 3.6.1 LIST "" "user.corpus*"
		{"Shared/%", "Shared/My Folder", '/', true},
		{"Shared/%", "Shared/My Folder/x", '/', false},
		{"%", "user.alice", '/', true},
		{"%", "a.b", 0, true},
		{"*Entwürfe", "user.Entwürfe", '.', true},
		{"*ü%", "ü", '.', true},
		{"%%", "a", '.', true},
		{"%*%", "a.b.c", '.', true},
		{"a%b", "a.b", '.', false},
		{"a*b", "a.b", '.', true},
		{"USER", "user", '.', false},
		{"a*a*a*b", "aaaaaaaa", '.', false},
		{"a*a*a*b", "aaaaaaab", '.', true},
		{"%.%", "a.b", '.', true},
		{"%.", "a.", '.', true},
		{"%", "%", '%', false},
		{"*", "%", '%', true},
		{"%", "a%b", '%', false},
		{"a%", "a%", '%', false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name, tt.sep); got != tt.want {
			t.Errorf("Match(%q, %q, %q) = %v, want %v", tt.pattern, tt.name, tt.sep, got, tt.want)
		}
	}
}

func TestMatchNoBlowUp(t *testing.T) {
	pattern := strings.Repeat("*a", 40) + "b"
	name := strings.Repeat("a", 5000)
	if Match(pattern, name, '.') {
		t.Errorf("Match(%q, %d a's) = true, want false", pattern, len(name))
	}
	if !Match(pattern, name+"b", '.') {
		t.Errorf("Match(%q, %d a's then b) = false, want true", pattern, len(name))
	}
}

// backtrack is a slow, obviously correct matcher to check Match against.
func backtrack(p, n []rune, sep rune) bool {
	if len(p) == 0 {
		return len(n) == 0
	}
	switch p[0] {
	case '*', '%':
		for i := 0; i <= len(n); i++ {
			if backtrack(p[1:], n[i:], sep) {
				return true
			}
			if i < len(n) && p[0] == '%' && n[i] == sep {
				return false
			}
		}
		return false
	default:
		return len(n) > 0 && p[0] == n[0] && backtrack(p[1:], n[1:], sep)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("user.%", "user.alice", '.')
	f.Add("*a*a*a*b", "aaaaaaab", '.')
	f.Add("Shared/%", "Shared/My Folder/x", '/')
	f.Add("%*%", "a.b.c", rune(0))
	f.Fuzz(func(t *testing.T, pattern, name string, sep rune) {
		got := Match(pattern, name, sep)
		if !Match("*", name, sep) {
			t.Fatalf(`Match("*", %q, %q) = false`, name, sep)
		}
		if !HasWildcard(name) && !Match(name, name, sep) {
			t.Fatalf("Match(%q, %q, %q) = false: a name without wildcards must match itself", name, name, sep)
		}
		if len(pattern) <= 12 && len(name) <= 24 {
			if want := backtrack([]rune(pattern), []rune(name), sep); got != want {
				t.Fatalf("Match(%q, %q, %q) = %v, want %v", pattern, name, sep, got, want)
			}
		}
	})
}
