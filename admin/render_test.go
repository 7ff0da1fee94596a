package admin

import (
	"bytes"
	"testing"
)

// TestTerminalOutputEscapesControls: a name holding an escape sequence reaches a terminal
// escaped, and a file or pipe unchanged.
func TestTerminalOutputEscapesControls(t *testing.T) {
	res := mailboxList{Mailboxes: []listed{{Name: "user.a\x1b[2J", Attributes: []string{}}}}
	for _, terminal := range []bool{true, false} {
		var out bytes.Buffer
		s := &Session{IO: IO{Out: &out, OutTerminal: terminal}}
		if err := s.render(&out, "listmailbox", nil, res, nil); err != nil {
			t.Fatal(err)
		}
		want := "user.a\x1b[2J\n"
		if terminal {
			want = "user.a\\x1b[2J\n"
		}
		if out.String() != want {
			t.Errorf("terminal %v: %q, want %q", terminal, out.String(), want)
		}
	}
}
