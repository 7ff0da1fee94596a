package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/internal/imaptest"
)

// Greetings of the servers, as they send them (see the corpus of real transcripts).
const (
	cyrusGreeting   = "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE ACL NAMESPACE STATUS=SIZE X-REPLICATION] localhost Cyrus IMAP 3.6.1 server ready"
	dovecotGreeting = "* OK [CAPABILITY IMAP4rev1 SASL-IR ID ENABLE ACL NAMESPACE LITERAL+ AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready."
)

// fakeSession returns a session connected to a fake server over a pipe.
func fakeSession(t *testing.T, greeting string, answer func(string) []string) (*Session, *imaptest.Server, *strings.Builder, *strings.Builder) {
	t.Helper()
	clientEnd, f := imaptest.Pipe(t, greeting, answer)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := imapconn.NewClient(ctx, clientEnd, "fake", imapconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var out, errOut strings.Builder
	s := &Session{IO: IO{Out: &out, Err: &errOut}, Getenv: func(string) (string, bool) { return "", false }}
	s.Attach(c)
	return s, f, &out, &errOut
}

// runFake runs a script on a session connected to a fake server and returns the exit
// status, what was printed, and the commands the server received.
func runFake(t *testing.T, greeting string, answer func(string) []string, script string) (int, string, string, []string) {
	t.Helper()
	s, f, out, errOut := fakeSession(t, greeting, answer)
	status := s.RunScript(context.Background(), strings.NewReader(script), "-c")
	return status, out.String(), errOut.String(), f.Commands()
}

func TestMailboxVerbsWire(t *testing.T) {
	tests := []struct {
		script string
		want   string
	}{
		{"renamemailbox user.a user.b", "RENAME user.a user.b"},
		{"rename user.a user.b p2", "RENAME user.a user.b p2"},
		{"renm -part p2 user.a user.b", "RENAME user.a user.b p2"},
		{"renm --partition p2 user.a 'user.b c' p2", `RENAME user.a "user.b c" p2`},
		{"subscribe user.a", "SUBSCRIBE user.a"},
		{"sub user.a", "SUBSCRIBE user.a"},
		{"unsubscribe user.a", "UNSUBSCRIBE user.a"},
		{"unsub user.a", "UNSUBSCRIBE user.a"},
		{"reconstruct user.a", "RECONSTRUCT user.a"},
		{"reconstruct -r user.a", "RECONSTRUCT user.a RECURSIVE"},
		{"reconstruct --recursive user.a", "RECONSTRUCT user.a RECURSIVE"},
		{"xfermailbox user.a backend2", "XFER user.a backend2"},
		{"xfer user.a backend2 p2", "XFER user.a backend2 p2"},
		{"xfer -p p2 user.a backend2", "XFER user.a backend2 p2"},
		{"xfer user.Entwürfe backend2", "XFER user.Entw&APw-rfe backend2"},
	}
	for _, tt := range tests {
		status, out, errOut, got := runFake(t, cyrusGreeting, imaptest.OK, tt.script)
		if status != 0 || out != "" || errOut != "" {
			t.Errorf("%s: status %d, stdout %q, stderr %q", tt.script, status, out, errOut)
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: sent %q, want %q", tt.script, got, tt.want)
		}
	}
}

func TestMailboxVerbsRefuseBeforeSending(t *testing.T) {
	tests := []struct {
		script, greeting string
		want             string
	}{
		{"renm -part p1 user.a user.b p2", cyrusGreeting, "-c:1: renamemailbox: two partitions given: p1 and p2\n"},
		{"xfer -part p1 user.a srv p2", cyrusGreeting, "-c:1: xfermailbox: two partitions given: p1 and p2\n"},
		{"xfer user.a ''", cyrusGreeting, "-c:1: xfermailbox: server name is empty: give the backend to move the mailbox to\n"},
		{"reconstruct -r INBOX", dovecotGreeting, "-c:1: reconstruct: not supported by this server (RECONSTRUCT is a Cyrus IMAP command, and the server announces none of Cyrus's own capabilities)\n"},
		{"xfer INBOX srv", dovecotGreeting, "-c:1: xfermailbox: not supported by this server (XFER is a Cyrus IMAP command, and the server announces none of Cyrus's own capabilities)\n"},
	}
	for _, tt := range tests {
		status, _, errOut, got := runFake(t, tt.greeting, imaptest.OK, tt.script)
		if status != 1 || errOut != tt.want || len(got) != 0 {
			t.Errorf("%s: status %d, stderr %q, sent %q; want 1, %q and nothing sent", tt.script, status, errOut, got, tt.want)
		}
	}
}

// TestXferArgsRefuseControls: the lexer already refuses control characters, but xfer's
// arguments are checked again where they are encoded, as a literal could carry them.
func TestXferArgsRefuseControls(t *testing.T) {
	s, _, _, _ := fakeSession(t, cyrusGreeting, imaptest.OK)
	for _, args := range [][3]string{{"user.a\r\n", "srv", ""}, {"user.a", "srv\r\nz1 LOGOUT", ""}, {"user.a", "srv", "p\r\n"}} {
		if err := s.Client.Xfer(context.Background(), args[0], args[1], args[2]); err == nil {
			t.Errorf("Xfer(%q) accepted a control character", args)
		}
	}
}

func TestIsCyrus(t *testing.T) {
	for greeting, want := range map[string]bool{
		cyrusGreeting:   true,
		dovecotGreeting: false,
		"* OK [CAPABILITY IMAP4rev1] localhost Cyrus IMAP 3.6.1 server ready":                       true,
		"* OK [CAPABILITY IMAP4rev1 MUPDATE=mupdate://mupdate.lab:3905/] frontend.lab server ready": true,
		"* OK [CAPABILITY IMAP4rev1 x-createdmodseq] server ready":                                  true,
		"* OK [CAPABILITY IMAP4rev1 XLIST] server ready":                                            false,
	} {
		s, _, _, _ := fakeSession(t, greeting, imaptest.OK)
		if got := isCyrus(s.Client); got != want {
			t.Errorf("isCyrus(%q) = %v, want %v", greeting, got, want)
		}
	}
}

// TestXferUntaggedNO: a Murder frontend refuses with an untagged NO and a tagged OK;
// every NO is reported in the server's words, and the command fails.
func TestXferUntaggedNO(t *testing.T) {
	answer := func(cmd string) []string {
		if strings.HasPrefix(cmd, "XFER") {
			return []string{"* NO USER bob (Invalid mailbox name)", "* OK USER carol", "* NO USER dave (Mailbox is locked)", "TAG OK Completed"}
		}
		return imaptest.OK(cmd)
	}
	status, out, errOut, got := runFake(t, cyrusGreeting, answer, "xfer user.bob backend1.lab")
	want := "-c:1: xfermailbox: USER bob (Invalid mailbox name)\n-c:1: xfermailbox: USER dave (Mailbox is locked)\n"
	if status != 1 || out != "" || errOut != want {
		t.Errorf("status %d, stdout %q, stderr %q; want 1 and %q", status, out, errOut, want)
	}
	if len(got) != 1 || got[0] != "XFER user.bob backend1.lab" {
		t.Errorf("sent %q", got)
	}
}

func TestXferTaggedNOAndNotes(t *testing.T) {
	answer := func(cmd string) []string {
		return []string{"* OK USER alice", "TAG NO Server(s) unavailable to complete operation"}
	}
	status, _, errOut, _ := runFake(t, cyrusGreeting, answer, "xfer user.alice otherserver")
	if want := "-c:1: xfermailbox: Server(s) unavailable to complete operation\n"; status != 1 || errOut != want {
		t.Errorf("status %d, stderr %q; want 1 and %q", status, errOut, want)
	}
	answer = func(cmd string) []string { return []string{"* OK USER alice", "TAG OK Completed"} }
	if status, _, errOut, _ := runFake(t, cyrusGreeting, answer, "xfer user.alice backend2.lab"); status != 0 || errOut != "" {
		t.Errorf("a successful XFER with an OK note: status %d, stderr %q", status, errOut)
	}
}

func TestPartitionArg(t *testing.T) {
	tests := []struct {
		opts    map[string]string
		pos     []string
		want    string
		wantErr bool
	}{
		{opts: map[string]string{}, pos: []string{"a", "b"}, want: ""},
		{opts: map[string]string{"partition": "p1"}, pos: []string{"a", "b"}, want: "p1"},
		{opts: map[string]string{}, pos: []string{"a", "b", "p2"}, want: "p2"},
		{opts: map[string]string{"partition": "p2"}, pos: []string{"a", "b", "p2"}, want: "p2"},
		{opts: map[string]string{"partition": "p1"}, pos: []string{"a", "b", "p2"}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := partitionArg(&Args{Opts: tt.opts, Pos: tt.pos}, 2)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("partitionArg(%v, %q) = %q, %v; want %q (error: %v)", tt.opts, tt.pos, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestMailboxVerbsDryRun(t *testing.T) {
	s, f, out, errOut := fakeSession(t, cyrusGreeting, imaptest.OK)
	s.DryRun = true
	s.Attach(s.Client)
	status := s.RunScript(context.Background(), strings.NewReader("renm user.a user.b; reconstruct -r user.a; xfer user.a srv"), "-c")
	want := "RENAME user.a user.b\nRECONSTRUCT user.a RECURSIVE\nXFER user.a srv\n"
	if status != 0 || out.String() != want || errOut.String() != "" {
		t.Errorf("status %d, stdout %q, stderr %q; want 0 and %q", status, out.String(), errOut.String(), want)
	}
	if got := f.Commands(); len(got) != 0 {
		t.Errorf("a dry run sent %q", got)
	}
}
