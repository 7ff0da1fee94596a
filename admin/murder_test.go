package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/internal/imaptest"
)

// Greetings of a Murder's frontend and backends, which announce the same capabilities.
const murderGreeting = "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE ACL METADATA MUPDATE=mupdate://mupdate.lab:3905/] frontend.lab Cyrus IMAP 3.6.1 server ready"

// fakeFrontend plays a Murder frontend holding mailboxes, each on a backend. RENAME name
// name server[!partition] moves a mailbox (a user's INBOX with the user's other mailboxes)
// unless the server is unknown; every mailbox moved is shown on its new backend after
// lag more GETMETADATAs of it.
type fakeFrontend struct {
	where    map[string]string // mailbox → backend
	order    []string          // the mailboxes in LIST order
	backends []string
	lag      int
	asked    map[string]int
	moved    map[string]string // mailbox → backend it is moving to
}

func newFakeFrontend(mailboxes ...string) *fakeFrontend {
	f := &fakeFrontend{where: map[string]string{}, backends: []string{"backend1.lab", "backend2.lab"},
		asked: map[string]int{}, moved: map[string]string{}}
	for i := 0; i < len(mailboxes); i += 2 {
		f.where[mailboxes[i]] = mailboxes[i+1]
		f.order = append(f.order, mailboxes[i])
	}
	return f
}

func (f *fakeFrontend) answer(cmd string) []string {
	words := strings.Fields(cmd)
	switch words[0] {
	case "LIST":
		var out []string
		for _, name := range f.order {
			out = append(out, `* LIST (\HasNoChildren) "." `+name)
		}
		return append(out, "TAG OK Completed")
	case "GETMETADATA":
		return f.location(words[1])
	case "RENAME":
		return f.rename(words[1], strings.Split(words[3], "!")[0])
	}
	return imaptest.OK(cmd)
}

func (f *fakeFrontend) location(name string) []string {
	if to, ok := f.moved[name]; ok {
		if f.asked[name]++; f.asked[name] > f.lag {
			f.where[name] = to
			delete(f.moved, name)
		}
	}
	server, ok := f.where[name]
	if !ok {
		return []string{"TAG NO Mailbox does not exist"}
	}
	return []string{fmt.Sprintf(`* METADATA %s ("%s" "%s")`, name, locationEntry, server), "TAG OK Completed"}
}

func (f *fakeFrontend) rename(name, to string) []string {
	if !slices.Contains(f.backends, to) {
		return []string{"TAG NO Server(s) unavailable to complete operation"}
	}
	for _, other := range f.order {
		if other == name || (strings.HasPrefix(name, "user.") && strings.HasPrefix(other, name+".")) {
			f.moved[other] = to
		}
	}
	return []string{"* OK USER " + strings.TrimPrefix(name, "user."), "TAG OK Completed"}
}

// sentWith returns the commands that start with prefix.
func sentWith(got []string, prefix string) []string {
	var out []string
	for _, c := range got {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// TestXferThroughFrontend: the mailbox's backend is asked for, the frontend is sent
// RENAME with the new server, and the move counts once the frontend shows it.
func TestXferThroughFrontend(t *testing.T) {
	f := newFakeFrontend("user.alice", "backend1.lab")
	f.lag = 2
	status, out, errOut, got := runFake(t, murderGreeting, f.answer, "xfer user.alice backend2.lab default")
	if status != 0 || out != "" || errOut != "" {
		t.Fatalf("status %d, stdout %q, stderr %q", status, out, errOut)
	}
	want := []string{
		"GETMETADATA user.alice (" + locationEntry + ")",
		"RENAME user.alice user.alice backend2.lab!default",
		"GETMETADATA user.alice (" + locationEntry + ")",
		"GETMETADATA user.alice (" + locationEntry + ")",
		"GETMETADATA user.alice (" + locationEntry + ")",
	}
	if !slices.Equal(got, want) {
		t.Errorf("sent %q\nwant %q", got, want)
	}
}

// TestXferPattern: one line per mailbox and a summary; a user's other mailboxes move
// with the INBOX, and a mailbox already on the server is not sent anything.
func TestXferPattern(t *testing.T) {
	f := newFakeFrontend("shared1", "backend1.lab", "user.alice", "backend1.lab",
		"user.alice.Sent", "backend1.lab", "user.bob", "backend2.lab")
	status, out, errOut, got := runFake(t, murderGreeting, f.answer, "xfer * backend2.lab")
	want := "Moving shared1 to backend2.lab...OK.\n" +
		"Moving user.alice to backend2.lab...OK.\n" +
		"Moving user.alice.Sent to backend2.lab with user.alice...OK.\n" +
		"user.bob is already on backend2.lab.\n" +
		"3 of 4 mailboxes moved to backend2.lab, 1 already there, 0 failed.\n"
	if status != 0 || out != want || errOut != "" {
		t.Errorf("status %d, stderr %q, stdout\n%s\nwant\n%s", status, errOut, out, want)
	}
	renames := sentWith(got, "RENAME")
	if want := []string{"RENAME shared1 shared1 backend2.lab", "RENAME user.alice user.alice backend2.lab"}; !slices.Equal(renames, want) {
		t.Errorf("sent %q, want %q", renames, want)
	}
}

// TestXferPatternJSON: the JSON form of a move over a pattern.
func TestXferPatternJSON(t *testing.T) {
	f := newFakeFrontend("user.alice", "backend1.lab", "user.bob", "backend2.lab")
	s, _, out, errOut := fakeSession(t, murderGreeting, f.answer)
	s.Format = FormatJSON
	status := s.RunScript(context.Background(), strings.NewReader("xfer user.% backend2.lab"), "-c")
	want := `{"verb":"xfermailbox","args":["user.%","backend2.lab"],"ok":true,"server":"backend2.lab","mailboxes":[` +
		`{"mailbox":"user.alice","from":"backend1.lab","moved":true},` +
		`{"mailbox":"user.bob","from":"backend2.lab","moved":false,"already":true}]}` + "\n"
	if status != 0 || out.String() != want || errOut.String() != "" {
		t.Errorf("status %d, stderr %q, stdout\n%s\nwant\n%s", status, errOut, out, want)
	}
}

// TestXferRefusedByFrontend: the server's words, exit 1, and no wait for a move that
// did not happen.
func TestXferRefusedByFrontend(t *testing.T) {
	f := newFakeFrontend("user.alice", "backend1.lab", "user.bob", "backend1.lab")
	status, _, errOut, got := runFake(t, murderGreeting, f.answer, "xfer user.alice nosuch.lab")
	if want := "-c:1: xfermailbox: Server(s) unavailable to complete operation\n"; status != 1 || errOut != want {
		t.Errorf("status %d, stderr %q; want 1 and %q", status, errOut, want)
	}
	if n := len(sentWith(got, "GETMETADATA")); n != 1 {
		t.Errorf("asked for the location %d times, want once: %q", n, got)
	}
	status, out, errOut, _ := runFake(t, murderGreeting, f.answer, "xfer user.% nosuch.lab")
	wantOut := "Moving user.alice to nosuch.lab...failed: Server(s) unavailable to complete operation\n" +
		"Moving user.bob to nosuch.lab...failed: Server(s) unavailable to complete operation\n" +
		"0 of 2 mailboxes moved to nosuch.lab, 0 already there, 2 failed.\n"
	wantErr := "-c:1: xfermailbox: user.alice: Server(s) unavailable to complete operation\n" +
		"-c:1: xfermailbox: user.bob: Server(s) unavailable to complete operation\n" +
		"-c:1: xfermailbox: 2 of 2 mailboxes failed\n"
	if status != 1 || out != wantOut || errOut != wantErr {
		t.Errorf("pattern: status %d, stdout\n%s\nstderr\n%s", status, out, errOut)
	}
}

// TestXferUntaggedNOThroughFrontend: an untagged NO fails the move even when the RENAME
// completes with OK.
func TestXferUntaggedNOThroughFrontend(t *testing.T) {
	f := newFakeFrontend("user.alice", "backend1.lab")
	answer := func(cmd string) []string {
		if strings.HasPrefix(cmd, "RENAME") {
			return []string{"* NO USER alice (Mailbox is locked)", "TAG OK Completed"}
		}
		return f.answer(cmd)
	}
	status, _, errOut, _ := runFake(t, murderGreeting, answer, "xfer user.alice backend2.lab")
	if want := "-c:1: xfermailbox: USER alice (Mailbox is locked)\n"; status != 1 || errOut != want {
		t.Errorf("status %d, stderr %q; want 1 and %q", status, errOut, want)
	}
}

// TestXferNotSettled: a move the frontend accepts but never shows is a failure.
func TestXferNotSettled(t *testing.T) {
	defer func(w, p time.Duration) { settleWait, settlePoll = w, p }(settleWait, settlePoll)
	settleWait, settlePoll = 50*time.Millisecond, 10*time.Millisecond
	f := newFakeFrontend("user.alice", "backend1.lab")
	f.lag = 1 << 30
	status, _, errOut, _ := runFake(t, murderGreeting, f.answer, "xfer user.alice backend2.lab")
	want := "-c:1: xfermailbox: the server accepted the move, but after 50ms it still shows the mailbox on backend1.lab, not backend2.lab"
	if status != 1 || !strings.HasPrefix(errOut, want) {
		t.Errorf("status %d, stderr %q; want 1 and %q...", status, errOut, want)
	}
}

// TestXferDryRun: a dry run asks where the mailbox is, shows the RENAME and waits for
// nothing.
func TestXferDryRun(t *testing.T) {
	f := newFakeFrontend("user.alice", "backend1.lab")
	s, fake, out, errOut := fakeSession(t, murderGreeting, f.answer)
	s.DryRun = true
	s.Attach(s.Client)
	start := time.Now()
	status := s.RunScript(context.Background(), strings.NewReader("xfer user.alice backend2.lab"), "-c")
	if status != 0 || out.String() != "RENAME user.alice user.alice backend2.lab\n" || errOut.String() != "" {
		t.Errorf("status %d, stdout %q, stderr %q", status, out, errOut)
	}
	if got := fake.Commands(); len(got) != 1 || time.Since(start) > settleWait/2 {
		t.Errorf("sent %q in %s; want one GETMETADATA and no wait", got, time.Since(start))
	}
}

// TestXferOnBackend: a backend tells no location; it is sent XFER itself.
func TestXferOnBackend(t *testing.T) {
	answer := func(cmd string) []string {
		if strings.HasPrefix(cmd, "GETMETADATA") {
			return []string{`* METADATA user.alice ("/shared/vendor/cmu/cyrus-imapd/partition" "default")`, "TAG OK Completed"}
		}
		return imaptest.OK(cmd)
	}
	status, _, errOut, got := runFake(t, murderGreeting, answer, "xfer user.alice backend2.lab")
	if status != 0 || errOut != "" || !slices.Equal(sentWith(got, "XFER"), []string{"XFER user.alice backend2.lab"}) {
		t.Errorf("status %d, stderr %q, sent %q", status, errOut, got)
	}
}

// TestListServers: the backend of every selectable mailbox, in each format.
func TestListServers(t *testing.T) {
	f := newFakeFrontend("user.alice", "backend1.lab", "user.bob", "backend2.lab")
	answer := func(cmd string) []string {
		if strings.HasPrefix(cmd, "LIST") {
			return []string{`* LIST (\Noselect \HasChildren) "." user`, `* LIST (\HasNoChildren) "." user.alice`,
				`* LIST (\HasNoChildren) "." user.bob`, "TAG OK Completed"}
		}
		return f.answer(cmd)
	}
	status, out, errOut, got := runFake(t, murderGreeting, answer, "lm --server")
	want := "user (\\Noselect \\HasChildren)\nuser.alice backend1.lab (\\HasNoChildren)\nuser.bob backend2.lab (\\HasNoChildren)\n"
	if status != 0 || out != want || errOut != "" {
		t.Errorf("status %d, stderr %q, stdout\n%s\nwant\n%s", status, errOut, out, want)
	}
	if n := len(sentWith(got, "GETMETADATA")); n != 2 {
		t.Errorf("sent %d GETMETADATA, want 2: %q", n, got)
	}
	s, _, jsonOut, _ := fakeSession(t, murderGreeting, answer)
	s.Format = FormatJSON
	s.RunScript(context.Background(), strings.NewReader("lm --server user.bob"), "-c")
	if want := `"server":"backend2.lab"`; !strings.Contains(jsonOut.String(), want) {
		t.Errorf("JSON %s lacks %s", jsonOut, want)
	}
	s, _, tableOut, _ := fakeSession(t, murderGreeting, answer)
	s.Format = FormatTable
	s.RunScript(context.Background(), strings.NewReader("lm --server"), "-c")
	if !strings.Contains(tableOut.String(), "SERVER") || !strings.Contains(tableOut.String(), "backend2.lab") {
		t.Errorf("table lacks the server column:\n%s", tableOut)
	}
}

// TestListServersPipelined: every GETMETADATA is sent before any is answered.
func TestListServersPipelined(t *testing.T) {
	const n = 20
	// A frontend with n mailboxes that answers no GETMETADATA until it has received all n
	// of them: then it answers each, with the tag it came with.
	var srv *imaptest.Server
	held := 0
	answer := func(cmd string) []string {
		var out []string
		switch {
		case strings.HasPrefix(cmd, "LIST"):
			for i := range n {
				out = append(out, fmt.Sprintf(`* LIST (\HasNoChildren) "." user.u%d`, i))
			}
		case strings.HasPrefix(cmd, "GETMETADATA"):
			if held++; held < n {
				return nil
			}
			for _, line := range srv.Transcript() {
				if tag, cmd, _ := strings.Cut(line, " "); strings.HasPrefix(cmd, "GETMETADATA") {
					out = append(out, fmt.Sprintf(`* METADATA %s ("%s" "backend1.lab")`, strings.Fields(cmd)[1], locationEntry),
						tag+" OK Completed")
				}
			}
			return out
		}
		return append(out, "TAG OK Completed")
	}
	s, srv, out, errOut := fakeSession(t, murderGreeting, answer)
	s.Timeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if status := s.RunScript(ctx, strings.NewReader("lm --server"), "-c"); status != 0 {
		t.Fatalf("status %d, stderr %q", status, errOut.String())
	}
	if lines := strings.Count(out.String(), " backend1.lab "); lines != n {
		t.Errorf("%d mailboxes with their backend, want %d:\n%s", lines, n, out.String())
	}
}

// TestListServersNeedsMurder: --server on a server outside a Murder says so.
func TestListServersNeedsMurder(t *testing.T) {
	status, _, errOut, _ := runFake(t, cyrusGreeting, imaptest.OK, "lm --server")
	if status != 1 || !strings.Contains(errOut, "--server needs a Cyrus Murder") {
		t.Errorf("status %d, stderr %q", status, errOut)
	}
}

// TestMissingMailboxOnBackend: a backend's "Mailbox does not exist" says that the mailbox
// may live on another backend; a frontend's does not. The server's role is asked once.
func TestMissingMailboxOnBackend(t *testing.T) {
	for _, tc := range []struct {
		freespace string
		hint      bool
	}{{`"81516388"`, true}, {"NIL", false}} {
		answer := func(cmd string) []string {
			switch {
			case strings.HasPrefix(cmd, "GETACL"):
				return []string{"TAG NO Mailbox does not exist"}
			case strings.HasPrefix(cmd, `GETMETADATA ""`):
				return []string{fmt.Sprintf(`* METADATA "" ("%s" %s)`, freespaceEntry, tc.freespace), "TAG OK Completed"}
			}
			return imaptest.OK(cmd)
		}
		status, _, errOut, got := runFake(t, murderGreeting, answer, "lam user.bob; lam user.carol")
		hint := "(fake is a backend of a Cyrus Murder, which knows only its own mailboxes: the mailbox may live on another backend; connect to the frontend to reach every mailbox)"
		if status != 1 || strings.Count(errOut, hint) != map[bool]int{true: 2}[tc.hint] {
			t.Errorf("freespace %s: status %d, stderr %q", tc.freespace, status, errOut)
		}
		if n := len(sentWith(got, "GETMETADATA")); n != 1 {
			t.Errorf("freespace %s: asked for the server's role %d times, want once", tc.freespace, n)
		}
	}
}

func TestUserInbox(t *testing.T) {
	tests := []struct {
		name string
		sep  rune
		want string
	}{
		{"user.alice", '.', "user.alice"},
		{"user.alice.Sent.2024", '.', "user.alice"},
		{"user/alice/Sent", '/', "user/alice"},
		{"user.alice.Sent@example.com", '.', "user.alice@example.com"},
		{"shared.news", '.', ""},
		{"user", '.', ""},
		{"users.alice", '.', ""},
	}
	for _, tt := range tests {
		if got := userInbox(tt.name, tt.sep); got != tt.want {
			t.Errorf("userInbox(%q, %q) = %q, want %q", tt.name, tt.sep, got, tt.want)
		}
	}
}
