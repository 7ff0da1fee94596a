package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocyradm/gocyradm/imapconn"
	"github.com/gocyradm/gocyradm/quota"
)

// cyrusResources is the list of quota resources Cyrus 3.6 advertises, as setquota
// names them when it refuses another.
const cyrusResources = "STORAGE, MESSAGE, X-ANNOTATION-STORAGE, X-NUM-FOLDERS"

// qmMailbox creates a mailbox for one test and deletes it when the test ends. On Cyrus
// the user's own mailbox is created first if the servers were started without it.
func qmMailbox(t *testing.T, a account, c *imapconn.Client, what string) string {
	t.Helper()
	ctx := testCtx(t)
	if home := strings.TrimSuffix(a.prefix, "."); a.srv.Name == "cyrus" && !a.exists(t, c, home) {
		if _, err := c.Create(ctx, home, imapconn.CreateOptions{}).Wait(ctx); err != nil {
			t.Fatalf("creating %s: %v", home, err)
		}
	}
	name := a.unique(t, what)
	qmCreate(t, a, c, name)
	return name
}

// qmCreate creates a mailbox and deletes it when the test ends; children created later
// are deleted first. On Cyrus the admin is granted the x right that DELETE needs.
func qmCreate(t *testing.T, a account, c *imapconn.Client, name string) {
	t.Helper()
	ctx := testCtx(t)
	if _, err := c.Create(ctx, name, imapconn.CreateOptions{}).Wait(ctx); err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if a.srv.Name == "cyrus" {
			if _, err := c.SetACL(ctx, name, a.user, "lrswipkxtea").Wait(ctx); err != nil {
				t.Logf("cleanup: SETACL %s: %v", name, err)
			}
		}
		if _, err := c.Delete(ctx, name).Wait(ctx); err != nil {
			t.Logf("cleanup: DELETE %s: %v", name, err)
		}
	})
}

// qmLimits returns a quota root's limits as the server holds them, "STORAGE 100 MESSAGE 20".
func qmLimits(t *testing.T, c *imapconn.Client, root string) string {
	t.Helper()
	r, err := c.GetQuota(testCtx(t), root).Wait(testCtx(t))
	if err != nil {
		t.Fatalf("GETQUOTA %s: %v", root, err)
	}
	var parts []string
	for _, res := range r.Resources {
		parts = append(parts, fmt.Sprintf("%s %d", res.Name, res.Limit))
	}
	return strings.Join(parts, " ")
}

// qmEntry returns the value of a metadata entry as the server holds it, or "NIL".
func qmEntry(t *testing.T, c *imapconn.Client, mbox, entry string) string {
	t.Helper()
	got, err := c.GetMetadata(testCtx(t), mbox, []string{entry}, imapconn.MetadataOptions{}).Wait(testCtx(t))
	if err != nil {
		t.Fatalf("GETMETADATA %q %s: %v", mbox, entry, err)
	}
	for _, e := range got {
		if strings.EqualFold(e.Name, entry) && e.Value != nil {
			return *e.Value
		}
	}
	return "NIL"
}

// qmJSON returns s as a JSON string.
func qmJSON(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// qmRun runs gocyradm and fails the test unless it succeeds with exactly the output want.
func qmRun(t *testing.T, a account, want string, args ...string) result {
	t.Helper()
	r := a.gocyradm(t, "", args...)
	if r.status != 0 || r.stdout != want {
		t.Errorf("gocyradm %q: status %d, stdout:\n%s\nwant 0 and:\n%s\nstderr:\n%s", args, r.status, r.stdout, want, r.stderr)
	}
	return r
}

// qmFail runs gocyradm and fails the test unless it exits 1 with no output and its
// messages on standard error, trace lines aside, start with want (Dovecot adds timings
// to its words).
func qmFail(t *testing.T, a account, want string, args ...string) result {
	t.Helper()
	r := a.gocyradm(t, "", args...)
	if r.status != 1 || r.stdout != "" || !strings.HasPrefix(qmUntraced(r.stderr), want) {
		t.Errorf("gocyradm %q: status %d, stdout %q, stderr:\n%s\nwant 1, no output and a message starting %q", args, r.status, r.stdout, r.stderr, want)
	}
	return r
}

// qmUntraced returns standard error without the lines of a --trace.
func qmUntraced(stderr string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(line, "C: ") && !strings.HasPrefix(line, "S: ") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// qmSent returns the commands a --trace shows gocyradm sending, without their tags.
func qmSent(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if cmd, ok := strings.CutPrefix(line, "C: "); ok {
			_, cmd, _ = strings.Cut(cmd, " ")
			out = append(out, cmd)
		}
	}
	return out
}

// qmSends fails the test unless a --trace shows the command want sent.
func qmSends(t *testing.T, stderr, want string) {
	t.Helper()
	if !slices.Contains(qmSent(stderr), want) {
		t.Errorf("%s was not sent; the trace:\n%s", want, stderr)
	}
}

// qmSendsNo fails the test if a --trace shows a command holding word sent.
func qmSendsNo(t *testing.T, stderr, word string) {
	t.Helper()
	for _, cmd := range qmSent(stderr) {
		if strings.Contains(cmd, word) {
			t.Errorf("sent: %s", cmd)
		}
	}
}

// TestQuotaSetSeveralResources: one setquota sets several resources (cyradm's bug 1
// sent "(STORAGE 100MESSAGE 20 )"), and listquota shows every one of them (bug 2).
func TestQuotaSetSeveralResources(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := qmMailbox(t, a, c, "quota several")
	q := quoteWord(root)
	r := qmRun(t, a, "", "--trace", "-c", "sq "+q+" STORAGE 100 MESSAGE 20")
	qmSends(t, r.stderr, fmt.Sprintf("SETQUOTA %s (STORAGE 100 MESSAGE 20)", quoteWire(root)))
	if got := qmLimits(t, c, root); got != "STORAGE 100 MESSAGE 20" {
		t.Errorf("server limits = %q, want STORAGE 100 MESSAGE 20", got)
	}
	qmRun(t, a, "STORAGE 0/100 (0%)\nMESSAGE 0/20 (0%)\n", "-c", "lq "+q)
	qmRun(t, a, `{"verb":"listquota","args":[`+qmJSON(root)+`],"ok":true,"root":`+qmJSON(root)+`,"resources":[`+
		`{"name":"STORAGE","usage":0,"limit":100,"percent":0},{"name":"MESSAGE","usage":0,"limit":20,"percent":0}]}`+"\n",
		"--json", "-c", "listquota "+q)
	qmRun(t, a, `{"verb":"setquota","args":[`+qmJSON(root)+`,"x-num-folders","5"],"ok":true,"root":`+qmJSON(root)+`,"limits":[`+
		`{"name":"STORAGE","limit":100},{"name":"MESSAGE","limit":20},{"name":"X-NUM-FOLDERS","limit":5}]}`+"\n",
		"-o", "json", "-c", "setquota "+q+" x-num-folders 5")
}

// TestQuotaSetKeepsOtherResources: setting one resource keeps the others already set
// (Cyrus replaces the whole list: cyradm's bug 15).
func TestQuotaSetKeepsOtherResources(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := qmMailbox(t, a, c, "quota keep")
	q := quoteWord(root)
	qmRun(t, a, "", "-c", "sq "+q+" STORAGE 100 MESSAGE 20")
	r := qmRun(t, a, "", "--trace", "-c", "sq "+q+" MESSAGE 50")
	qmSends(t, r.stderr, fmt.Sprintf("SETQUOTA %s (STORAGE 100 MESSAGE 50)", quoteWire(root)))
	if got := qmLimits(t, c, root); got != "STORAGE 100 MESSAGE 50" {
		t.Errorf("server limits = %q, want STORAGE 100 MESSAGE 50", got)
	}
	qmRun(t, a, "", "-c", "sq "+q+" 300") // cyradm's "setquota ROOT N" sets STORAGE
	if got := qmLimits(t, c, root); got != "STORAGE 300 MESSAGE 50" {
		t.Errorf("server limits = %q, want STORAGE 300 MESSAGE 50", got)
	}
}

// TestQuotaRemove: "RES none" removes one limit, "none" all of them.
func TestQuotaRemove(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := qmMailbox(t, a, c, "quota none")
	q := quoteWord(root)
	qmRun(t, a, "", "-c", "sq "+q+" STORAGE 100 MESSAGE 20 X-NUM-FOLDERS 3; sq "+q+" storage none")
	if got := qmLimits(t, c, root); got != "MESSAGE 20 X-NUM-FOLDERS 3" {
		t.Errorf("after STORAGE none: server limits = %q, want MESSAGE 20 X-NUM-FOLDERS 3", got)
	}
	r := qmRun(t, a, "", "--trace", "-c", "sq "+q+" none")
	qmSends(t, r.stderr, fmt.Sprintf("SETQUOTA %s ()", quoteWire(root)))
	if got := qmLimits(t, c, root); got != "" {
		t.Errorf("after none: server limits = %q, want none", got)
	}
	qmRun(t, a, "", "-c", "lq "+q)
	qmRun(t, a, `{"verb":"listquota","args":[`+qmJSON(root)+`],"ok":true,"root":`+qmJSON(root)+`,"resources":[]}`+"\n", "--json", "-c", "lq "+q)
}

// TestListQuotaRoot: every resource of the root, for a mailbox and for a pattern.
func TestListQuotaRoot(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := qmMailbox(t, a, c, "quota root")
	child := root + ".child"
	qmCreate(t, a, c, child)
	qmRun(t, a, "", "-c", "sq "+quoteWord(root)+" STORAGE 100 MESSAGE 20")
	lines := root + " STORAGE 0/100 (0%)\n" + root + " MESSAGE 0/20 (0%)\n"
	qmRun(t, a, lines, "-c", "lqr "+quoteWord(child))
	indented := "  " + strings.ReplaceAll(strings.TrimSuffix(lines, "\n"), "\n", "\n  ") + "\n"
	qmRun(t, a, root+":\n"+indented+child+":\n"+indented, "-c", "listquotaroot "+quoteWord(root+"*"))
	resources := `"resources":[{"name":"STORAGE","usage":0,"limit":100,"percent":0},{"name":"MESSAGE","usage":0,"limit":20,"percent":0}]`
	qmRun(t, a, `{"verb":"listquotaroot","args":[`+qmJSON(child)+`],"ok":true,"mailbox":`+qmJSON(child)+
		`,"roots":[{"root":`+qmJSON(root)+`,`+resources+`}]}`+"\n", "-o", "json", "-c", "lqm "+quoteWord(child))
}

// TestListQuotaErrors: a missing root or mailbox is an error with the server's words and
// exit status 1 (cyradm printed nothing and exited 0: bug 2).
func TestListQuotaErrors(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		missing := a.unique(t, "no such root")
		want := map[string]string{"cyrus": "Quota root does not exist", "dovecot": "Quota root doesn't exist"}[a.srv.Name]
		qmFail(t, a, "-c:1: listquota: "+want, "-c", "lq "+quoteWord(missing))
		if a.srv.Name == "cyrus" { // Dovecot answers GETQUOTAROOT for any name with the user's root
			qmFail(t, a, "-c:1: listquotaroot: Mailbox does not exist\n", "-c", "lqr "+quoteWord(missing))
		}
	})
}

// TestSetQuotaUnknownResource: a resource the server does not advertise is refused
// before anything is sent (Cyrus would answer NO and then BAD to the rest of the line).
func TestSetQuotaUnknownResource(t *testing.T) {
	a := cyrusAdmin(t)
	c := a.client(t)
	root := qmMailbox(t, a, c, "quota unknown")
	qmRun(t, a, "", "-c", "sq "+quoteWord(root)+" STORAGE 10")
	r := qmFail(t, a, "-c:1: setquota: unsupported quota resource FOO: this server supports "+cyrusResources+"\n",
		"--trace", "-c", "sq "+quoteWord(root)+" STORAGE 20 FOO 1")
	qmSendsNo(t, r.stderr, "QUOTA")
	if got := qmLimits(t, c, root); got != "STORAGE 10" {
		t.Errorf("server limits = %q, want STORAGE 10 unchanged", got)
	}
}

// TestQuotaDovecot: Dovecot's root is "User quota", set in its configuration; SETQUOTA
// is refused with words that gocyradm passes on.
func TestQuotaDovecot(t *testing.T) {
	a := dovecotUser(t)
	c := a.client(t)
	r, err := c.GetQuota(testCtx(t), "User quota").Wait(testCtx(t))
	if err != nil || len(r.Resources) != 1 {
		t.Fatalf("GETQUOTA \"User quota\" = %v, %v; want one resource", r, err)
	}
	res := r.Resources[0]
	qmRun(t, a, res.String()+"\n", "-c", "lq 'User quota'")
	qmRun(t, a, "User quota "+res.String()+"\n", "-c", "lqr INBOX")
	qmRun(t, a, fmt.Sprintf(`{"verb":"listquota","args":["User quota"],"ok":true,"root":"User quota","resources":[`+
		`{"name":"STORAGE","usage":%d,"limit":%d,"percent":%d}]}`+"\n", res.Usage, res.Limit, res.Percent()),
		"--json", "-c", "lq 'User quota'")
	qmFail(t, a, "-c:1: setquota: Quota can be changed only by admin", "-c", "sq 'User quota' STORAGE 100")
	// Dovecot advertises no resource names (plain QUOTA): it judges unknown ones itself.
	qmFail(t, a, "-c:1: setquota: Quota can be changed only by admin", "-c", "sq 'User quota' FOO 1")
	if got := qmLimits(t, c, "User quota"); got != fmt.Sprintf("STORAGE %d", res.Limit) {
		t.Errorf("server limits = %q, want them unchanged", got)
	}
	if quota.Supported(c.Capabilities()) != nil {
		t.Errorf("Dovecot now advertises quota resources: %q", c.Capabilities())
	}
}

// TestMboxcfgUnquotedValue: a value of several words must be quoted; cyradm took the
// second word for the private flag (bug 5). Nothing is sent.
func TestMboxcfgUnquotedValue(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		box := qmMailbox(t, a, c, "mboxcfg")
		r := qmFail(t, a, "-c:1: mboxcfg: usage: mboxcfg [--private] MAILBOX ATTRIBUTE VALUE   (quote a VALUE that has spaces)\n"+
			"-c: nothing was run: correct the lines above first\n",
			"--trace", "-c", "mboxcfg "+quoteWord(box)+" comment hello world")
		qmSendsNo(t, r.stderr, "METADATA")
		for _, entry := range []string{"/shared/comment", "/private/comment"} {
			if got := qmEntry(t, c, box, entry); got != "NIL" {
				t.Errorf("%s = %q, want NIL", entry, got)
			}
		}
		qmRun(t, a, "", "-c", "mboxcfg "+quoteWord(box)+" comment 'hello world'")
		if got := qmEntry(t, c, box, "/shared/comment"); got != "hello world" {
			t.Errorf("/shared/comment = %q, want hello world", got)
		}
	})
}

// TestMetadataRoundTrip sets shared and private entries with setmetadata and mboxcfg,
// reads them back with getmetadata, and removes them with none.
func TestMetadataRoundTrip(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		box := qmMailbox(t, a, c, "metadata")
		q := quoteWord(box)
		qmRun(t, a, "", "-c", "setmd "+q+" comment 'two  spaces and \"quotes\"'; mboxcfg -priv "+q+" comment mine")
		if got := qmEntry(t, c, box, "/shared/comment"); got != `two  spaces and "quotes"` {
			t.Errorf("/shared/comment = %q", got)
		}
		if got := qmEntry(t, c, box, "/private/comment"); got != "mine" {
			t.Errorf("/private/comment = %q", got)
		}
		qmRun(t, a, "{"+box+"}:\n  private:\n    /private/comment: mine\n  shared:\n    /shared/comment: two  spaces and \"quotes\"\n",
			"-c", "getmd "+q+" comment /private/comment /shared/vendor/cmu/cyrus-imapd/expire")
		qmRun(t, a, `{"verb":"getmetadata","args":[`+qmJSON(box)+`,"comment"],"ok":true,"mailbox":`+qmJSON(box)+
			`,"entries":[{"name":"/shared/comment","value":"two  spaces and \"quotes\""}]}`+"\n",
			"--json", "-c", "getmetadata "+q+" comment")
		qmRun(t, a, `{"verb":"setmetadata","args":["--private",`+qmJSON(box)+`,"comment","none"],"ok":true,"mailbox":`+qmJSON(box)+
			`,"entry":"/private/comment","value":null}`+"\n", "--json", "-c", "setmetadata --private "+q+" comment none")
		qmRun(t, a, "", "-c", "mboxconfig "+q+" /shared/comment none")
		qmRun(t, a, "{"+box+"}:\n", "-c", "getmd "+q+" comment /private/comment")
		for _, entry := range []string{"/shared/comment", "/private/comment"} {
			if got := qmEntry(t, c, box, entry); got != "NIL" {
				t.Errorf("after none: %s = %q, want NIL", entry, got)
			}
		}
	})
}

// TestInfoMailbox: info shows every entry that has a value, private ones first, sorted;
// the expected text is built from an independent GETMETADATA.
func TestInfoMailbox(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		box := qmMailbox(t, a, c, "info")
		qmRun(t, a, "", "-c", "mboxcfg "+quoteWord(box)+" comment 'hello world'; mboxcfg -p "+quoteWord(box)+" comment mine")
		entries, err := c.GetMetadata(testCtx(t), box, []string{"/private", "/shared"}, imapconn.MetadataOptions{Depth: "infinity"}).Wait(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		qmRun(t, a, qmInfo(box, entries), "-c", "info "+quoteWord(box))
		if a.srv.Name == "dovecot" {
			qmRun(t, a, "{"+box+"}:\n  private:\n    /private/comment: mine\n  shared:\n    /shared/comment: hello world\n", "-c", "info "+quoteWord(box))
		}
		// Cyrus's server entries vary (free space); Dovecot lists none with DEPTH.
		if r := a.gocyradm(t, "", "-c", "info"); r.status != 0 || !strings.HasPrefix(r.stdout, "{Server Wide}\n") {
			t.Errorf("info without a mailbox: status %d, stdout %q, want 0 and {Server Wide} first", r.status, r.stdout)
		}
	})
}

// qmInfo writes entries as info shows them, independently of gocyradm's code.
func qmInfo(mbox string, entries []imapconn.Entry) string {
	var sections [2][]string
	for _, e := range entries {
		if e.Value == nil {
			continue
		}
		i := 1
		if strings.HasPrefix(e.Name, "/private/") {
			i = 0
		}
		sections[i] = append(sections[i], "    "+e.Name+": "+*e.Value+"\n")
	}
	out := "{" + mbox + "}:\n"
	for i, name := range []string{"private", "shared"} {
		if len(sections[i]) > 0 {
			slices.Sort(sections[i])
			out += "  " + name + ":\n" + strings.Join(sections[i], "")
		}
	}
	return out
}

// TestSetinfoMotd sets the server's message of the day, reads it, and removes it.
func TestSetinfoMotd(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		c := a.client(t)
		t.Cleanup(func() { a.gocyradm(t, "", "-c", "setinfo motd none") })
		qmRun(t, a, "", "-c", "setinfo motd 'back at five'")
		if got := qmEntry(t, c, "", "/shared/motd"); got != "back at five" {
			t.Errorf("/shared/motd = %q, want back at five", got)
		}
		qmRun(t, a, "{Server Wide}\n  shared:\n    /shared/motd: back at five\n", "-c", "getmd '' motd")
		qmRun(t, a, `{"verb":"setinfo","args":["motd","none"],"ok":true,"mailbox":"","entry":"/shared/motd","value":null}`+"\n",
			"--json", "-c", "setinfo motd none")
		if got := qmEntry(t, c, "", "/shared/motd"); got != "NIL" {
			t.Errorf("after none: /shared/motd = %q, want NIL", got)
		}
		qmRun(t, a, `{"verb":"getmetadata","args":["","/shared/motd"],"ok":true,"mailbox":"","entries":[]}`+"\n",
			"--json", "-c", "getmd '' /shared/motd")
	})
}

// TestMetadataErrors: unknown attribute names are refused before sending; a missing
// mailbox is an error with the server's words.
func TestMetadataErrors(t *testing.T) {
	bothServers(t, func(t *testing.T, a account) {
		missing := a.unique(t, "no such box")
		want := map[string]string{"cyrus": "Mailbox does not exist", "dovecot": "Mailbox doesn't exist"}[a.srv.Name]
		qmFail(t, a, "-c:1: info: "+want, "-c", "info "+quoteWord(missing))
		r := qmFail(t, a, `-c:1: setinfo: unknown attribute "colour": give one of admin, comment, expire, motd, shutdown, squat, `+
			"or a full entry name such as /shared/comment\n", "--trace", "-c", "setinfo colour blue")
		qmSendsNo(t, r.stderr, "METADATA")
	})
}
