package completion

import (
	"slices"
	"strings"
	"testing"

	"github.com/c-bata/go-prompt"
	"github.com/gocyradm/gocyradm/acl"
	"github.com/gocyradm/gocyradm/admin"
)

// accept does to line what go-prompt does when the user takes suggestion s: it replaces
// the text after the last space before the cursor by s.Text.
func accept(line string, s prompt.Suggest) string {
	b := prompt.NewBuffer()
	b.InsertText(line, false, true)
	w := b.Document().GetWordBeforeCursorUntilSeparator("")
	b.DeleteBeforeCursor(len([]rune(w)))
	b.InsertText(s.Text, false, true)
	return b.Text()
}

// typings returns the ways a person may have typed prefix: bare, with backslashes, and
// in an open single or double quote.
func typings(prefix string) []string {
	out := []string{continuation(prefix, 0), `"` + inDoubleQuotes.Replace(prefix)}
	if !strings.Contains(prefix, "'") {
		out = append(out, "'"+prefix)
	}
	return out
}

// TestQuoting completes names that need quoting from every prefix of them, typed in
// every style, takes the suggestion as go-prompt does, and checks that the shell reads
// the name back.
func TestQuoting(t *testing.T) {
	names := []string{"my folder", "it's mine", `say "hi" now`, "cost $5", "a;b c", "#tag x", `back\slash x`, "plain", "x|y>z", "both ' and \""}
	c := New(&Cache{names: append([]string{}, names...), acl: map[string]acl.List{}})
	slices.Sort(c.cache.names)
	for _, name := range names {
		for k := 0; k <= len(name); k++ {
			for _, typed := range typings(name[:k]) {
				line := "lam " + typed
				if got := readStatement(line).cur.value; got != name[:k] {
					t.Fatalf("%q reads as %q, want %q", line, got, name[:k])
				}
				var hit *prompt.Suggest
				for _, s := range c.Complete(document(line)) {
					if done := accept(line, s); wordAfterVerb(t, done) == name {
						hit = &s
					}
				}
				if hit == nil {
					t.Errorf("%q: no suggestion completes it to %q (got %v)", line, name, c.Complete(document(line)))
				}
			}
		}
	}
}

// wordAfterVerb returns the first argument of the line as the shell reads it.
func wordAfterVerb(t *testing.T, line string) string {
	stmts, err := admin.ParseLine(line, nil)
	if err != nil || len(stmts) != 1 || len(stmts[0].Words) != 2 {
		return "<" + line + ">"
	}
	return stmts[0].Words[1]
}

// TestReadStatement checks the reading of unfinished statements.
func TestReadStatement(t *testing.T) {
	tests := []struct {
		line   string
		words  []string
		cur    string
		quote  byte
		escape bool
		done   bool
	}{
		{"", nil, "", 0, false, false},
		{"lm ", []string{"lm"}, "", 0, false, false},
		{"lm us", []string{"lm"}, "us", 0, false, false},
		{`sam 'a b' "c\"d`, []string{"sam", "a b"}, `c"d`, '"', false, false},
		{`sam a\ b`, []string{"sam"}, "a b", 0, false, false},
		{`sam a\`, []string{"sam"}, "a", 0, true, false},
		{`sam "a\`, []string{"sam"}, "a", '"', true, false},
		{`sam "a\x`, []string{"sam"}, `a\x`, '"', false, false},
		{"lm; lam x", []string{"lam"}, "x", 0, false, false},
		{"lm > f", []string{"lm", ">"}, "f", 0, false, false},
		{"lm >>f", []string{"lm", ">>"}, "f", 0, false, false},
		{"lm a#b", []string{"lm"}, "a#b", 0, false, false},
		{"lm #b", nil, "", 0, false, true},
		{"lm | x", nil, "", 0, false, true},
		{"!x", nil, "", 0, false, true},
		{"lm !x", []string{"lm"}, "!x", 0, false, false},
	}
	for _, tt := range tests {
		st := readStatement(tt.line)
		if st.done != tt.done {
			t.Errorf("%q: done %v, want %v", tt.line, st.done, tt.done)
			continue
		}
		if tt.done {
			continue
		}
		var words []string
		for _, w := range st.words {
			words = append(words, w.value)
		}
		if strings.Join(words, "|") != strings.Join(tt.words, "|") || st.cur.value != tt.cur || st.quote != tt.quote || st.escape != tt.escape {
			t.Errorf("%q: words %q cur %q quote %q escape %v; want %q %q %q %v",
				tt.line, words, st.cur.value, st.quote, st.escape, tt.words, tt.cur, tt.quote, tt.escape)
		}
	}
}
