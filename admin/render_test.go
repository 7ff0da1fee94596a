package admin

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gocyradm/gocyradm/imapconn"
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

// TestStreamedListing: a streamed listing is written in each format, with its error
// known at the end.
func TestStreamedListing(t *testing.T) {
	for format, want := range map[Format]string{
		FormatPlain: "user.a (\\HasChildren)\nuser.b\n",
		FormatJSON:  `{"verb":"listmailbox","args":[],"mailboxes":[{"name":"user.a","delimiter":".","attributes":["\\HasChildren"]},{"name":"user.b","delimiter":".","attributes":[]}],"ok":false,"error":"cut short"}` + "\n",
	} {
		m := newMailboxStream()
		m.push(imapconn.ListItem{Name: "user.a", Delimiter: ".", Attrs: []string{`\HasChildren`}})
		go func() {
			m.push(imapconn.ListItem{Name: "user.b", Delimiter: "."})
			m.finish(errors.New("cut short"))
		}()
		var out bytes.Buffer
		s := &Session{Format: format}
		if err := s.render(&out, "listmailbox", nil, m, nil); err != nil {
			t.Fatal(err)
		}
		if out.String() != want || m.Err() == nil {
			t.Errorf("format %d: %q (err %v), want %q", format, out.String(), m.Err(), want)
		}
	}
}
