package admin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/quota"
)

// cyrusCaps are the quota and metadata capabilities Cyrus 3.6 announces.
const cyrusCaps = "IMAP4rev1 LITERAL+ METADATA QUOTA X-QUOTA=STORAGE X-QUOTA=MESSAGE X-QUOTA=X-ANNOTATION-STORAGE X-QUOTA=X-NUM-FOLDERS"

// scriptedSession returns a session connected to a fake server that announces caps in its
// greeting and then plays script: "C: " lines must be what the client sends next (tag
// included), "S: " lines are sent. Anything the client sends after the script is an error.
func scriptedSession(t *testing.T, caps, script string) (*Session, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	clientEnd, serverEnd := net.Pipe()
	done := make(chan struct{})
	go playScript(t, serverEnd, "S: * OK [CAPABILITY "+caps+"] fake ready\n"+script, done)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := imapconn.NewClient(ctx, clientEnd, "fake", imapconn.Options{})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("fake server: still running 5s after the test")
		}
	})
	s, out, errOut := testSession()
	s.Attach(c)
	return s, out, errOut
}

func playScript(t *testing.T, conn net.Conn, script string, done chan struct{}) {
	defer close(done)
	defer conn.Close()
	r := bufio.NewReader(conn)
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if sent, ok := strings.CutPrefix(line, "S: "); ok {
			if _, err := conn.Write([]byte(sent + "\r\n")); err != nil {
				t.Errorf("fake server: writing %q: %v", sent, err)
				return
			}
			continue
		}
		want := strings.TrimPrefix(line, "C: ") + "\r\n"
		if got, err := r.ReadString('\n'); got != want {
			t.Errorf("fake server: client sent %q (%v), want %q", got, err, want)
			return
		}
	}
	for {
		got, err := r.ReadString('\n')
		if err != nil {
			return
		}
		t.Errorf("fake server: client sent %q after the script", got)
	}
}

// runScripted runs one line in the session and returns its status.
func runScripted(t *testing.T, s *Session, line string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.RunLine(ctx, line)
}

func TestQuotaRootOutput(t *testing.T) {
	root := newQuotaRoot(quota.Root{Name: "user.a", Resources: []quota.Resource{
		{Name: "STORAGE", Usage: 10, Limit: 100},
		{Name: "MESSAGE", Usage: 3, Limit: 0},
	}})
	wantPlain(t, root, "STORAGE 10/100 (10%)\nMESSAGE 3/0\n")
	wantJSON(t, "listquota", []string{"user.a"}, root,
		`{"verb":"listquota","args":["user.a"],"ok":true,"root":"user.a","resources":[`+
			`{"name":"STORAGE","usage":10,"limit":100,"percent":10},{"name":"MESSAGE","usage":3,"limit":0,"percent":0}]}`)
	wantJSON(t, "listquota", []string{"user.b"}, newQuotaRoot(quota.Root{Name: "user.b"}),
		`{"verb":"listquota","args":["user.b"],"ok":true,"root":"user.b","resources":[]}`)
}

func TestUsageRows(t *testing.T) {
	got := usageRows([]string{"m"}, newQuotaRoot(quota.Root{Resources: []quota.Resource{
		{Name: "STORAGE", Usage: 10, Limit: 100}, {Name: "MESSAGE", Usage: 3},
	}}).Resources)
	want := [][]string{{"m", "STORAGE", "10", "100", "10%"}, {"m", "MESSAGE", "3", "0", ""}}
	if !sameRows(got, want) {
		t.Errorf("usageRows = %q, want %q", got, want)
	}
	if got := usageRows(nil, nil); !sameRows(got, [][]string{{"(no limits)", "", "", ""}}) {
		t.Errorf("usageRows of no resources = %q, want one (no limits) row", got)
	}
	if got := (mailboxQuota{Mailbox: "m", Roots: []quotaRoot{}}).rows([]string{"m"}); !sameRows(got, [][]string{{"m", "(no quota root)", "", "", "", ""}}) {
		t.Errorf("rows of a mailbox without a root = %q", got)
	}
}

func TestMailboxQuotaOutput(t *testing.T) {
	m := newMailboxQuota("user.a.x", imapconn.QuotaRoots{
		Roots: []string{"user.a", "User quota"},
		Quotas: []quota.Root{
			{Name: "User quota", Resources: []quota.Resource{{Name: "STORAGE", Usage: 1, Limit: 4}}},
			{Name: "user.a", Resources: []quota.Resource{{Name: "STORAGE", Usage: 10, Limit: 100}, {Name: "MESSAGE", Usage: 5, Limit: 10}}},
		},
	})
	wantPlain(t, m, "user.a STORAGE 10/100 (10%)\nuser.a MESSAGE 5/10 (50%)\nUser quota STORAGE 1/4 (25%)\n")
	none := newMailboxQuota("shared", imapconn.QuotaRoots{})
	wantPlain(t, none, "")
	wantJSON(t, "listquotaroot", []string{"shared"}, none,
		`{"verb":"listquotaroot","args":["shared"],"ok":true,"mailbox":"shared","roots":[]}`)

	p := patternQuota{Pattern: "user.a*", Mailboxes: []mailboxQuota{none, m, newMailboxQuota("user.a.y", imapconn.QuotaRoots{Roots: []string{"user.a.y"}})}}
	wantPlain(t, p, "user.a.x:\n  user.a STORAGE 10/100 (10%)\n  user.a MESSAGE 5/10 (50%)\n  User quota STORAGE 1/4 (25%)\n")
	wantJSON(t, "listquotaroot", []string{"user.a*"}, patternQuota{Pattern: "user.a*", Mailboxes: []mailboxQuota{none}},
		`{"verb":"listquotaroot","args":["user.a*"],"ok":true,"pattern":"user.a*","mailboxes":[{"mailbox":"shared","roots":[]}]}`)
}

func TestCheckResources(t *testing.T) {
	changes := []quota.Change{{Name: "STORAGE", Limit: 1}, {Name: "FOO", Limit: 2}}
	err := checkResources(changes, quota.Supported(strings.Fields(cyrusCaps)))
	want := "unsupported quota resource FOO: this server supports STORAGE, MESSAGE, X-ANNOTATION-STORAGE, X-NUM-FOLDERS"
	if err == nil || err.Error() != want {
		t.Errorf("checkResources = %v, want %q", err, want)
	}
	if err := checkResources(changes, nil); err != nil {
		t.Errorf("a server that advertises no resources judges for itself, got %v", err)
	}
}

func TestNoSuchRoot(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&imapconn.Error{Status: "NO", Text: "Quota root does not exist"}, true},
		{&imapconn.Error{Status: "NO", Text: "Quota root doesn't exist (0.001 + 0.000 secs)."}, true},
		{&imapconn.Error{Status: "NO", Code: "NONEXISTENT", Text: "No such root"}, true},
		{&imapconn.Error{Status: "NO", Text: "Permission denied"}, false},
		{&imapconn.Error{Status: "BAD", Text: "Quota root does not exist"}, false},
		{errors.New("Quota root does not exist"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := noSuchRoot(tt.err); got != tt.want {
			t.Errorf("noSuchRoot(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestSetQuotaMerges: the limits already set are read first and sent again with the
// change (the server replaces the whole list), several resources in one list.
func TestSetQuotaMerges(t *testing.T) {
	s, out, errOut := scriptedSession(t, cyrusCaps, `
		C: g1 GETQUOTA user.a
		S: * QUOTA user.a (STORAGE 5 100 MESSAGE 1 20)
		S: g1 OK done
		C: g2 SETQUOTA user.a (STORAGE 100 MESSAGE 50 X-NUM-FOLDERS 7)
		S: g2 OK done`)
	if st := runScripted(t, s, "setquota user.a message 50 X-NUM-FOLDERS 7"); st != 0 || out.Len() > 0 {
		t.Errorf("status %d, stdout %q, stderr %q; want 0 and no output", st, out, errOut)
	}
}

func TestSetQuotaNewRoot(t *testing.T) {
	s, _, errOut := scriptedSession(t, cyrusCaps, `
		C: g1 GETQUOTA "user.a.sub box"
		S: g1 NO Quota root does not exist
		C: g2 SETQUOTA "user.a.sub box" (STORAGE 10)
		S: g2 OK done`)
	if st := runScripted(t, s, "sq 'user.a.sub box' 10"); st != 0 {
		t.Errorf("status %d, stderr %q", st, errOut)
	}
}

func TestSetQuotaNone(t *testing.T) {
	s, out, errOut := scriptedSession(t, cyrusCaps, `
		C: g1 SETQUOTA user.a ()
		S: g1 OK done
		C: g2 GETQUOTA user.a
		S: * QUOTA user.a (STORAGE 5 100 MESSAGE 1 20)
		S: g2 OK done
		C: g3 SETQUOTA user.a (MESSAGE 20)
		S: g3 OK done`)
	s.Format = FormatJSON
	if st := runScripted(t, s, "sq user.a none; sq user.a STORAGE none"); st != 0 {
		t.Errorf("status %d, stderr %q", st, errOut)
	}
	want := `{"verb":"setquota","args":["user.a","none"],"ok":true,"root":"user.a","limits":[]}` + "\n" +
		`{"verb":"setquota","args":["user.a","STORAGE","none"],"ok":true,"root":"user.a","limits":[{"name":"MESSAGE","limit":20}]}` + "\n"
	if out.String() != want {
		t.Errorf("stdout = %s, want %s", out, want)
	}
}

// TestSetQuotaRefusedBeforeSending: an unknown resource or a bad limit sends nothing.
func TestSetQuotaRefusedBeforeSending(t *testing.T) {
	s, _, errOut := scriptedSession(t, cyrusCaps, "")
	if st := runScripted(t, s, "sq user.a STORAGE 10 FOO 3"); st != 1 {
		t.Errorf("status %d, want 1", st)
	}
	if st := runScripted(t, s, "sq user.a STORAGE -1"); st != 1 {
		t.Errorf("status %d, want 1", st)
	}
	want := "setquota: unsupported quota resource FOO: this server supports STORAGE, MESSAGE, X-ANNOTATION-STORAGE, X-NUM-FOLDERS\n" +
		"setquota: bad limit \"-1\" for STORAGE: give a whole number of KiB (no sign or unit) or none\n"
	if errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}

func TestSetQuotaServerError(t *testing.T) {
	s, _, errOut := scriptedSession(t, "IMAP4rev1 QUOTA", `
		C: g1 GETQUOTA "User quota"
		S: * QUOTA "User quota" (STORAGE 0 1048576)
		S: g1 OK done
		C: g2 SETQUOTA "User quota" (STORAGE 1048576 FOO 3)
		S: g2 NO Quota can be changed only by admin`)
	if st := runScripted(t, s, "sq 'User quota' FOO 3"); st != 1 || errOut.String() != "setquota: Quota can be changed only by admin\n" {
		t.Errorf("status %d, stderr %q; want 1 and the server's words", st, errOut)
	}
}

// TestListQuotaRootPattern: every mailbox's GETQUOTAROOT is sent before any answer is
// read; a failure names its mailbox and is counted, the others are shown.
func TestListQuotaRootPattern(t *testing.T) {
	s, out, errOut := scriptedSession(t, cyrusCaps, `
		C: g1 LIST "" user.a*
		S: * LIST (\HasChildren) "." user.a
		S: * LIST (\HasNoChildren) "." user.a.gone
		S: * LIST (\HasNoChildren) "." user.a.x
		S: g1 OK done
		C: g2 GETQUOTAROOT user.a
		C: g3 GETQUOTAROOT user.a.gone
		C: g4 GETQUOTAROOT user.a.x
		S: * QUOTAROOT user.a user.a
		S: * QUOTA user.a (STORAGE 10 100 MESSAGE 1 20)
		S: g2 OK done
		S: g3 NO Mailbox does not exist
		S: * QUOTAROOT user.a.x
		S: g4 OK done`)
	if st := runScripted(t, s, "lqr user.a*"); st != 1 {
		t.Errorf("status %d, want 1", st)
	}
	if want := "user.a:\n  user.a STORAGE 10/100 (10%)\n  user.a MESSAGE 1/20 (5%)\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if want := "listquotaroot: user.a.gone: Mailbox does not exist\nlistquotaroot: 1 of 3 mailboxes failed\n"; errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}

func TestListQuotaMissingRoot(t *testing.T) {
	s, out, errOut := scriptedSession(t, cyrusCaps, `
		C: g1 GETQUOTA user.none
		S: g1 NO Quota root does not exist`)
	if st := runScripted(t, s, "lq user.none"); st != 1 || out.Len() > 0 || errOut.String() != "listquota: Quota root does not exist\n" {
		t.Errorf("status %d, stdout %q, stderr %q; want 1, nothing and the server's words", st, out, errOut)
	}
}

func wantPlain(t *testing.T, r Result, want string) {
	t.Helper()
	var b bytes.Buffer
	if err := r.Plain(&b); err != nil || b.String() != want {
		t.Errorf("Plain = %q, %v; want %q", b.String(), err, want)
	}
}

func wantJSON(t *testing.T, verb string, args []string, r Result, want string) {
	t.Helper()
	var b bytes.Buffer
	if err := writeJSON(&b, verb, args, r, nil); err != nil || b.String() != want+"\n" {
		t.Errorf("JSON = %s, %v; want %s", b.String(), err, want)
	}
}

func sameRows(a, b [][]string) bool { return slices.EqualFunc(a, b, slices.Equal[[]string]) }
